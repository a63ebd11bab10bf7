// The new user's whole journey in a real browser (Debian's chromium driven by playwright-core), against the
// REAL service (startService) and two fake provider panels serving real MPEG-TS:
// sign in → load every page → add an Xtream source and an M3U source through the forms (testing the login)
// → see the merged channels → play one → watch the session on the dashboard → force a failover from the
// dashboard → see the switch and its reason while the player keeps receiving bytes. Screenshots go to
// test/.tmp/screenshots; no provider credential may appear in any page or any API response the UI read.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/app.js';
import { demoClips } from '../../src/media/assets.js';
import { TsChecker } from '../../src/ts/checker.js';
import { makeStreams, startFakeProvider, type FakeProvider } from '../fake-provider/server.js';
import { FakeStreams, prepareClip, type StreamPlan } from '../fake-provider/streams.js';
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
const TOKEN = 'e2e-admin-token-7f3a';
const ACME = { user: 'acme-user-5521', pass: 'acme-pass-Zq81x', max: 2 };
const BACKUP = { user: 'backup-user-0947', pass: 'backup-pass-Lm62k' };
const SECRETS = [ACME.user, ACME.pass, BACKUP.user, BACKUP.pass];
const CHANNELS = 3;
const shots = path.join(repoRoot(), 'test/.tmp/screenshots');

let dir: string;
let svc: Service;
let acme: FakeProvider;
let backup: FakeProvider;
let acmeStreams: FakeStreams;
let backupStreams: FakeStreams;
let browser: Browser;
let page: Page;
/** Console errors, page errors and failed requests: each one is a defect of the UI. */
const problems: string[] = [];
/** Every admin API response the UI read (URL + body), checked for credentials at the end. */
const apiBodies: Promise<{ url: string; body: string }>[] = [];
let events = '';
let restarts = 0;
const eventsAbort = new AbortController();

