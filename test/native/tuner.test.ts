import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GetSetRequest } from '../../src/hdhr/control.js';
import { silentLogger } from '../../src/log.js';
import { createNativeTuning, type NativeTuning } from '../../src/native/index.js';
import { CaptureOutput, channel, FakeLineup, FakeSessions, tick } from './helpers.js';

let dir: string;
let lineup: FakeLineup;
let sessions: FakeSessions;
let outputs: CaptureOutput[];
let native: NativeTuning;

const A = channel('alpha', '5.1', 'Alpha');
const B = channel('beta', '7', 'Beta');

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tb-native-'));
  lineup = new FakeLineup([A, B]);
  sessions = new FakeSessions(2);
  outputs = [];
  native = await createNativeTuning({
    lineup,
    sessions,
    dataDir: dir,
    logger: silentLogger,
    psiIntervalMs: 10,
    retryMs: 30,
    createOutput: () => {
      const o = new CaptureOutput();
      outputs.push(o);
      return o;
    },
  });
});

afterEach(async () => {
  await native.close();
  await rm(dir, { recursive: true, force: true });
});

const PEER = '10.0.0.2';
function gs(name: string, value?: string, lockkey?: number) {
  const req: GetSetRequest = {
    name,
    peer: PEER,
    ...(value !== undefined ? { value } : {}),
    ...(lockkey ? { lockkey } : {}),
  };
  return native.variables.getset(req);
}
const get = (name: string) => gs(name);
const set = (name: string, value: string, lockkey?: number) => gs(name, value, lockkey);

describe('virtual RF plan', () => {
  it('is persisted and published', async () => {
    const file = JSON.parse(await readFile(path.join(dir, 'rf-plan.json'), 'utf8')) as unknown;
    expect(file).toEqual({
      version: 1,
      channelMap: 'us-cable',
      channels: {
        alpha: { rf: 158, program: 1, name: 'Alpha' },
        beta: { rf: 157, program: 1, name: 'Beta' },
      },
    });
    expect(native.channelMap().muxes.map((m) => [m.frequency, m.programs[0]!.guideNumber])).toEqual([
      [993_000_000, '7'],
      [999_000_000, '5.1'],
    ]);
  });

  it('gives a channel added later the next frequency, and keeps earlier ones, across a restart', async () => {
    lineup.set([channel('gamma', '9', 'Gamma'), B, A]);
    await native.close();
    native = await createNativeTuning({ lineup, sessions, dataDir: dir, logger: silentLogger });
    const byGn = Object.fromEntries(
      native.channelMap().muxes.map((m) => [m.programs[0]!.guideNumber, m.channel]),
    );
    expect(byGn).toEqual({ '5.1': 158, '7': 157, '9': 156 });
  });
});

