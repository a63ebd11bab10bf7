import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeService, nextChange, tempDirs, writeSource, type TestDirs } from './helpers.js';
import { makeStreams, startFakeProvider, type FakeProvider } from '../fake-provider/server.js';
import type { LineupService } from '../../src/lineup/service.js';

const USER = 'lineup-user';
const PASS = 'lineup-pass-77';

let dirs: TestDirs;
let fake: FakeProvider;
let svc: LineupService | undefined;

beforeEach(async () => {
  dirs = await tempDirs();
  fake = await startFakeProvider({
    username: USER,
    password: PASS,
    categories: [{ category_id: '1', category_name: 'UK' }],
    streams: makeStreams(5),
    userInfo: { max_connections: '3', active_cons: '1' },
  });
});
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
  await fake.close();
  await dirs.cleanup();
});

async function startWith(def: Record<string, unknown> = {}, over = {}): Promise<LineupService> {
  await writeSource(dirs, 'acme', {
    type: 'xtream',
    url: fake.url,
    username: USER,
    password: PASS,
    timeout: 2,
    ...def,
  });
  svc = makeService(dirs, over);
  await svc.start();
  await svc.scan();
  return svc;
}

describe('LineupService with an Xtream source', () => {
  it('builds the lineup and reports provider limits', async () => {
    const s = await startWith({ maxConnections: 5 });
    expect(s.channels().map((c) => [c.guideNumber, c.name, c.epgId])).toEqual([
      ['100', 'UK: Channel 1 HD', 'Channel1.uk'],
      ['101', 'UK: Channel 2 HD', 'Channel2.uk'],
      ['102', 'UK: Channel 3 HD', 'Channel3.uk'],
      ['103', 'UK: Channel 4 HD', 'Channel4.uk'],
      ['104', 'UK: Channel 5 HD', 'Channel5.uk'],
    ]);
    const c = s.get('100')!.candidates[0]!;
    expect(c).toMatchObject({
      sourceId: 'acme',
      kind: 'ts',
      streamId: '1001',
      label: `${fake.url}/live/***/***/1001.ts`,
    });
    expect(c.url).toBe(`${fake.url}/live/${USER}/${PASS}/1001.ts`);
    expect(c.accountKey).toMatch(/^xtream:[0-9a-f]{16}$/);
    // Configured 5, provider allows 3: never above the provider.
    expect(s.sourceLimits()).toEqual([
      expect.objectContaining({
        sourceId: 'acme',
        maxConnections: 3,
        providerMaxConnections: 3,
        providerActiveConnections: 1,
        status: 'ok',
        channelCount: 5,
      }),
    ]);
    expect(s.tunerCount()).toBe(3);
    expect(s.guideInputs()).toEqual([
      expect.objectContaining({
        sourceId: 'acme',
        kind: 'xtream',
        xmltvUrls: [`${fake.url}/xmltv.php?username=${USER}&password=${PASS}`],
        playerApiUrl: `${fake.url}/player_api.php?username=${USER}&password=${PASS}`,
      }),
    ]);
    expect(JSON.stringify(s.sourceStatus())).not.toContain(PASS);
  });

  it('caps TunerCount by the global setting, and counts a shared account once', async () => {
    await writeSource(dirs, 'acme-m3u', {
      type: 'm3u',
      url: `${fake.url}/get.php?username=${USER}&password=${PASS}&type=m3u_plus`,
      maxConnections: 2,
    });
    const s = await startWith({}, { tunerCap: 10 });
    expect(s.sourceLimits().map((l) => [l.sourceId, l.maxConnections])).toEqual([
      ['acme-m3u', 2],
      ['acme', 3],
    ]);
    expect(new Set(s.sourceLimits().map((l) => l.accountKey)).size).toBe(1);
    expect(s.tunerCount()).toBe(2);
    // Same channels from both: merged into one channel with two candidates each.
    expect(s.channels()).toHaveLength(5);
    expect(s.channels()[0]!.candidates.map((c) => c.sourceId)).toEqual(['acme-m3u', 'acme']);
    await svc!.stop();
    svc = makeService(dirs, { tunerCap: 1 });
    await svc.start();
    expect(svc.tunerCount()).toBe(1);
  });

  it('keeps the last good lineup when a refresh fails, and explains why', async () => {
    const s = await startWith();
    const before = s.channels();
    fake.state.faults.player_api = { html200: 'EXPIRED' };
    expect(await s.refreshSource('acme')).toBe(false);
    expect(s.channels()).toEqual(before);
    const st = s.sourceStatus().sources[0]!;
    expect(st).toMatchObject({ status: 'error', errorCode: 'html', channelCount: 5 });
    expect(st.error).toBe(
      'tuners/acme.json: provider answered HTML with status 200 (not a player_api JSON): EXPIRED',
    );
    expect(st.nextRefresh).toBeDefined();
  });

  it('treats an empty stream list after a full one as a transient failure', async () => {
    const s = await startWith();
    fake.state.streams = [];
    expect(await s.refreshSource('acme')).toBe(false);
    expect(s.channels()).toHaveLength(5);
    expect(s.sourceStatus().sources[0]!.error).toMatch(
      /provider returned no channels; keeping the last good list/,
    );
  });

  it('serves the cached lineup after a restart with the provider down, without storing the password', async () => {
    const s = await startWith();
    const before = s.channels().map((c) => [c.guideNumber, c.name, c.candidates[0]!.url]);
    await svc!.stop();
    const cacheDir = path.join(dirs.dataDir, 'cache');
    expect(await readdir(cacheDir)).toEqual(['acme.json']);
    const cached = await readFile(path.join(cacheDir, 'acme.json'), 'utf8');
    expect(cached).not.toContain(PASS);
    expect(cached).not.toContain(USER);
    fake.state.faults.player_api = { status: 503 };
    svc = makeService(dirs);
    await svc.start();
    expect(svc.channels().map((c) => [c.guideNumber, c.name, c.candidates[0]!.url])).toEqual(before);
    await svc.scan();
    expect(svc.channels()).toHaveLength(5);
    expect(svc.sourceLimits()[0]).toMatchObject({
      status: 'error',
      error: 'tuners/acme.json: provider server error (HTTP 503)',
    });
  });

  it('reports real scan progress while sources are read, and can abort', async () => {
    await writeFile(
      path.join(dirs.root, 'p.m3u'),
      '#EXTM3U\n#EXTINF:-1,A\nhttp://a/1\n#EXTINF:-1,B\nhttp://a/2\n',
    );
    await writeSource(dirs, 'local', { type: 'm3u', file: '../p.m3u' });
    await writeSource(dirs, 'acme', {
      type: 'xtream',
      url: fake.url,
      username: USER,
      password: PASS,
      timeout: 5,
    });
    svc = makeService(dirs);
    await svc.start();
    await svc.scan();
    fake.state.faults['player_api:get_live_streams'] = { delayMs: 3000 };
    const p = svc.scan();
    expect(svc.scanStatus()).toEqual({ inProgress: true, progress: 0, found: 0 });
    // The playlist finishes (50 %) and the panel has authenticated and listed categories (+10 %).
    await waitFor(() => svc!.scanStatus().progress === 60);
    expect(svc.scanStatus()).toEqual({ inProgress: true, progress: 60, found: 2 });
    svc.abortScan();
    await p;
    expect(svc.scanStatus()).toEqual({ inProgress: false, progress: 100, found: 7 });
    expect(svc.sourceStatus().sources.map((x) => x.status)).toEqual(['ok', 'ok']);
    expect(svc.channels()).toHaveLength(7);
  });
});