/** The panel's XMLTV: one programme now on each channel, so the guide page has real data to show. */
function xmltv(): string {
  const t = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + ' +0000';
  const now = Date.now();
  const body = Array.from({ length: CHANNELS }, (_, i) => {
    const id = `Channel${i + 1}.uk`;
    return (
      `<channel id="${id}"><display-name>Channel ${i + 1}</display-name></channel>` +
      `<programme start="${t(now - 3_600_000)}" stop="${t(now + 3_600_000)}" channel="${id}">` +
      `<title>News hour ${i + 1}</title></programme>`
    );
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<tv>${body.join('\n')}</tv>\n`;
}

/** Both panels carry the same channels (same EPG ids), so each channel gets two failover candidates. */
async function panel(account: { user: string; pass: string }, streams: FakeStreams, maxConnections: number) {
  return startFakeProvider({
    username: account.user,
    password: account.pass,
    categories: [{ category_id: '1', category_name: 'UK News', parent_id: 0 }],
    streams: makeStreams(CHANNELS),
    userInfo: { max_connections: String(maxConnections) },
    xmltv: xmltv(),
    onStream: streams.handler,
  });
}

beforeAll(async () => {
  const exe = requireProgram('/usr/bin/chromium');
  await mkdir(shots, { recursive: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'tb-ui-e2e-'));

  const clip = prepareClip(await readFile(demoClips()[0]!.file));
  const plans = (tsOffset: number): Record<string, StreamPlan> =>
    Object.fromEntries(Array.from({ length: CHANNELS }, (_, i) => [String(1001 + i), { clip, tsOffset }]));
  acmeStreams = new FakeStreams(plans(0));
  // The backup's clock is elsewhere, as another provider's would be: the splice must rebase it.
  backupStreams = new FakeStreams(plans(90_000 * 5000));
  acme = await panel(ACME, acmeStreams, ACME.max);
  backup = await panel(BACKUP, backupStreams, 1);

  svc = await startService({
    argv: [
      ...['--port', '0', '--bind-address', '127.0.0.1', '--admin-token', TOKEN],
      ...['--data-dir', path.join(dir, 'data'), '--tuners-dir', path.join(dir, 'tuners')],
      ...['--epg-dir', path.join(dir, 'epg'), '--no-ssdp', '--no-udp-discovery', '--no-port80'],
      '--no-native-control-protocol',
      ...['--streaming-stall-ms', '1500', '--streaming-linger-ms', '200'],
      ...['--streaming-validate-timeout-ms', '4000', '--streaming-slate-after-ms', '1000'],
    ],
    env: {},
    logDestination: null,
    // The settings page's "Restart now" asks for this (the CLI's supervisor restarts in-process).
    requestRestart: () => void restarts++,
  });
  // What the live-update stream carried is checked for credentials too (playwright cannot read an
  // endless response body, so the test holds its own subscription).
  void fetch(`${svc.url}/api/events?logs=1`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: eventsAbort.signal,
  })
    .then(async (res) => {
      for await (const chunk of res.body!) events += Buffer.from(chunk).toString();
    })
    .catch(() => undefined);

  browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS, headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    const url = r.url();
    // The wrong-token attempt is expected to be refused.
    if (r.status() >= 400 && !url.endsWith('/login'))
      problems.push(`${r.status()} ${r.request().method()} ${url}`);
    if (url.includes('/api/') && !url.includes('/api/events'))
      apiBodies.push(
        r.text().then(
          (body) => ({ url, body }),
          (err: Error) => ({ url, body: `<${err.message}>` }),
        ),
      );
  });
});

afterAll(async () => {
  eventsAbort.abort();
  await browser?.close();
  await svc?.close();
  await acme?.close();
  await backup?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

/** The page's HTML must never carry a provider credential. */
async function expectNoSecrets(where: string): Promise<void> {
  const html = await page.content();
  for (const s of SECRETS) expect(html.includes(s), `${where} shows the credential "${s}"`).toBe(false);
}

async function openPage(name: string, selector: string): Promise<void> {
  await page.click(`#nav a[href="#/${name}"]`);
  await page.waitForSelector(`[data-page="${name || 'dashboard'}"] ${selector}`);
}

/** Each row of the channels page as the admin sees it: the name input's value and the streams' sources. */
function channelRows(): Promise<{ name?: string; streams: string }[]> {
  // Name and number are editable inputs: read their values, not attributes.
  return page.$$eval('#channel-list tbody tr', (trs) =>
    trs.map((tr) => ({
      name: (tr.querySelector('input[aria-label="Name"]') as { value?: string } | null)?.value,
      streams: [...tr.querySelectorAll('ul.streams .mono')].map((e) => e.textContent).join(','),
    })),
  );
}

interface Player {
  bytes: number;
  maxGapMs: number;
  lastAt: number;
  /** The service ended the response. */
  ended: boolean;
  checker: TsChecker;
  stop(): void;
}

/** A client tuning a channel the way Plex or VLC does: GET /auto/v<GuideNumber>, reading continuously. */
async function play(guideNumber: string): Promise<Player> {
  const ac = new AbortController();
  const res = await fetch(`${svc.url}/auto/v${guideNumber}`, { signal: ac.signal });
  expect(res.status, `GET /auto/v${guideNumber}`).toBe(200);
  expect(res.headers.get('content-type')).toBe('video/mp2t');
  const t0 = Date.now();
  const p: Player = {
    bytes: 0,
    maxGapMs: 0,
    lastAt: t0,
    ended: false,
    checker: new TsChecker(),
    stop: () => ac.abort(),
  };
  void (async () => {
    for await (const chunk of res.body!) {
      const now = Date.now();
      p.maxGapMs = Math.max(p.maxGapMs, now - p.lastAt);
      p.lastAt = now;
      p.bytes += chunk.length;
      p.checker.push(Buffer.from(chunk), now - t0);
    }
    p.ended = true;
  })().catch(() => undefined);
  return p;
}

async function fillSource(f: {
  id: string;
  type: 'xtream' | 'm3u';
  name: string;
  url: string;
  username?: string;
  password?: string;
  maxConnections?: number;
  priority: number;
}): Promise<void> {
  await page.click('#add-source');
  const form = '#source-edit';
  await page.waitForSelector(form);
  await page.fill(`${form} input[name="id"]`, f.id);
  await page.selectOption(`${form} select[name="type"]`, f.type);
  await page.fill(`${form} input[name="name"]`, f.name);
  await page.fill(`${form} input[name="url"]`, f.url);
  if (f.username) await page.fill(`${form} input[name="username"]`, f.username);
  if (f.password) await page.fill(`${form} input[name="password"]`, f.password);
  if (f.maxConnections) await page.fill(`${form} input[name="maxConnections"]`, String(f.maxConnections));
  await page.fill(`${form} input[name="priority"]`, String(f.priority));
}

describe('a new user in chromium, against the real service and a fake provider', () => {
  it('is sent to the login form, refused with a wrong token and signed in with the admin token', async () => {
    await page.goto(`${svc.url}/`);
    await page.waitForURL(/\/login$/);
    await shot('login');
    await page.fill('input[name="token"]', 'not-the-token');
    await page.click('button[type="submit"]');
    await page.waitForSelector('.error');
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-page="dashboard"] #tuner-slots .source-slots');
    await page.waitForSelector('#live.on');
    // A fresh install shows the built-in demo source until a provider is added.
    expect(await page.textContent('#tuner-slots')).toContain('Demo');
  });

  it('loads every page, and the setup page shows the exact URLs of this service', async () => {
    const pages: [string, string][] = [
      ['', '#sessions'],
      ['sources', '#source-list'],
      ['channels', '#channel-list tbody tr'],
      ['guide', '#guide-info'],
      ['logs', '#log-rows tr'],
      ['settings', '#settings-form input[name="port"]'],
      ['setup', 'code.url'],
    ];
    for (const [name, selector] of pages) {
      await openPage(name, selector);
      await shot(`fresh-${name || 'dashboard'}`);
      await expectNoSecrets(`page ${name || 'dashboard'}`);
    }
    const setup = (await page.textContent('[data-page="setup"]')) ?? '';
    for (const p of ['/discover.json', '/lineup.json', '/lineup.m3u', '/xmltv.xml'])
      expect(setup, `setup page lists ${svc.url}${p}`).toContain(`${svc.url}${p}`);
    // The URLs shown really are this service's.
    const lineup = await fetch(`${svc.url}/lineup.json`);
    expect(lineup.status).toBe(200);
    // The admin token never comes back from the settings page.
    await openPage('settings', '#settings-form');
    expect(await page.content()).not.toContain(TOKEN);
    expect(problems).toEqual([]);
  });

  it('adds an Xtream source (testing its login and seeing its limits) and an M3U backup', async () => {
    await openPage('sources', '#source-list');
    await fillSource({
      id: 'acme',
      type: 'xtream',
      name: 'Acme IPTV',
      url: acme.url,
      username: ACME.user,
      password: 'a-wrong-password',
      priority: 1,
    });
    await page.click('#source-edit button.test');
    await page.waitForSelector('#test-result .error');
    expect(await page.textContent('#test-result')).not.toContain('a-wrong-password');
    await page.fill('#source-edit input[name="password"]', ACME.pass);
    await page.click('#source-edit button.test');
    await page.waitForSelector('#test-result .ok');
    // The provider's own connection limit, as the panel reported it.
    expect(await page.textContent('#test-result')).toMatch(new RegExp(`maxConnections: ${ACME.max}\\b`));
    await shot('source-test');
    await page.click('#source-edit button[type="submit"]');
    await page.waitForSelector('tr[data-source="acme"]');

    // The backup: the second panel's playlist (credentials in the query string, as get.php links are).
    await fillSource({
      id: 'backup',
      type: 'm3u',
      name: 'Backup playlist',
      url: `${backup.url}/get.php?username=${BACKUP.user}&password=${BACKUP.pass}&type=m3u_plus&output=ts`,
      maxConnections: 1,
      priority: 2,
    });
    await page.click('#source-edit button.test');
    await page.waitForSelector('#test-result .ok');
    expect(await page.textContent('#test-result')).toContain(`channels: ${CHANNELS}`);
    await expectNoSecrets('the M3U source form after its test');
    await page.click('#source-edit button[type="submit"]');
    await page.waitForSelector('tr[data-source="backup"]');

    // Both sources come up with the provider's channels (live update, no reload).
    for (const id of ['acme', 'backup'])
      await page.waitForSelector(`tr[data-source="${id}"] td.ok:text-is("ok")`, { timeout: 15_000 });
    await shot('sources');
    await expectNoSecrets('sources page');
    // Editing shows the password as a placeholder, never the stored value.
    await page.click('tr[data-source="acme"] button:has-text("Edit")');
    expect(await page.inputValue('#source-edit input[name="password"]')).toBe('********');
    await expectNoSecrets('source edit form');
  });

  it('lists the provider channels, each with both sources as failover candidates', async () => {
    await openPage('channels', '#channel-list');
    // Acme first (priority 1), then the backup, for every channel the panels offer.
    const want = Array.from({ length: CHANNELS }, (_, i) => ({
      name: `UK: Channel ${i + 1} HD`,
      streams: 'acme,backup',
    }));
    await expect.poll(channelRows, { timeout: 15_000 }).toEqual(want);
    await shot('channels');
  });

  it('splits a stream out into a channel of its own, then merges the two back', async () => {
    await openPage('channels', '#channel-list');
    const before = await channelRows();
    const at = before.findIndex((r) => r.name === 'UK: Channel 2 HD');
    expect(at).toBeGreaterThanOrEqual(0);
    const row = (i: number) => page.locator('#channel-list tbody tr').nth(i);
    await row(at).locator('ul.streams li:has(.mono:text-is("backup")) button.split').click();
    const splitToast = page.locator('.toast:has-text("Split backup out of UK: Channel 2 HD")');
    await splitToast.waitFor();
    // The toast names the new channel's number.
    expect(await splitToast.textContent()).toMatch(/: channel \d+$/);
    // One channel more: the backup stream alone, the original keeps the preferred one.
    await expect.poll(channelRows, { timeout: 10_000 }).toHaveLength(CHANNELS + 1);
    const split = await channelRows();
    expect(
      split
        .filter((r) => r.name === 'UK: Channel 2 HD')
        .map((r) => r.streams)
        .sort(),
    ).toEqual(['acme', 'backup']);
    await shot('channels-split');

    // Tick the original first (it keeps its number), then the split-off one, and merge.
    const original = split.findIndex((r) => r.name === 'UK: Channel 2 HD' && r.streams === 'acme');
    const other = split.findIndex((r) => r.name === 'UK: Channel 2 HD' && r.streams === 'backup');
    await row(original).locator('input.pick').check();
    await row(other).locator('input.pick').check();
    await page.click('#merge-channels');
    const mergeToast = page.locator('.toast:has-text("Merged 2 channels into")');
    await mergeToast.waitFor();
    expect(await mergeToast.textContent()).toMatch(/into \d+ UK: Channel 2 HD$/);
    await expect.poll(channelRows, { timeout: 10_000 }).toEqual(before);
  });

  it('plays a channel, shows the session live, and fails over from the dashboard while it keeps playing', async () => {
    const list = (await (await fetch(`${svc.url}/lineup.json`)).json()) as {
      GuideNumber: string;
      GuideName: string;
      URL: string;
    }[];
    const ch = list.find((c) => c.GuideName === 'UK: Channel 1 HD');
    expect(ch, `lineup.json: ${JSON.stringify(list)}`).toBeDefined();
    const gn = ch!.GuideNumber;

    await openPage('', '#sessions');
    const player = await play(gn);
    try {
      const row = page.locator(`tr[data-session="${gn}"]`);
      await row.waitFor({ timeout: 10_000 });
      await expect.poll(() => row.locator('.session-source').textContent()).toBe('acme');
      // The bitrate is measured, and the dashboard keeps it current while the session runs.
      await expect
        .poll(async () => parseFloat((await row.locator('.session-bitrate').textContent()) ?? ''), {
          timeout: 10_000,
        })
        .toBeGreaterThan(0);
      expect(await page.locator('#tuner-slots [data-source="acme"] .slot.busy').count()).toBe(1);
      await shot('session');

      // "Switch to next": the backup takes over.
      const before = player.bytes;
      await row.locator('select').selectOption('');
      await row.locator('button.switch').click();
      await page
        .locator(`tr[data-session="${gn}"] .session-source:text-is("backup")`)
        .waitFor({ timeout: 10_000 });
      const sw = page.locator('#switches .switch-row').first();
      await sw.waitFor();
      // Time, channel, from, to, reason, gap: named by source, as the admin knows them.
      const cells = await sw.locator('td').allTextContents();
      expect(cells.slice(1, 5)).toEqual([gn, 'acme', 'backup', 'manual']);
      await page.waitForSelector(`.toast:has-text("Channel ${gn}: switched acme → backup (manual)")`);
      await shot('failover');
      // The backup panel really serves the stream now, and the player never stopped receiving.
      expect(backupStreams.openCount(BACKUP.user)).toBe(1);
      await expect.poll(() => player.bytes, { timeout: 5000 }).toBeGreaterThan(before + 188 * 1000);
      const afterSwitch = player.bytes;
      await new Promise((r) => setTimeout(r, 1500));
      expect(player.bytes).toBeGreaterThan(afterSwitch);
      expect(player.maxGapMs).toBeLessThan(1500);
      const r = player.checker.report();
      expect(r.syncLossBytes).toBe(0);
      expect(r.pcrViolations).toEqual([]);
      await expectNoSecrets('dashboard');
      // "Stop" ends the session: the player's stream ends and the tuner is free again.
      await row.locator('button.kill').click();
      await page.waitForSelector('#sessions :text("No one is watching.")', { timeout: 10_000 });
      await expect.poll(() => player.ended, { timeout: 5000 }).toBe(true);
    } finally {
      player.stop();
    }
    expect(acmeStreams.maxConcurrent(ACME.user)).toBeLessThanOrEqual(ACME.max);
    expect(backupStreams.maxConcurrent(BACKUP.user)).toBeLessThanOrEqual(1);
  });

  it('shows the run on every page, and no credential ever reached the browser', async () => {
    // The provider's guide was fetched for every channel once the sources were added.
    await openPage('guide', '#guide-info');
    await page.waitForSelector(`#guide-info:has-text("${CHANNELS}/${CHANNELS} channels matched")`, {
      timeout: 15_000,
    });
    for (const [name, selector] of [
      ['guide', '#guide-coverage table'],
      ['logs', '#log-rows tr'],
      ['settings', '#settings-form'],
      ['setup', 'code.url'],
      ['', '#switches .switch-row'],
    ] as const) {
      await openPage(name, selector);
      await shot(name || 'dashboard');
      await expectNoSecrets(`page ${name || 'dashboard'}`);
    }
    const bodies = await Promise.all(apiBodies);
    // The responses that carry source definitions and login results were among those inspected.
    const urls = bodies.map((b) => new URL(b.url).pathname);
    expect(urls).toEqual(expect.arrayContaining(['/api/sources', '/api/sources/test', '/api/status']));
    for (const { url, body } of bodies)
      for (const s of SECRETS) expect(body.includes(s), `${url} returned the credential "${s}"`).toBe(false);
    expect(events).toContain('event: failover');
    // Adding sources through the UI is a normal operation: it must not have logged a warning about them.
    const warnings = (await (
      await fetch(`${svc.url}/api/logs?level=warn`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { msg: string; source?: string }[];
    expect(warnings.filter((w) => /acme|backup/.test(`${w.msg} ${w.source ?? ''}`))).toEqual([]);
    for (const s of SECRETS) expect(events.includes(s), `/api/events carried "${s}"`).toBe(false);
    expect(problems).toEqual([]);
  });

  it('saves a setting and offers the restart that applies it', async () => {
    await openPage('settings', '#settings-form');
    expect(await page.$('#restart-pending')).toBeNull();
    await page.fill('#settings-form input[name="device.friendlyName"]', 'Den Tuner');
    await page.click('#settings-form button[type="submit"]');
    await page.waitForSelector('#restart-pending');
    await shot('settings-restart-pending');
    page.once('dialog', (d) => void d.accept());
    await page.click('#restart-pending button');
    await expect.poll(() => restarts, { timeout: 5000 }).toBe(1);
    expect(problems).toEqual([]);
  });
});
