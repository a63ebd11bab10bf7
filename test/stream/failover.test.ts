// Failover scenarios against the fake provider: the preferred source misbehaves in one way,
// the client must end up on the next source with a clean, continuous output, never more than
// a second without bytes, and the provider must never see more connections than the limit.
import { describe, it, type ExpectStatic } from 'vitest';
import { probe } from '../media/ffprobe.js';
import { loadClips, record, rig, sleep, until, type Recording, type Rig } from './harness.js';
import type { StreamFault } from '../fake-provider/streams.js';
import type { SwitchRecord } from '../../src/stream/session-manager.js';

/** What every scenario must satisfy, whatever happened upstream. */
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
  expect(rep.patCount).toBeGreaterThan(0);
  // PAT and PMT within a few packets of every switch (PSI precedes each cut-in).
  for (const s of rep.splices) expect(s.psiAfter).toBeLessThan(50);
  expect(rec.maxSilenceMs()).toBeLessThan(1000);
  expect(r.streams.maxConcurrent('alice')).toBeLessThanOrEqual(r.limit.max);
  const p = await probe(rec.bytes());
  const video = p.streams.find((s) => s.codec_type === 'video');
  expect(video?.codec_name).toBe('h264');
  expect(Number(video?.nb_read_frames)).toBeGreaterThanOrEqual(minVideoFrames);
}

function switches(r: Rig): SwitchRecord[] {
  const out: SwitchRecord[] = [];
  r.mgr.on('switch', (s: SwitchRecord) => out.push(s));
  return out;
}

const faults: [string, StreamFault, RegExp][] = [
  ['connection refused', { kind: 'refuse' }, /reset|refused/],
  ['HTTP 404', { kind: 'status', status: 404 }, /http-status/],
  ['HTTP 503', { kind: 'status', status: 503 }, /http-status/],
  ['HTML with 200', { kind: 'html200', contentType: 'video/mp2t' }, /not-ts/],
  ['slow headers', { kind: 'slowHeaders', delayMs: 5000 }, /timeout/],
  ['stall after 200 KB', { kind: 'stall', afterBytes: 200_000 }, /stall/],
  ['EOF after 200 KB', { kind: 'eof', afterBytes: 200_000 }, /eof/],
  ['reset after 200 KB', { kind: 'reset', afterBytes: 200_000 }, /reset|eof/],
  ['corrupt packets', { kind: 'corrupt', everyNth: 3, afterBytes: 200_000 }, /corrupt/],
];

describe.concurrent('failover from a faulty preferred source', () => {
  it.for(faults)('%s → next source, clean output', async ([, fault, reason], { expect, onTestFinished }) => {
    const { main } = await loadClips();
    // No recovery probes here: a source that fails after a while would pass a short probe.
    const r = await rig(
      { bad: { clip: main, fault }, good: { clip: main, tsOffset: 3_000_000 } },
      { options: { probeIntervalMs: 60_000 } },
    );
    onTestFinished(() => r.close());
    const sw = switches(r);
    const rec = record(r.mgr);
    const res = await r.mgr.attach(r.channel([{ id: 'bad' }, { id: 'good' }]), rec.sink, { client: 'c1' });
    expect(res.ok).toBe(true);
    await until(() => sw.some((s) => s.to.includes('good')), 8000, 'switch to the good source');
    await sleep(1500);
    const last = sw.find((s) => s.to.includes('good'))!;
    expect(last.reason).toMatch(reason);
    expect(last.gapMs).toBeLessThan(6000);
    expect(r.mgr.sessions()[0]).toMatchObject({ state: 'fallback', sourceId: 's1' });
    await expectCleanOutput(expect, rec, r, 30);
  });

  it('rides out a clock jump inside the source (an encoder restart) without failing over', async ({
    expect,
    onTestFinished,
  }) => {
    const { main } = await loadClips();
    // An hour back after the first loop of the clip, on the same connection, nothing announced.
    const hour = 3600 * 90_000;
    const r = await rig(
      { jumpy: { clip: main, tsOffset: 2 * hour, clockJump: { after: 1, ticks: -hour } } },
      { options: { probeIntervalMs: 60_000 } },
    );
    onTestFinished(() => r.close());
    const sw = switches(r);
    const rec = record(r.mgr);
    await r.mgr.attach(r.channel([{ id: 'jumpy' }]), rec.sink, { client: 'c1' });
    const seconds = main.durationTicks / 90_000;
    await sleep((seconds + 2.5) * 1000);
    expect(sw.filter((s) => s.reason !== 'start')).toEqual([]);
    expect(r.mgr.sessions()[0]).toMatchObject({ sourceId: 's0' });
    // One timeline: the only break the checker sees is the cut-in from the start slate.
    expect(rec.check().splices.length).toBeLessThanOrEqual(sw.length);
    await expectCleanOutput(expect, rec, r, 25 * seconds);
  });
});
