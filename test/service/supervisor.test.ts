// Settings saved from the web UI take effect through an in-process restart (POST /api/settings/apply).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { superviseService, type Supervised } from '../../src/supervisor.js';
import type { Service } from '../../src/app.js';

let dir: string;
let sup: Supervised;
const fatal: Error[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tb-sup-'));
  const argv = [
    ...['--port', '0', '--bind-address', '127.0.0.1'],
    ...['--data-dir', path.join(dir, 'data'), '--tuners-dir', path.join(dir, 'tuners')],
    ...['--epg-dir', path.join(dir, 'epg')],
    ...['--no-ssdp', '--no-udp-discovery', '--no-port80', '--no-native-control-protocol'],
  ];
  sup = await superviseService({ argv, env: {}, logDestination: null }, (e) => fatal.push(e));
});
afterAll(async () => {
  await sup?.close();
  await rm(dir, { recursive: true, force: true });
});

const json = async (url: string, init?: RequestInit): Promise<Record<string, unknown>> =>
  (await (await fetch(url, init)).json()) as Record<string, unknown>;

describe('applying saved settings', () => {
  it('restarts in-process with the saved settings, on a new instance, when asked', async () => {
    const before = sup.current();
    const patch = await fetch(`${before.url}/api/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device: { friendlyName: 'Living Room Tuner' } }),
    });
    expect(patch.status).toBe(200);
    // Saved, not yet running: the device still answers with the old name, and says so.
    expect((await json(`${before.url}/discover.json`)).FriendlyName).not.toBe('Living Room Tuner');
    expect((await json(`${before.url}/api/settings`)).restartPending).toBe(true);

    const next = new Promise<Service>((resolve) => sup.onRestart(resolve));
    const apply = await fetch(`${before.url}/api/settings/apply`, { method: 'POST' });
    expect(apply.status).toBe(202);
    const after = await next;
    expect(after).not.toBe(before);
    expect(sup.current()).toBe(after);
    expect((await json(`${after.url}/discover.json`)).FriendlyName).toBe('Living Room Tuner');
    expect((await json(`${after.url}/api/settings`)).restartPending).toBe(false);
    // The old instance let go of its port (a fixed port would be taken again).
    if (after.port !== before.port) await expect(fetch(`${before.url}/health`)).rejects.toThrow();
    expect(fatal).toEqual([]);
  });
});