describe('LineupService overrides', () => {
  it('pins, renames, disables and reorders, surviving refresh and restart', async () => {
    const s = await startWith();
    const key = s.get('101')!.key;
    await expect(s.setOverride(key, { guideNumber: '0100' })).rejects.toThrow(
      'GuideNumber 100 is already used by "UK: Channel 1 HD"',
    );
    await expect(s.setOverride(key, { guideNumber: '1-2' })).rejects.toMatchObject({ field: 'guideNumber' });
    const rec = await s.setOverride(key, {
      guideNumber: '7',
      name: 'Two',
      logo: 'http://l/2.png',
      group: 'Mine',
    });
    expect(rec).toMatchObject({
      guideNumber: '7',
      name: 'Two',
      logo: 'http://l/2.png',
      group: 'Mine',
      disabled: false,
    });
    await s.setOverride(s.get('102')!.key, { disabled: true });
    const view = () => s.channels().map((c) => `${c.guideNumber}:${c.name}`);
    expect(view()).toEqual(['7:Two', '100:UK: Channel 1 HD', '103:UK: Channel 4 HD', '104:UK: Channel 5 HD']);
    expect(s.allChannels()).toHaveLength(5);
    expect(s.get('102')).toBeUndefined();
    await s.refreshSource('acme');
    expect(view()).toEqual(['7:Two', '100:UK: Channel 1 HD', '103:UK: Channel 4 HD', '104:UK: Channel 5 HD']);
    await svc!.stop();
    svc = makeService(dirs);
    await svc.start();
    expect(svc.channels().map((c) => `${c.guideNumber}:${c.name}`)).toEqual([
      '7:Two',
      '100:UK: Channel 1 HD',
      '103:UK: Channel 4 HD',
      '104:UK: Channel 5 HD',
    ]);
    // Clearing the override keeps the number (numbers never move) but drops the rest.
    await svc.clearOverride(key);
    expect(svc.get('7')?.name).toBe('UK: Channel 2 HD');
  });

  it('merges and splits channels; split channels take the next free number', async () => {
    const s = await startWith();
    const [k1, k2] = [s.get('100')!.key, s.get('101')!.key];
    const merged = await s.mergeChannels([k1, k2]);
    expect(merged).toMatchObject({ guideNumber: '100', candidateIds: ['acme:1001', 'acme:1002'] });
    expect(s.get('101')).toBeUndefined();
    await s.setOverride(k1, { candidateOrder: ['acme:1002'] });
    expect(s.get('100')!.candidates.map((c) => c.streamId)).toEqual(['1002', '1001']);
    const split = await s.splitChannel(k1, ['acme:1002']);
    expect(split).toMatchObject({ guideNumber: '105', candidateIds: ['acme:1002'] });
    await expect(s.splitChannel(k1, ['acme:1001'])).rejects.toThrow(
      'leave at least one candidate in the original channel',
    );
    await expect(s.splitChannel(k1, ['nope:1'])).rejects.toThrow('not candidates of this channel: nope:1');
    await s.refreshSource('acme');
    expect(s.get('105')!.candidates.map((c) => c.streamId)).toEqual(['1002']);
    expect(s.get('100')!.candidates.map((c) => c.streamId)).toEqual(['1001']);
  });
});

