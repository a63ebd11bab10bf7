// End to end without third-party programs: native tuning on the real SessionManager playing the
// built-in demo clips, streaming over real UDP/RTP on 127.0.0.1, decoded by the npm ffprobe.
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { GetSetRequest } from '../../src/hdhr/control.js';
import { silentLogger } from '../../src/log.js';
import type { Channel, SourceLimit } from '../../src/model.js';
import { createNativeTuning, type NativeTuning } from '../../src/native/index.js';
import { DEFAULT_STREAMING, SessionManager } from '../../src/stream/session-manager.js';
import { parsePat, parsePmt } from '../../src/ts/psi.js';
import { SectionAssembler } from '../../src/ts/section-assembler.js';
import { probe } from '../media/ffprobe.js';
import { FakeLineup, tick } from './helpers.js';

function demo(n: string, id: string, name: string): Channel {
  return {
    key: id,
    guideNumber: n,
    name,
    hd: true,
    candidates: [
      {
        sourceId: 'demo',
        accountKey: 'demo',
        url: `demo:${id}`,
        label: `demo:${id}`,
        headers: {},
        priority: 0,
        name,
        streamId: id,
        quality: 0,
        kind: 'loop',
      },
    ],
  };
}

const limit = (n: number): SourceLimit => ({
  sourceId: 'demo',
  name: 'Demo',
  accountKey: 'demo',
  maxConnections: n,
  enabled: true,
  status: 'ok',
  channelCount: 3,
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(
  tuners: number,
): Promise<{ mgr: SessionManager; native: NativeTuning; lineup: FakeLineup }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tb-native-stream-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const lineup = new FakeLineup(
    [demo('1', 'test-pattern', 'Test Pattern'), demo('2', 'colour-bars', 'Colour Bars')],
    { tuners },
  );
  const mgr = new SessionManager({
    options: { ...DEFAULT_STREAMING, lingerMs: 100 },
    limits: () => [limit(tuners)],
    tunerCount: () => lineup.tunerCount(),
    logger: silentLogger,
  });
  cleanups.push(() => mgr.close());
  const native = await createNativeTuning({ lineup, sessions: mgr, dataDir: dir, logger: silentLogger });
  cleanups.push(() => native.close());
  return { mgr, native, lineup };
}

async function receiver(): Promise<{ port: number; got: Buffer[] }> {
  const sock = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  cleanups.push(() => sock.close());
  return { port: sock.address().port, got };
}

const gs = (native: NativeTuning, name: string, value?: string) =>
  native.variables.getset({
    name,
    peer: '127.0.0.1',
    ...(value === undefined ? {} : { value }),
  } as GetSetRequest);

function sectionsOf(ts: Buffer, pid: number): Buffer[] {
  const asm = new SectionAssembler();
  const out: Buffer[] = [];
  for (let o = 0; o + 188 <= ts.length; o += 188) {
    if ((((ts[o + 1]! & 0x1f) << 8) | ts[o + 2]!) === pid) out.push(...asm.push(ts, o));
  }
  return out;
}

describe('native streaming from the demo channels', () => {
  it('vchannel + rtp target: 7-packet RTP datagrams that decode as H.264 + AAC', async () => {
    const { native, mgr } = await setup(2);
    const rx = await receiver();
    expect(gs(native, '/tuner0/vchannel', '2')).toEqual({ value: '2' });
    expect(gs(native, '/tuner0/target', `rtp://127.0.0.1:${rx.port}`)).toEqual({
      value: `rtp://127.0.0.1:${rx.port}`,
    });
    await tick(2500);
    expect(gs(native, '/tuner0/status')).toMatchObject({
      value: expect.stringMatching(/lock=qam256 ss=100/),
    });
    expect(mgr.sessions().map((s) => [s.guideNumber, s.tuner])).toEqual([['2', 0]]);
    expect(rx.got.length).toBeGreaterThan(50);
    expect(rx.got.every((d) => d.length === 12 + 1316 && d[1] === 33)).toBe(true);
    const seq = rx.got.map((d) => d.readUInt16BE(2));
    expect(seq.every((s, i) => i === 0 || s === ((seq[i - 1]! + 1) & 0xffff))).toBe(true);
    const ts = Buffer.concat(rx.got.map((d) => d.subarray(12)));
    const pat = parsePat(sectionsOf(ts, 0)[0]!);
    expect(pat.ok && pat.value.programs).toEqual([{ programNumber: 1, pmtPid: 0x1001 }]);
    const pmt = parsePmt(sectionsOf(ts, 0x1001)[0]!);
    expect(pmt.ok && pmt.value.streams.map((s) => [s.pid, s.codec])).toEqual([
      [0x100, 'h264'],
      [0x101, 'aac'],
    ]);
    const p = await probe(ts);
    const video = p.streams.find((s) => s.codec_type === 'video');
    expect(video?.codec_name).toBe('h264');
    expect(Number(video?.nb_read_frames)).toBeGreaterThan(20);
    expect(p.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('aac');

    expect(gs(native, '/tuner0/target', 'none')).toEqual({ value: 'none' });
    await tick(300);
    expect(mgr.sessions()).toEqual([]); // the pool tuner is free again once the session lingered out
  });

  it('control-protocol and HTTP-style clients share one TunerCount', async () => {
    const { native, mgr } = await setup(1);
    const rx = await receiver();
    gs(native, '/tuner0/channel', 'auto:999000000');
    gs(native, '/tuner0/program', '1');
    gs(native, '/tuner0/target', `udp://127.0.0.1:${rx.port}`);
    await tick(300);
    expect(mgr.sessions().map((s) => s.tuner)).toEqual([0]);
    // Another channel from an HTTP client: the only tuner is ours.
    const sink = new PassThrough();
    sink.resume();
    const r = await mgr.attach(demo('2', 'colour-bars', 'Colour Bars'), sink, { client: '10.1.1.1:5555' });
    expect(r).toMatchObject({ ok: false, status: 503, code: 805 });
    // The HTTP client takes the tuner once we let go; then our tuner is locked by it.
    gs(native, '/tuner0/target', 'none');
    await tick(300);
    const ac = new AbortController();
    cleanups.push(() => ac.abort());
    const r2 = await mgr.attach(demo('2', 'colour-bars', 'Colour Bars'), sink, {
      client: '10.1.1.1:5555',
      signal: ac.signal,
    });
    expect(r2.ok).toBe(true);
    expect(gs(native, '/tuner0/lockkey')).toEqual({ value: '10.1.1.1' });
    expect(gs(native, '/tuner0/channel', 'auto:993000000')).toEqual({
      error: 'ERROR: resource locked by 10.1.1.1',
    });
    expect(gs(native, '/tuner0/status')).toEqual({
      value: 'ch=auto:993000000 lock=qam256 ss=100 snq=100 seq=100 bps=38810700 pps=0',
    });
  });
});
