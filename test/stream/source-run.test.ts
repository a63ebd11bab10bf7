import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { demoClips } from '../../src/media/assets.js';
import type { StreamCandidate } from '../../src/model.js';
import { SourceRun, type RunFailure } from '../../src/stream/source-run.js';
import type { Upstream, UpstreamSink } from '../../src/stream/upstream/types.js';
import { TsChecker } from '../../src/ts/checker.js';
import { Splicer } from '../../src/ts/splicer.js';

const candidate: StreamCandidate = {
  sourceId: 's0',
  accountKey: 'a',
  url: 'http://127.0.0.1:1/never',
  label: 's0',
  headers: {},
  priority: 0,
  name: 's0',
  streamId: '0',
  quality: 0,
  kind: 'ts',
};

/** A source run on a hand-fed upstream, its live bytes spliced, on a hand-moved clock. */
async function liveRun() {
  let sink: UpstreamSink | undefined;
  const upstream: Upstream = { kind: 'ts', start: (s) => (sink = s), close: async () => {} };
  const clock = { t: 0 };
  const splicer = new Splicer({ now: () => clock.t });
  const checker = new TsChecker();
  const failures: RunFailure[] = [];
  let ready = false;
  let layout = false;
  const run = new SourceRun(
    candidate,
    'live',
    undefined,
    { stallMs: 2000, validateTimeoutMs: 5000, maxBufferBytes: 32 << 20 },
    {
      ready: () => (ready = true),
      layout: () => (layout = true),
      data: (_r, bytes) => checker.push(splicer.push(bytes).data),
      splice: () => {},
      failed: (_r, f) => failures.push(f),
    },
    () => clock.t,
    false,
  );
  run.start(async () => upstream);
  await new Promise((r) => setImmediate(r));
  return {
    run,
    feed: (b: Buffer) => sink!.data(b),
    clock,
    splicer,
    checker,
    failures,
    isReady: () => ready,
    hasLayout: () => layout,
  };
}

describe('SourceRun going live', () => {
  it('hands the splicer the gate buffer plus the partial packet it held, then raw bytes: no sync lost', async () => {
    const clip = await readFile(demoClips()[0]!.file);
    const r = await liveRun();
    let o = 0;
    for (; o < clip.length && !r.isReady(); o += 1001) r.feed(Buffer.from(clip.subarray(o, o + 1001)));
    expect(r.isReady()).toBe(true);
    expect(o % 188).not.toBe(0); // the gate stopped mid-packet
    r.splicer.begin('s0#1');
    for (const b of r.run.goLive(() => r.splicer.health)) r.checker.push(r.splicer.push(b).data);
    for (; o < clip.length; o += 777) r.feed(Buffer.from(clip.subarray(o, o + 777)));
    r.checker.push(r.splicer.flush().data);
    const rep = r.checker.report();
    expect(r.splicer.health.corruptPackets).toBe(0);
    expect(rep.syncLossBytes).toBe(0);
    expect(rep.ccErrors + rep.dtsViolations + rep.pcrViolations.length).toBe(0);
    expect(rep.packets).toBeGreaterThan(clip.length / 188 / 2);
  });

  it('reports the layout as soon as the gate has parsed the PMT, before the source is valid', async () => {
    const clip = await readFile(demoClips()[0]!.file);
    const r = await liveRun();
    let layoutAt = -1;
    for (let o = 0; o < clip.length && !r.isReady(); o += 188) {
      r.feed(Buffer.from(clip.subarray(o, o + 188)));
      if (layoutAt < 0 && r.hasLayout()) layoutAt = o;
      if (r.isReady()) expect(layoutAt).toBeLessThan(o);
    }
    expect(r.isReady()).toBe(true);
    expect(r.run.analyzer.state.pmt?.streams.map((s) => s.kind)).toEqual(['video', 'audio']);
  });

  it('fails a live source on runaway damage seen by the splicer, without a second parser', async () => {
    const clip = await readFile(demoClips()[0]!.file);
    const r = await liveRun();
    let o = 0;
    for (; o < clip.length && !r.isReady(); o += 188 * 50)
      r.feed(Buffer.from(clip.subarray(o, o + 188 * 50)));
    r.splicer.begin('s0#1');
    for (const b of r.run.goLive(() => r.splicer.health)) r.splicer.push(b);
    // Every other packet now arrives flagged as damaged (TEI).
    for (let t = 0; t <= 1500; t += 50) {
      r.clock.t = t;
      const chunk = Buffer.from(
        clip.subarray(o % (clip.length - 188 * 60), (o % (clip.length - 188 * 60)) + 188 * 60),
      );
      for (let p = 0; p < chunk.length; p += 376) chunk[p + 1] = chunk[p + 1]! | 0x80;
      o += chunk.length;
      r.feed(chunk);
      r.run.check(t);
    }
    expect(r.failures.map((f) => f.reason)).toEqual(['corrupt']);
  });

  it('gives HLS one target duration more to validate, read once the playlist is known, also through ffmpeg', async () => {
    for (const kind of ['ts', 'hls', 'ffmpeg(hls,copy/copy)']) {
      // The target duration is unknown when the run starts, as a real playlist is parsed after start().
      const upstream = {
        kind,
        targetDuration: undefined as number | undefined,
        start: () => {},
        close: async () => {},
      };
      const clock = { t: 0 };
      const failures: RunFailure[] = [];
      const run = new SourceRun(
        { ...candidate, kind: kind === 'ts' ? 'ts' : 'hls' },
        'live',
        undefined,
        { stallMs: 2000, validateTimeoutMs: 3000, maxBufferBytes: 32 << 20 },
        { ready: () => {}, data: () => {}, splice: () => {}, failed: (_r, f) => failures.push(f) },
        () => clock.t,
        false,
      );
      run.start(async () => upstream);
      await new Promise((r) => setImmediate(r));
      upstream.targetDuration = 10;
      clock.t = 3500;
      run.check(clock.t);
      expect(
        failures.map((f) => f.reason),
        kind,
      ).toEqual(kind === 'ts' ? ['validate-timeout'] : []);
      clock.t = 12_500;
      run.check(clock.t);
      expect(failures.length, kind).toBe(kind === 'ts' ? 1 : 0);
      clock.t = 13_500;
      run.check(clock.t);
      expect(
        failures.map((f) => f.reason),
        kind,
      ).toEqual(['validate-timeout']);
    }
  });
});