describe('LineupService hot reload', () => {
  it('picks up added, broken, fixed and removed definition files', async () => {
    await writeFile(
      path.join(dirs.root, 'x.m3u'),
      '#EXTM3U\n#EXTINF:-1 tvg-id="Extra.uk",Extra\nhttp://e/x.ts\n',
    );
    const s = await startWith({}, { watch: true });
    expect(s.channels()).toHaveLength(5);

    let change = nextChange(s);
    await writeSource(dirs, 'extra', { type: 'm3u', file: '../x.m3u' });
    await change;
    await new Promise((r) => setTimeout(r, 100));
    expect(s.channels().map((c) => c.name)).toContain('Extra');

    // A broken edit keeps the last good definition running and reports the problem.
    await writeFile(path.join(dirs.tunersDir, 'acme.json'), '{ "type": "xtream", ');
    await waitFor(() => s.sourceStatus().problems.length > 0);
    expect(s.sourceStatus().problems[0]).toMatchObject({ file: 'tuners/acme.json', field: '' });
    expect(s.channels()).toHaveLength(6);

    change = nextChange(s);
    await rm(path.join(dirs.tunersDir, 'extra.json'));
    await change;
    expect(s.channels().map((c) => c.name)).not.toContain('Extra');

    await writeSource(dirs, 'acme', {
      type: 'xtream',
      url: fake.url,
      username: USER,
      password: PASS,
      enabled: false,
    });
    await waitFor(() => s.sourceLimits()[0]?.status === 'disabled');
    expect(s.channels()).toEqual([]);
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
