// PSI and the clock at splices, under the orderings a loaded machine produces: keepalives in the
// gap (also between a switch and the new source's keyframe), a slate that goes live and is
// replaced before its first frame is complete, the new source's PSI and first keyframe arriving
// in one push with other data, gaps over a second. What is checked is what a client notices:
// joining at any splice or keyframe it gets PAT then PMT before the first video packet, and the
// output clock moves by the wall-clock gap, no more.
import { describe, expect, it } from 'vitest';
import { TsChecker } from '../../src/ts/checker.js';
import { NULL_PID, OUTPUT, PAT_PID } from '../../src/ts/constants.js';
import { pidOf, pusiOf, readPcr } from '../../src/ts/packet.js';
import { Splicer, type SpliceOutput } from '../../src/ts/splicer.js';
import { psiPackets, synthStream } from './synth.js';

const P = 188;

/** Everything a client got, with the byte positions of each begin() and each reported RAP. */
class Output {
  private readonly parts: Buffer[] = [];
  private size = 0;
  readonly splices: number[] = [];
  readonly raps: number[] = [];
  /** Sees the splices only through the bytes (PCR jumps). */
  readonly unmarked = new TsChecker();
  /** Also told where each begin() was. */
  readonly marked = new TsChecker();

  add(o: SpliceOutput | Buffer): void {
    const data = Buffer.isBuffer(o) ? o : o.data;
    if (!Buffer.isBuffer(o)) for (const r of o.rapOffsets) this.raps.push(this.size + r);
    this.parts.push(data);
    this.size += data.length;
    this.unmarked.push(data);
    this.marked.push(data);
  }

