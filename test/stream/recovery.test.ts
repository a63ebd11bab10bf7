// Recovery, slate, limits, manual controls and the odd sources (other PIDs/clock, other codec,
// HLS, token redirects), each checked on the client's bytes like the failover scenarios.
import { describe, it, type ExpectStatic, type TestContext } from 'vitest';
import { probe } from '../media/ffprobe.js';
import { remapClip } from '../fake-provider/streams.js';
import { loadClips, record, rig, sleep, until, type Recording, type Rig } from './harness.js';
import type { SwitchRecord } from '../../src/stream/session-manager.js';
import { OUTPUT } from '../../src/ts/constants.js';
import { pidOf } from '../../src/ts/packet.js';

async function expectCleanOutput(
  expect: ExpectStatic,
  rec: Recording,
  r: Rig,
  minVideoFrames: number,
): Promise<void> {
  const rep = rec.check();
  expect(rep.unexpectedPids).toEqual([]);
  expect(rep.ccErrors).toBe(0);
  expect(rep.pcrViolations).toEqual([]);
  expect(rep.dtsViolations).toBe(0);
  // PAT and PMT within a few packets of every switch (PSI precedes each cut-in).
  for (const s of rep.splices) expect(s.psiAfter).toBeLessThan(50);
  expect(rec.maxSilenceMs()).toBeLessThan(1000);
  expect(r.streams.maxConcurrent('alice')).toBeLessThanOrEqual(r.limit.max);
  const p = await probe(rec.bytes());
  const video = p.streams.find((s) => s.codec_type === 'video');
  expect(video?.codec_name).toBe('h264');
  expect(Number(video?.nb_read_frames)).toBeGreaterThanOrEqual(minVideoFrames);
}

function watch(r: Rig) {
  const sw: SwitchRecord[] = [];
  const ev: string[] = [];
  r.mgr.on('switch', (s: SwitchRecord) => sw.push(s));
  for (const e of ['all-failed', 'recovered', 'session-stop']) r.mgr.on(e, () => ev.push(e));
  return { sw, ev };
}

/** A rig closed when the test ends (the test's own hook: tests here run concurrently). */
async function setup(ctx: TestContext, ...args: Parameters<typeof rig>): Promise<Rig> {
  const r = await rig(...args);
  ctx.onTestFinished(() => r.close());
  return r;
}

