import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/config/schema.js';
import { createAdminApi } from '../../src/api/router.js';
import { SECRET_PLACEHOLDER } from '../../src/api/sanitize.js';
import { SECRET_SETTING_PATHS, createSettingsPort } from '../../src/api/settings-port.js';
import { call, harness, serve, type Harness, type Served } from './fakes.js';

let h: Harness;
let srv: Served;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tb-settings-'));
  h = await harness();
  const settings = { ...defaultSettings(), admin: { token: 'real-admin-token', allowNetworks: [] } };
  const app = express();
  app.use('/api', createAdminApi({ ...h.ports, settings: createSettingsPort({ settings, dataDir }) }));
  srv = await serve(app);
});
afterAll(async () => {
  await srv.close();
  await h.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

describe('settings through the real settings module', () => {
  it('knows the secret settings from the settings table', () => {
    expect(SECRET_SETTING_PATHS).toContain('admin.token');
  });

  it('masks the admin token, saves a valid edit to settings.json and refuses an invalid one naming the field', async () => {
    const g = await call(`${srv.url}/api/settings`, 'GET');
    expect(g.text).not.toContain('real-admin-token');
    const s = (g.json as { settings: { admin: { token: string } }; schema: { properties: object } }).settings;
    expect(s.admin.token).toBe(SECRET_PLACEHOLDER);
    const bad = await call(`${srv.url}/api/settings`, 'PATCH', { streaming: { stallMs: 5 } });
    expect(bad.status).toBe(400);
    expect((bad.json as { field: string }).field).toBe('streaming.stallMs');
    const ok = await call(`${srv.url}/api/settings`, 'PATCH', {
      streaming: { stallMs: 3000 },
      admin: s.admin,
    });
    expect(ok.status).toBe(200);
    const file = JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8'));
    expect(file.streaming.stallMs).toBe(3000);
    expect(JSON.stringify(file)).not.toContain(SECRET_PLACEHOLDER);
    const after = (await call(`${srv.url}/api/settings`, 'GET')).json as {
      settings: { streaming: { stallMs: number } };
    };
    expect(after.settings.streaming.stallMs).toBe(3000);
    expect((await call(`${srv.url}/api/settings`, 'GET')).json).toMatchObject({ restartPending: true });
  });

  it('says so when it cannot restart itself to apply them', async () => {
    const r = await call(`${srv.url}/api/settings/apply`, 'POST');
    expect(r.status).toBe(501);
    expect((r.json as { error: string }).error).toMatch(/restart it to apply/);
  });
});