  begin(s: Splicer, tag: string): void {
    s.begin(tag);
    this.splices.push(this.size);
    this.marked.markSplice();
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Clock {
  t = 1000;
  now = (): number => this.t;
}

/** Push `data` in uneven reads (copies: the splicer rewrites in place). */
function feed(s: Splicer, out: Output, data: Buffer, sizes = [7000, 1316, 333]): void {
  for (let o = 0, k = 0; o < data.length; o += sizes[k++ % sizes.length]!) {
    out.add(s.push(Buffer.from(data.subarray(o, o + sizes[k % sizes.length]!))));
  }
}

/** PCRs in the output with their byte positions. */
function pcrs(b: Buffer): { at: number; ms: number }[] {
  const r: { at: number; ms: number }[] = [];
  for (let o = 0; o < b.length; o += P) {
    const v = readPcr(b, o);
    if (v !== undefined) r.push({ at: o, ms: v / 27_000 });
  }
  return r;
}

/** How far the output clock moved across the first splice after byte `pos` (ms). */
function clockStepAt(b: Buffer, pos: number): number {
  const all = pcrs(b);
  const i = all.findIndex((p) => p.at >= pos);
  return all[i]!.ms - all[i - 1]!.ms;
}

/** A client joining at byte `pos`: PAT, then PMT, right before a video PES start, within 50 packets. */
function expectJoinable(b: Buffer, pos: number): void {
  const before: number[] = [];
  let o = pos;
  for (; o < b.length && pidOf(b, o) !== OUTPUT.videoPid; o += P) {
    if (pidOf(b, o) !== NULL_PID) before.push(pidOf(b, o));
  }
  expect(o, `no video after byte ${pos}`).toBeLessThan(b.length);
  expect(pusiOf(b, o)).toBe(true);
  expect(before.slice(-2)).toEqual([PAT_PID, OUTPUT.pmtPid]);
  expect(before.every((p) => p === PAT_PID || p === OUTPUT.pmtPid)).toBe(true); // no audio first
  expect((o - pos) / P).toBeLessThan(50);
}

function expectClean(out: Output): void {
  const b = out.bytes();
  for (const r of [out.unmarked.report(), out.marked.report()]) {
    expect(r.ccErrors).toBe(0);
    expect(r.pcrViolations).toEqual([]);
    expect(r.dtsViolations).toBe(0);
    expect(r.unexpectedPids).toEqual([]);
    for (const sp of r.splices) expect(sp.psiAfter).toBeLessThan(50);
  }
  for (const pos of out.splices) expectJoinable(b, pos);
  for (const pos of out.raps) expectJoinable(b, pos);
}

/** Source B's first read: mid-GOP frames (dropped), then its PSI and keyframe, then more frames. */
function midGop(t0: number): Buffer {
  const b = synthStream({ frames: 60, gop: 25, t0, videoPid: 0x300, audioPid: 0x301, pmtPid: 0x1100 });
  return b.subarray((2 + 5 * 2) * P); // from frame 5: PSI + 2 packets per frame before it
}

describe('Splicer: PSI and clock at splices on a loaded machine', () => {
  it('a slate replaced before its first frame is complete leaves no trace on the clock', () => {
    const clock = new Clock();
    const s = new Splicer({ now: clock.now });
    const out = new Output();
    out.begin(s, 'a');
    feed(s, out, synthStream({ frames: 50 }));
    // A stalls: the session's keepalive fills the gap.
    for (let i = 0; i < 2; i++) {
      clock.t += 250;
      out.add(s.keepalive());
    }
    clock.t += 200;
    const gapStart = out.bytes().length;
    out.begin(s, 'slate');
    // The slate's keyframe (stamped 600 ms ahead of its clock) goes live, then is held back...
    const slate = synthStream({ frames: 1, t0: 3_000_000, pcrLead: 54_000, videoPid: 0x500, pmtPid: 0x1500 });
    out.add(s.push(slate));
    expect(s.live).toBe(true);
    // ... a keepalive fires before the preferred fallback is ready ...
    clock.t += 5;
    out.add(s.keepalive());
    clock.t += 4;
    // ... and B replaces the slate; its keyframe arrives in one read with other data.
    out.begin(s, 'b');
    out.add(s.push(midGop(7_000_000)));
    clock.t += 40;
    out.add(s.flush());
    // The clock moved by the 709 ms since A's last PCR went out, not by what the slate had stamped.
    expect(clockStepAt(out.bytes(), gapStart)).toBeCloseTo(709, 1);
    expectClean(out);
    // Three marked splices and no clock jump the checker would take for a fourth.
    expect(out.marked.report().splices.map((x) => x.psiAfter)).toEqual([1, 1, 1]);
    expect(out.unmarked.report().splices).toEqual([]);
  });

  it('a gap over a second: the PAT and PMT at the cut-in also serve the clock jump', () => {
    const clock = new Clock();
    const s = new Splicer({ now: clock.now });
    const out = new Output();
    out.begin(s, 'a');
    feed(s, out, synthStream({ frames: 50 }));
    for (let i = 0; i < 5; i++) {
      clock.t += 260;
      out.add(s.keepalive());
    }
    const gapStart = out.bytes().length;
    out.begin(s, 'b');
    feed(s, out, midGop(100_000), [40_000, 188]);
    expect(clockStepAt(out.bytes(), gapStart)).toBeCloseTo(1300, 1);
    expectClean(out);
    // The checker found the jump on its own, and at B's first PAT (PMT next), not at the PCR
    // that the keyframe after them carries.
    const jumps = out.unmarked.report().splices;
    expect(jumps).toHaveLength(1);
    expect(jumps[0]!.psiAfter).toBe(1);
    const b = out.bytes();
    expect(pidOf(b, jumps[0]!.packet * P)).toBe(PAT_PID);
    expect(readPcr(b, (jumps[0]!.packet + 2) * P)).toBeDefined();
  });

  it('keepalive PSI between the switch and the keyframe does not replace the PSI at the keyframe', () => {
    const clock = new Clock();
    const s = new Splicer({ now: clock.now, psiIntervalMs: 100 });
    const out = new Output();
    out.begin(s, 'a');
    feed(s, out, synthStream({ frames: 50 }));
    clock.t += 300;
    out.add(s.keepalive());
    out.begin(s, 'b');
    // B's PSI and non-key frames first (nothing goes out), keepalives meanwhile, then the
    // keyframe on a timeline 10 s *behind* A's (a PCR discontinuity the output must not show).
    const b = synthStream({ frames: 60, gop: 25, t0: 9000, videoPid: 0x300, audioPid: 0x301 });
    const keyAt = (2 + 25 * 2) * P; // frame 25: PSI, then the keyframe
    const psiB = psiPackets({
      pmtPid: 0x1000,
      pcrPid: 0x300,
      streams: [
        { streamType: 0x1b, pid: 0x300 },
        { streamType: 0x0f, pid: 0x301 },
      ],
    });
    out.add(s.push(Buffer.concat([psiB, b.subarray(4 * P, keyAt)])));
    expect(s.live).toBe(false);
    for (let i = 0; i < 2; i++) {
      clock.t += 250;
      out.add(s.keepalive());
    }
    out.add(s.push(Buffer.from(b.subarray(keyAt))));
    out.add(s.flush());
    const bytes = out.bytes();
    // Right before B's first video packet: the inserted PAT and PMT, not the keepalive's nulls.
    let v = out.splices[1]!;
    while (pidOf(bytes, v) !== OUTPUT.videoPid) v += P;
    expect([pidOf(bytes, v - 2 * P), pidOf(bytes, v - P)]).toEqual([PAT_PID, OUTPUT.pmtPid]);
    expect(out.raps).toContain(v - 2 * P);
    expectClean(out);
    expect(out.marked.report().maxPatIntervalMs).toBeLessThanOrEqual(100);
  });
});