describe.concurrent('recovery and fallback', () => {
  it('switches back to the preferred source once it is healthy again', async (ctx) => {
    const { expect } = ctx;
    const { main } = await loadClips();
    const r = await setup(ctx, {
      a: { clip: main, fault: { kind: 'stall', afterBytes: 100_000 } },
      b: { clip: main, tsOffset: 9_000_000 },
    });
    const { sw, ev } = watch(r);
    const rec = record(r.mgr);
    await r.mgr.attach(r.channel([{ id: 'a' }, { id: 'b' }], '71'), rec.sink, { client: 'c' });
    await until(() => sw.some((s) => s.to.includes('/b')), 6000, 'failover to b');
    r.streams.plans.set('a', { clip: main }); // the preferred source comes back
    const t0 = performance.now();
    await until(() => ev.includes('recovered'), 8000, 'recovery');
    // probe interval + back-off + validation + stability, with slack for a loaded machine
    expect(performance.now() - t0).toBeLessThan(6000);
    const back = sw.at(-1)!;
    // Live to live: both ends carry their source ids beside the (masked) labels.
    expect(back).toMatchObject({ from: 's1/b', fromSource: 's1', to: 's0/a', toSource: 's0' });
    expect(back).toMatchObject({ reason: 'recovered', gapMs: 0 });
    // The first switch came from nothing: no source id on that side.
    expect(sw[0]).toMatchObject({ from: 'none', to: 's0/a', toSource: 's0' });
    expect(sw[0]!.fromSource).toBeUndefined();
    await sleep(1000);
    expect(r.mgr.sessions()[0]).toMatchObject({ state: 'live', sourceId: 's0' });
    await expectCleanOutput(expect, rec, r, 40);
  });

  it('plays the slate when every source fails, keeps retrying, then ends the stream after the hold', async (ctx) => {
    const { expect } = ctx;
    const { main } = await loadClips();
    const r = await setup(
      ctx,
      {
        a: { clip: main, fault: { kind: 'refuse' } },
        b: { clip: main, fault: { kind: 'status', status: 500 } },
      },
      { options: { allSourcesFailedHoldMs: 2500 } },
    );
    const { sw, ev } = watch(r);
    const rec = record(r.mgr);
    const ended = new Promise<void>((res) => rec.sink.on('end', () => res()));
    const t0 = performance.now();
    await r.mgr.attach(r.channel([{ id: 'a' }, { id: 'b' }]), rec.sink, { client: 'c' });
    rec.sink.resume();
    await until(() => sw.some((s) => s.to === 'slate'), 3000, 'slate');
    const toSlate = sw.find((s) => s.to === 'slate')!;
    expect([toSlate.fromSource, toSlate.toSource]).toEqual([undefined, undefined]); // no source behind it
    expect(rec.firstByteMs()).toBeLessThan(100);
    await ended;
    const total = performance.now() - t0;
    expect(total).toBeGreaterThan(2500);
    expect(total).toBeLessThan(6000);
    expect(ev).toContain('all-failed');
    expect(r.streams.opens('a')).toBeGreaterThan(1); // retried during the hold
    expect(r.mgr.tunersInUse()).toBe(0);
    await expectCleanOutput(expect, rec, r, 20);
  });

  it('never exceeds a limit of 1: the next source opens only after the old socket closed', async (ctx) => {
    const { expect } = ctx;
    const { main } = await loadClips();
    const r = await setup(
      ctx,
      {
        a: { clip: main, fault: { kind: 'stall', afterBytes: 100_000 } },
        b: { clip: main, tsOffset: 5_000_000 },
        other: { clip: main },
      },
      { maxConnections: 1 },
    );
    const { sw } = watch(r);
    const rec = record(r.mgr);
    const ch = r.channel([{ id: 'a' }, { id: 'b' }]);
    await r.mgr.attach(ch, rec.sink, { client: 'c1' });
    // A second client of the same channel joins without a new slot.
    const rec2 = record();
    expect((await r.mgr.attach(ch, rec2.sink, { client: 'c2' })).ok).toBe(true);
    // Another channel on the same account gets 805.
    const res = await r.mgr.attach(r.channel([{ id: 'other' }], '8'), record().sink, { client: 'c3' });
    expect(res).toMatchObject({ ok: false, status: 503, code: 805 });
    await until(() => sw.some((s) => s.to.includes('/b')), 6000, 'failover to b');
    await sleep(1000);
    expect(r.streams.maxConcurrent('alice')).toBe(1);
    await expectCleanOutput(expect, rec, r, 30);
  });

  it('splices a source with other PIDs and another clock into the same output program', async (ctx) => {
    const { expect } = ctx;
    const { main } = await loadClips();
    // Same programme, another layout (PIDs 0x1100/0x300/0x301) and a clock 50 000 s away.
    const other = remapClip(main, { pmt: 0x1100, video: 0x300, audio: 0x301 });
    const r = await setup(ctx, {
      a: { clip: main, fault: { kind: 'eof', afterBytes: 120_000 } },
      b: { clip: other, tsOffset: 50_000 * 90_000 },
    });
    const { sw } = watch(r);
    const rec = record(r.mgr);
    await r.mgr.attach(r.channel([{ id: 'a' }, { id: 'b' }]), rec.sink, { client: 'c' });
    await until(() => sw.some((s) => s.to.includes('/b')), 6000, 'failover to b');
    await sleep(2000);
    const rep = rec.check();
    expect(rep.pids.filter((p) => p !== 0x1fff).sort()).toEqual(
      [0, OUTPUT.videoPid, OUTPUT.audioPid, OUTPUT.pmtPid].sort(),
    );
    expect(rep.splices.length).toBeGreaterThan(0);
    expect(rep.pcrViolations).toEqual([]); // the other clock was rebased onto ours
    await expectCleanOutput(expect, rec, r, 40);
  });

  it('skips a source whose codecs differ from the channel when no normaliser is configured', async (ctx) => {
    const { expect } = ctx;
    const { main, mpeg2 } = await loadClips();
    const r = await setup(ctx, {
      a: { clip: main, fault: { kind: 'eof', afterBytes: 120_000 } },
      b: { clip: mpeg2 },
      c: { clip: main, tsOffset: 7_000_000 },
    });
    const { sw } = watch(r);
    const rec = record(r.mgr);
    await r.mgr.attach(r.channel([{ id: 'a' }, { id: 'b' }, { id: 'c' }]), rec.sink, { client: 'c' });
    await until(() => sw.some((s) => s.to.includes('/c')), 8000, 'failover to c');
    await sleep(1000);
    expect(sw.some((s) => s.to.includes('/b'))).toBe(false);
    expect(r.streams.opens('b')).toBeGreaterThan(0); // it was tried and rejected at the gate
    const p = await probe(rec.bytes());
    expect(p.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    await expectCleanOutput(expect, rec, r, 30);
  });

  it('follows token redirects and plays an AES-128 HLS source with discontinuities as one clean stream', async (ctx) => {
    const { expect } = ctx;
    const { main } = await loadClips();
    const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const r = await setup(
      ctx,
      { h: { clip: main, hls: { aesKey: key, discontinuityEvery: 2, window: 3 } } },
      { streamRedirect: true },
    );
    const { sw } = watch(r);
    const rec = record(r.mgr);
    await r.mgr.attach(r.channel([{ id: 'h', ext: 'm3u8', kind: 'auto' }]), rec.sink, { client: 'c' });
    await until(() => sw.length > 0, 6000, 'live');
    await sleep(9000); // crosses at least one discontinuity (8 s segments)
    expect(r.mgr.sessions()[0]).toMatchObject({ state: 'live', upstreamKind: 'hls' });
    expect(r.fake.state.requests.some((q) => q.path.startsWith('/sauth/'))).toBe(true);
    await expectCleanOutput(expect, rec, r, 150);
  }, 20_000);

  it('gives a cold client bytes at once and keepalive/slate while the first source hangs', async (ctx) => {
    const { expect } = ctx;
    const { main } = await loadClips();
    const r = await setup(
      ctx,
      { a: { clip: main, fault: { kind: 'slowHeaders', delayMs: 3000 } }, b: { clip: main } },
      { options: { autoFallback: false } },
    );
    const rec = record(r.mgr);
    await r.mgr.attach(r.channel([{ id: 'a' }, { id: 'b' }]), rec.sink, { client: 'c' });
    await sleep(2500);
    expect(rec.firstByteMs()).toBeLessThan(50);
    expect(pidOf(rec.bytes(), 0)).toBe(0); // the fixed PAT first, not just null packets
    expect(rec.maxSilenceMs()).toBeLessThan(1000);
    expect(r.mgr.sessions()[0]?.state).toBe('slate');
    expect(r.streams.opens('b')).toBe(0); // auto fallback off: only the preferred source is tried
  });

  it('manual controls: force a switch, manual fallback, kill', async (ctx) => {
    const { expect } = ctx;
    const { main } = await loadClips();
    const r = await setup(
      ctx,
      { a: { clip: main }, b: { clip: main, tsOffset: 4_000_000 } },
      { options: { probeIntervalMs: 300 } },
    );
    const { sw } = watch(r);
    const rec = record(r.mgr);
    const ended = new Promise<void>((res) => rec.sink.on('end', () => res()));
    rec.sink.resume();
    await r.mgr.attach(r.channel([{ id: 'a' }, { id: 'b' }]), rec.sink, { client: 'c' });
    await until(() => sw.length === 1, 4000, 'live');
    expect(r.mgr.forceSwitch('7', 's1')).toBe(true);
    await until(() => sw.length === 2, 4000, 'forced switch');
    expect(sw[1]).toMatchObject({
      to: 's1/b',
      toSource: 's1',
      from: 's0/a',
      fromSource: 's0',
      reason: 'manual',
    });
    await sleep(1500); // pinned: no switch back although the preferred source is fine
    expect(sw).toHaveLength(2);
    r.mgr.setManualFallback(true);
    expect(r.mgr.fallbackState()).toEqual({ manual: true, auto: true });
    await sleep(1500);
    expect(r.mgr.sessions()[0]?.sourceId).toBe('s1'); // manual fallback keeps it off the preferred
    r.mgr.setManualFallback(false);
    await until(() => r.mgr.sessions()[0]?.sourceId === 's0', 5000, 'back on the preferred source');
    expect(r.mgr.kill('7')).toBe(true);
    await ended;
    expect(r.mgr.forceSwitch('7')).toBe(false);
    await until(() => r.streams.openCount('alice') === 0, 2000, 'upstreams closed');
    await expectCleanOutput(expect, rec, r, 40);
  });

  it('lingers after the last client, then closes the upstream', async (ctx) => {
    const { expect } = ctx;
    const { main } = await loadClips();
    const r = await setup(ctx, { a: { clip: main } }, { options: { lingerMs: 800 } });
    const rec = record(r.mgr);
    const ch = r.channel([{ id: 'a' }]);
    await r.mgr.attach(ch, rec.sink, { client: 'c' });
    await sleep(500);
    rec.sink.destroy();
    await sleep(400);
    expect(r.mgr.tunersInUse()).toBe(1);
    const again = record();
    await r.mgr.attach(ch, again.sink, { client: 'c2' }); // rejoins the lingering session
    expect(r.streams.opens('a')).toBe(1);
    expect(again.firstByteMs() ?? 0).toBeLessThan(50);
    again.sink.destroy();
    await until(() => r.mgr.tunersInUse() === 0, 2000, 'session end');
    await until(() => r.streams.openCount('alice') === 0, 1000, 'upstream closed');
  });
});