describe('tuning and status', () => {
  it('reports an idle tuner, then lock on a planned frequency and no signal elsewhere', () => {
    expect(get('/tuner0/status')).toEqual({ value: 'ch=none lock=none ss=0 snq=0 seq=0 bps=0 pps=0' });
    expect(set('/tuner0/channel', 'auto:999000000')).toEqual({ value: 'auto:999000000' });
    expect(get('/tuner0/status')).toEqual({
      value: 'ch=auto:999000000 lock=qam256 ss=100 snq=100 seq=100 bps=38810700 pps=0',
    });
    expect(get('/tuner0/streaminfo')).toEqual({ value: '1: 5.1 Alpha\ntsid=0x009E\n' });
    expect(set('/tuner0/channel', 'auto6t:57000000')).toEqual({ value: 'auto6t:57000000' });
    expect(get('/tuner0/status')).toEqual({
      value: 'ch=auto6t:57000000 lock=none ss=0 snq=0 seq=0 bps=0 pps=0',
    });
    expect(get('/tuner0/streaminfo')).toEqual({ value: 'none\n' });
  });

  it('vchannel tunes the frequency and program of a GuideNumber', () => {
    expect(set('/tuner1/vchannel', '7')).toEqual({ value: '7' });
    expect(get('/tuner1/channel')).toEqual({ value: 'auto:993000000' });
    expect(get('/tuner1/program')).toEqual({ value: '1' });
    expect(get('/tuner1/vstatus')).toEqual({
      value: 'vch=7 name=Beta auth=unspecified cci=unrestricted cgms=unrestricted',
    });
    expect(get('/tuner1/filter')).toEqual({ value: '0x0000 0x0100-0x010f 0x1001 0x1ffb' });
    expect(set('/tuner1/vchannel', '99')).toEqual({ error: 'ERROR: invalid vchannel' });
  });

  it('does not open an upstream without a target, nor for a PSI-only filter', async () => {
    set('/tuner0/channel', 'auto:999000000');
    await tick(20);
    expect(sessions.attached).toHaveLength(0);
    set('/tuner0/filter', '0x0000');
    set('/tuner0/target', 'udp://10.0.0.2:5000');
    set('/tuner0/filter', '0x0000-0x0001 0x1001 0x1ffb');
    await tick(120); // the VCT goes out every 5th carousel round
    expect(sessions.attached).toHaveLength(0);
    const pids = new Set(outputs[0]!.pids());
    expect([...pids].sort((a, b) => a - b)).toEqual([0x0000, 0x1001, 0x1ffb]);
  });

  it('opens the program when its elementary PIDs enter the filter, on its own tuner index', async () => {
    set('/tuner1/channel', 'auto:999000000');
    set('/tuner1/target', 'rtp://10.0.0.2:5000');
    set('/tuner1/filter', '0x0000 0x0100-0x0101 0x1001');
    await tick(30);
    expect(sessions.live()).toHaveLength(1);
    expect(sessions.live()[0]).toMatchObject({ channel: { key: 'alpha' }, tuner: 1, opts: { tuner: 1 } });
    expect(sessions.live()[0]!.opts.client).toMatch(/^native\/tuner1\//);
    const pids = outputs[0]!.pids();
    expect(pids).toContain(0x100);
    expect(pids).toContain(0x101);
    expect(pids).not.toContain(0x11); // the session's SDT is not passed
  });

  it('target none stops streaming and frees the pool tuner', async () => {
    set('/tuner0/vchannel', '5.1');
    set('/tuner0/target', 'udp://10.0.0.2:5000');
    await tick(20);
    expect(sessions.live()).toHaveLength(1);
    expect(set('/tuner0/target', 'none')).toEqual({ value: 'none' });
    await tick(5);
    expect(sessions.live()).toHaveLength(0);
    expect(outputs[0]!.closed).toBe(true);
  });

  it('opens at most one upstream per tuner for a multi-program mux with a full filter', async () => {
    lineup.set([A, B, ...Array.from({ length: 160 }, (_, i) => channel(`x${i}`, String(100 + i), `X${i}`))]);
    const mux = native.channelMap().muxes.find((m) => m.programs.length > 1)!;
    set('/tuner0/channel', `auto:${mux.frequency}`);
    set('/tuner0/target', 'udp://10.0.0.2:5000');
    await tick(30);
    expect(sessions.live()).toHaveLength(1);
    expect(get('/tuner0/streaminfo')).toEqual({
      value: `${mux.programs.map((p) => `${p.program}: ${p.guideNumber} ${p.name}\n`).join('')}tsid=0x${mux.tsid.toString(16).toUpperCase().padStart(4, '0')}\n`,
    });
  });

  it('marks a program "(no data)" when no tuner or connection is free, and retries', async () => {
    sessions.failNext.push({ code: 805, text: 'All Tuners In Use' });
    set('/tuner0/vchannel', '5.1');
    set('/tuner0/target', 'udp://10.0.0.2:5000');
    await tick(5);
    expect(get('/tuner0/streaminfo')).toEqual({ value: '1: 5.1 Alpha (no data)\ntsid=0x009E\n' });
    expect((get('/tuner0/debug') as { value: string }).value).toContain(
      'prog: 1 vch=5.1 failed (805 All Tuners In Use)',
    );
    await tick(80);
    expect(sessions.live()).toHaveLength(1);
    expect(get('/tuner0/streaminfo')).toEqual({ value: '1: 5.1 Alpha\ntsid=0x009E\n' });
  });

  it('takes another pool tuner when its own index is busy', async () => {
    await native.close();
    lineup = new FakeLineup(
      [A, B, ...Array.from({ length: 160 }, (_, i) => channel(`x${i}`, String(100 + i), `X${i}`))],
      { tuners: 3 },
    );
    sessions = new FakeSessions(3);
    native = await createNativeTuning({
      lineup,
      sessions,
      dataDir: dir,
      logger: silentLogger,
      maxProgramsPerTuner: 2,
      createOutput: () => new CaptureOutput(),
    });
    const mux = native.channelMap().muxes.find((m) => m.programs.length > 1)!;
    // tuner1 streams two programs: the first on pool tuner 1, the second on the first free one (0).
    set('/tuner1/channel', `auto:${mux.frequency}`);
    set('/tuner1/target', 'udp://10.0.0.2:5000');
    await tick(10);
    expect(sessions.live().map((a) => [a.opts.tuner, a.tuner])).toEqual([
      [1, 1],
      [undefined, 0],
    ]);
    // tuner0 finds its index taken by tuner1's second program (not an HTTP client: not locked).
    expect(set('/tuner0/vchannel', '5.1')).toEqual({ value: '5.1' });
    set('/tuner0/target', 'udp://10.0.0.2:5001');
    await tick(10);
    expect(sessions.live().map((a) => a.tuner)).toEqual([1, 0, 2]);
    const info = (get('/tuner0/streaminfo') as { value: string }).value;
    expect(info).toMatch(/^1: 5\.1 Alpha\n/);
    expect(info).not.toContain('no data');
  });
});

describe('locks', () => {
  it('a lock key guards every set; gets stay open; none/force release', () => {
    expect(get('/tuner0/lockkey')).toEqual({ value: 'none' });
    expect(set('/tuner0/lockkey', '12345')).toEqual({ value: PEER });
    expect(set('/tuner0/channel', 'auto:999000000')).toEqual({ error: `ERROR: resource locked by ${PEER}` });
    expect(set('/tuner0/channel', 'auto:999000000', 999)).toEqual({
      error: `ERROR: resource locked by ${PEER}`,
    });
    expect(set('/tuner0/channel', 'auto:999000000', 12345)).toEqual({ value: 'auto:999000000' });
    expect(get('/tuner0/channel')).toEqual({ value: 'auto:999000000' });
    expect(set('/tuner0/lockkey', '777')).toEqual({ error: `ERROR: resource locked by ${PEER}` });
    expect(set('/tuner0/lockkey', '777', 12345)).toEqual({ value: PEER });
    expect(set('/tuner0/lockkey', 'none', 12345)).toEqual({ error: `ERROR: resource locked by ${PEER}` });
    expect(set('/tuner0/lockkey', 'none', 777)).toEqual({ value: 'none' });
    set('/tuner0/lockkey', '5', undefined);
    expect(set('/tuner0/lockkey', 'force')).toEqual({ value: 'none' });
    expect(set('/tuner1/lockkey', 'abc')).toEqual({ error: 'ERROR: invalid lockkey' });
  });

  it('a tuner streaming to an HTTP client is locked by that client, and reports its channel', () => {
    sessions.http.set(0, { guideNumber: '7', address: '::ffff:10.0.0.9:41000' });
    expect(get('/tuner0/lockkey')).toEqual({ value: '10.0.0.9' });
    expect(get('/tuner0/status')).toEqual({
      value: 'ch=auto:993000000 lock=qam256 ss=100 snq=100 seq=100 bps=38810700 pps=0',
    });
    expect(set('/tuner0/lockkey', '1')).toEqual({ error: 'ERROR: resource locked by 10.0.0.9' });
    expect(set('/tuner0/channel', 'auto:999000000')).toEqual({ error: 'ERROR: resource locked by 10.0.0.9' });
    expect(set('/tuner1/lockkey', '1')).toEqual({ value: PEER });
  });
});

describe('variables', () => {
  it('read-only variables refuse a set; unknown tuners and names fall through', () => {
    for (const v of ['status', 'streaminfo', 'vstatus', 'debug']) {
      expect(set(`/tuner0/${v}`, 'x')).toEqual({ error: 'ERROR: variable is read-only' });
    }
    expect(get('/tuner2/status')).toBeUndefined();
    expect(get('/tuner0/bogus')).toBeUndefined();
    expect(get('/sys/model')).toBeUndefined();
  });

  it('/lineup/scan reports and starts a lineup refresh', () => {
    expect(get('/lineup/scan')).toEqual({ value: 'state=complete progress=100% found=2' });
    expect(set('/lineup/scan', 'start')).toEqual({ value: 'state=complete progress=100% found=2' });
    expect(lineup.scans).toBe(1);
    expect(set('/lineup/scan', 'bogus')).toEqual({ error: 'ERROR: invalid value' });
  });

  it('channelmap is per tuner and changes how channel numbers are read', () => {
    expect(get('/tuner0/channelmap')).toEqual({ value: 'us-cable' });
    expect(set('/tuner0/channelmap', 'us-bcast')).toEqual({ value: 'us-bcast' });
    expect(set('/tuner0/channel', 'auto:51')).toEqual({ value: 'auto:695000000' });
    expect(get('/tuner1/channelmap')).toEqual({ value: 'us-cable' });
    expect(set('/tuner0/channelmap', 'xx-cable')).toEqual({ error: 'ERROR: invalid channelmap' });
  });

  it('the PAT lists only the chosen program and its filter follows', async () => {
    lineup.set([A, B, ...Array.from({ length: 160 }, (_, i) => channel(`x${i}`, String(100 + i), `X${i}`))]);
    const mux = native.channelMap().muxes.find((m) => m.programs.length > 1)!;
    set('/tuner0/channel', `auto:${mux.frequency}`);
    expect(set('/tuner0/program', '2')).toEqual({ value: '2' });
    expect(get('/tuner0/filter')).toEqual({ value: '0x0000 0x0110-0x011f 0x1002 0x1ffb' });
    expect(set('/tuner0/program', 'x')).toEqual({ error: 'ERROR: invalid program' });
    set('/tuner0/target', 'udp://10.0.0.2:5000');
    await tick(20);
    expect(sessions.live()).toHaveLength(1);
    expect(sessions.live()[0]!.channel.guideNumber).toBe(mux.programs[1]!.guideNumber);
    expect(new Set(outputs[0]!.pids())).toEqual(new Set([0, 0x1002, 0x1ffb, 0x110, 0x111]));
  });
});
