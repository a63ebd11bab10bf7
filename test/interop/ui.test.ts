// The web UI in a real browser: Debian's chromium driven by playwright-core. Signs in, loads every page,
// adds a source (with a login test), watches a session appear live over SSE, forces a failover and sees it
// in the dashboard, and takes screenshots into test/.tmp/screenshots.
//
// The service side is the admin API + UI (this area's code) over in-memory fakes of the lineup, sessions
// and guide, bridged onto the real event bus — src/app.ts (startService) did not exist when this was written.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth } from '../../src/api/auth.js';
import { createAdminApi } from '../../src/api/router.js';
import { bridgeServices } from '../../src/events/bridge.js';
import { createUi } from '../../src/ui/router.js';
import { SECRET_PASS, SECRET_USER, harness, serve, type Harness, type Served } from '../api/fakes.js';
import { repoRoot, requireProgram } from './helpers/env.js';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TOKEN = 'browser-admin-token';
const shots = path.join(repoRoot(), 'test/.tmp/screenshots');

let h: Harness;
let srv: Served;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  const exe = requireProgram('/usr/bin/chromium');
  await mkdir(shots, { recursive: true });
  h = await harness();
  bridgeServices(h.bus, { sessions: h.sessions, guide: h.guide, lineup: h.lineup });
  const app = express();
  app.use('/api', adminAuth(TOKEN), createAdminApi(h.ports, { heartbeatMs: 1000 }));
  app.use(createUi({ ports: h.ports, token: TOKEN }));
  srv = await serve(app);
  browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS, headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Any console error (CSP violation, script error, failed fetch) is a defect of the UI.
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on(
    'response',
    (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.request().method()} ${r.url()}`),
  );
});

afterAll(async () => {
  await browser?.close();
  await srv?.close();
  await h?.cleanup();
});

const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

describe('web UI in chromium', () => {
  it('sends an anonymous visitor to the login form and signs in with the admin token', async () => {
    await page.goto(`${srv.url}/`);
    await page.waitForURL(/\/login$/);
    await shot('login');
    await page.fill('input[name="token"]', 'wrong');
    await page.click('button[type="submit"]');
    await page.waitForSelector('.error');
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-page="dashboard"] #tuner-slots .source-slots');
    await page.waitForSelector('#live.on');
    expect(await page.locator('#tuner-slots .source-slots').count()).toBe(2);
  });

  it('loads every page without errors', async () => {
    const pages: [string, string][] = [
      ['sources', '#source-list'],
      ['channels', '#channel-list tr[data-channel="news"]'],
      ['guide', '#guide-coverage table'],
      ['logs', '#log-rows tr'],
      ['settings', '#settings-form input[name="port"]'],
      ['setup', 'code.url'],
      ['', '#sessions'],
    ];
    h.logs.push(JSON.stringify({ level: 40, time: Date.now(), msg: 'stall on upstream', channel: '101' }));
    for (const [name, selector] of pages) {
      await page.click(`#nav a[href="#/${name}"]`);
      await page.waitForSelector(`[data-page="${name || 'dashboard'}"] ${selector}`);
      await shot(name || 'dashboard');
      if (name === 'logs') {
        // New log lines arrive live.
        h.logs.push(JSON.stringify({ level: 30, time: Date.now(), msg: 'live log line', source: 'a' }));
        await page.waitForSelector('#log-rows td:text("live log line")');
      }
    }
    await page.click('#nav a[href="#/setup"]');
    await page.waitForSelector('code.url');
    expect(await page.textContent('[data-page="setup"]')).toContain(':5004/xmltv.xml');
    const settingsHtml = await (async () => {
      await page.click('#nav a[href="#/settings"]');
      await page.waitForSelector('#settings-form');
      return page.content();
    })();
    expect(settingsHtml).not.toContain('admin-tok-123');
    expect(problems).toEqual([]);
  });

  it('adds a source: tests the login, saves it, and never shows the password again', async () => {
    await page.click('#nav a[href="#/sources"]');
    await page.click('#add-source');
    await page.fill('#source-edit input[name="id"]', 'fake');
    await page.selectOption('#source-edit select[name="type"]', 'xtream');
    await page.fill('#source-edit input[name="name"]', 'Fake provider');
    await page.fill('#source-edit input[name="url"]', 'http://provider.invalid:8080');
    await page.fill('#source-edit input[name="username"]', SECRET_USER);
    await page.fill('#source-edit input[name="password"]', 'wrong-password');
    await page.click('#source-edit button.test');
    await page.waitForSelector('#test-result .error');
    expect(await page.textContent('#test-result')).not.toContain('wrong-password');
    await page.fill('#source-edit input[name="password"]', SECRET_PASS);
    await page.click('#source-edit button.test');
    await page.waitForSelector('#test-result .ok');
    expect(await page.textContent('#test-result')).toContain('maxConnections: 3');
    await shot('source-test');
    await page.click('#source-edit button[type="submit"]');
    await page.waitForSelector('tr[data-source="fake"]');
    await page.click('tr[data-source="fake"] button:has-text("Edit")');
    await page.waitForSelector('#source-edit');
    const html = await page.content();
    expect(html).not.toContain(SECRET_PASS);
    expect(await page.inputValue('#source-edit input[name="password"]')).toBe('********');
    await shot('sources');
  });

  it('shows a new session live, forces a failover from the dashboard and shows the switch', async () => {
    await page.click('#nav a[href="#/"]');
    await page.waitForSelector('[data-page="dashboard"] #sessions');
    // A viewer tunes channel 101: only the live event stream can make it appear (no reload).
    h.sessions.start('101', 'a', 'News');
    const row = page.locator('tr[data-session="101"]');
    await row.waitFor();
    expect(await row.locator('.session-source').textContent()).toBe('a');
    expect(await page.locator('#tuner-slots [data-source="a"] .slot.busy').count()).toBe(1);
    await shot('session');
    await row.locator('select').selectOption('b');
    await row.locator('button.switch').click();
    await page.locator('tr[data-session="101"] .session-source:text-is("b")').waitFor();
    await page.waitForSelector('#switches .switch-row');
    expect(await page.textContent('#switches')).toContain('manual');
    await page.waitForSelector('.toast:has-text("switched a → b")');
    await shot('failover');
    // And stop it.
    await row.locator('button.kill').click();
    await page.waitForSelector('#sessions :text("No one is watching.")');
    expect(problems).toEqual([]);
  });
});
