// The whole service, started the way `npm start` does (minus discovery, which needs a private network),
// on an ephemeral port with empty data/tuners dirs: a new user's first run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startService, type Service } from '../../src/app.js';
import { TsChecker } from '../../src/ts/checker.js';
import { OUTPUT } from '../../src/ts/constants.js';
import { isValidDeviceId } from '../../src/hdhr/device-id.js';

let dir: string;
let svc: Service;
const flags = (d: string): string[] => [
  '--port',
  '0',
  '--bind-address',
  '127.0.0.1',
  '--data-dir',
  path.join(d, 'data'),
  '--tuners-dir',
  path.join(d, 'tuners'),
  '--epg-dir',
  path.join(d, 'epg'),
  '--no-ssdp',
  '--no-udp-discovery',
  '--no-port80',
  '--no-native-control-protocol',
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tb-svc-'));
  svc = await startService({ argv: flags(dir), env: {}, logDestination: null });
});
afterAll(async () => {
  await svc?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a fresh start with no configuration', () => {
  it('is an HDHomeRun with a valid, persisted identity', async () => {
    const d = (await (await fetch(`${svc.url}/discover.json`)).json()) as Record<string, unknown>;
    expect(isValidDeviceId(String(d.DeviceID))).toBe(true);
    expect(String(d.DeviceID)).toMatch(/^[0-9A-F]{8}$/);
    expect(d.BaseURL).toBe(svc.url);
    expect(d.TunerCount).toBeGreaterThanOrEqual(1);
    const saved = JSON.parse(await readFile(path.join(dir, 'data', 'identity.json'), 'utf8')) as {
      deviceId: string;
    };
    expect(saved.deviceId).toBe(d.DeviceID);
  });

  it('serves the built-in demo channels in every lineup format', async () => {
    const list = (await (await fetch(`${svc.url}/lineup.json`)).json()) as {
      GuideNumber: string;
      URL: string;
    }[];
    expect(list.length).toBeGreaterThanOrEqual(3);
    for (const c of list) expect(c.URL).toBe(`${svc.url}/auto/v${c.GuideNumber}`);
    const m3u = await (await fetch(`${svc.url}/lineup.m3u`)).text();
    expect(m3u.split('\n').filter((l) => l.startsWith('#EXTINF'))).toHaveLength(list.length);
    const xml = await (await fetch(`${svc.url}/lineup.xml`)).text();
    expect(xml.match(/<Program>/g)).toHaveLength(list.length);
    const dev = await (await fetch(`${svc.url}/device.xml`)).text();
    expect(dev).toContain('urn:schemas-upnp-org:device:MediaServer:1');
    expect((await fetch(`${svc.url}/health`)).status).toBe(200);
  });

  it('serves a guide covering every channel, the admin API, metrics and the web UI', async () => {
    const list = (await (await fetch(`${svc.url}/lineup.json`)).json()) as { GuideNumber: string }[];
    const g = await fetch(`${svc.url}/xmltv.xml`);
    expect(g.status).toBe(200);
    const xml = await g.text();
    for (const c of list) {
      expect(xml).toContain(`<channel id="${c.GuideNumber}">`);
      expect(xml).toContain(`channel="${c.GuideNumber}"`);
    }
    const status = (await (await fetch(`${svc.url}/api/status`)).json()) as Record<string, unknown>;
    expect(status).toHaveProperty('uptimeSec');
    expect(status).toHaveProperty('version', '0.1.0');
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/^# HELP /m);
    const ui = await fetch(`${svc.url}/`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
    expect(ui.headers.get('x-frame-options')).toBe('DENY');
  });

  it('plays a demo channel as valid MPEG-TS with rising PCR for several seconds', async () => {
    const list = (await (await fetch(`${svc.url}/lineup.json`)).json()) as { URL: string }[];
    const ac = new AbortController();
    const res = await fetch(list[0]!.URL, { signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp2t');
    const checker = new TsChecker();
    const t0 = Date.now();
    let first = true;
    const reader = res.body!.getReader();
    while (Date.now() - t0 < 4000) {
      const { value, done } = await reader.read();
      if (done) break;
      if (first) {
        expect(value[0]).toBe(0x47); // the first byte is a packet boundary
        first = false;
      }
      checker.push(Buffer.from(value), Date.now() - t0);
    }
    ac.abort();
    const r = checker.report();
    expect(r.syncLossBytes).toBe(0);
    expect(r.ccErrors).toBe(0);
    expect(r.patCount).toBeGreaterThan(3);
    expect(r.pmtCount).toBeGreaterThan(3);
    expect(r.pcrCount).toBeGreaterThan(20);
    expect(r.pcrViolations).toEqual([]);
    expect(r.pids).toEqual(expect.arrayContaining([0, OUTPUT.pmtPid, OUTPUT.videoPid, OUTPUT.audioPid]));
    expect(r.unexpectedPids).toEqual([]);
    // Paced in real time: 4 s of wall clock must not deliver minutes of stream, nor stall.
    expect(r.maxPushGapMs).toBeLessThan(1000);
  });

  it('keeps its identity across a restart and refuses invalid settings without touching the file', async () => {
    const first = svc.device().deviceId;
    await svc.close();
    const settingsFile = path.join(dir, 'data', 'settings.json');
    const bad = '{ "port": "not a number", "streaming": { "stallMs": -5 } }\n';
    await writeFile(settingsFile, bad);
    await expect(startService({ argv: flags(dir), env: {}, logDestination: null })).rejects.toThrow(
      /stallMs/,
    );
    expect(await readFile(settingsFile, 'utf8')).toBe(bad);
    await rm(settingsFile);
    svc = await startService({ argv: flags(dir), env: {}, logDestination: null });
    expect(svc.device().deviceId).toBe(first);
  });
});
