// Pure core of the looping clip source: hands out copies of a clip's packets forever, rewriting
// CC (continuous per PID) and PCR/PTS/DTS (+ loop × duration, mod 2^33) so the output is one
// unbroken stream. No timers here; the Readable in loop-source.ts decides when to take.
import { TS_PACKET_SIZE as P } from '../ts/constants.js';
import { hasPayload, payloadOffset, pidOf, pusiOf, readPcr, setCc, writePcr } from '../ts/packet.js';
import { add33, diff33, readPts, shiftPesTimestamps } from '../ts/pes.js';
import type { TsClip } from './clip.js';

export class LoopCursor {
  private loop = 0;
  private index: number;
  private readonly cc = new Uint8Array(8192);
  /** Per PID: 1 = skip payload packets until the next PES/section start. */
  private readonly skip = new Uint8Array(8192);
  private prefix: Buffer | undefined;
  /** Clip time (ms) of the starting packet, so output time starts at 0. */
  private readonly startMs: number;

  constructor(
    private readonly clip: TsClip,
    startAtMs = 0,
  ) {
    this.cc.fill(15); // first packet with payload on each PID gets CC 0
    const want = ((startAtMs % clip.durationMs) + clip.durationMs) % clip.durationMs;
    let start = 0;
    if (want > 0) for (const i of clip.rapIndexes) if (clip.packetTimeMs[i]! <= want && i > start) start = i;
    this.index = start;
    this.startMs = clip.packetTimeMs[start]!;
    if (start > 0) {
      // Mid-clip start: PSI first, then only whole PES/sections.
      this.prefix = psiPackets(clip);
      this.skip.fill(1);
    }
  }

  /** Output time (ms from the stream start) at which the next packet is due. */
  nextTimeMs(): number {
    if (this.prefix) return 0;
    if (this.index >= this.clip.packetCount) return (this.loop + 1) * this.clip.durationMs - this.startMs;
    return this.loop * this.clip.durationMs + this.clip.packetTimeMs[this.index]! - this.startMs;
  }

  /** How many complete loops have been handed out. */
  get loops(): number {
    return this.loop;
  }

  /** How many packets `take(maxPackets, untilMs)` would hand out (before skipped ones are compacted). */
  private due(maxPackets: number, untilMs: number): number {
    const clip = this.clip;
    let n = this.prefix ? Math.min(maxPackets, this.prefix.length / P) : 0;
    let index = this.index;
    let loop = this.loop;
    while (n < maxPackets) {
      if (index >= clip.packetCount) {
        loop++;
        index = 0;
      }
      const limit = untilMs - loop * clip.durationMs + this.startMs;
      const end = Math.min(clip.packetCount, index + (maxPackets - n));
      let j = index;
      while (j < end && clip.packetTimeMs[j]! <= limit) j++;
      if (j === index) break;
      n += j - index;
      index = j;
    }
    return n;
  }

  /** Up to `maxPackets` packets due at or before `untilMs` (output time); a fresh Buffer. */
  take(maxPackets: number, untilMs = Infinity): Buffer {
    const clip = this.clip;
    // Allocate what is due, not the maximum: a real-time tick takes a few packets every 25 ms, and a
    // maximum-sized buffer each time is tens of MB/s of garbage for a sub-Mbit/s stream.
    maxPackets = this.due(maxPackets, untilMs);
    const out = Buffer.allocUnsafe(maxPackets * P);
    let w = 0;
    let room = maxPackets;
    if (this.prefix) {
      const k = Math.min(room, this.prefix.length / P);
      this.prefix.copy(out, 0, 0, k * P);
      w = this.rewrite(out, 0, k, 0) * P;
      room -= k;
      this.prefix = undefined;
    }
    while (room > 0) {
      if (this.index >= clip.packetCount) {
        this.loop++;
        this.index = 0;
      }
      const limit = untilMs - this.loop * clip.durationMs + this.startMs;
      let j = this.index;
      const end = Math.min(clip.packetCount, this.index + room);
      while (j < end && clip.packetTimeMs[j]! <= limit) j++;
      if (j === this.index) break;
      clip.data.copy(out, w, this.index * P, j * P);
      const kept = this.rewrite(out, w, j - this.index, this.loop);
      w += kept * P;
      room -= j - this.index;
      this.index = j;
    }
    return out.subarray(0, w);
  }

  /** Rewrite `count` packets at `at` in place, compacting away skipped ones; returns how many stay. */
  private rewrite(buf: Buffer, at: number, count: number, loop: number): number {
    const clip = this.clip;
    const offset = add33(loop * clip.duration, 0);
    let w = at;
    for (let r = at, end = at + count * P; r < end; r += P) {
      const pid = pidOf(buf, r);
      const payload = hasPayload(buf, r);
      if (payload && pusiOf(buf, r)) {
        const p = payloadOffset(buf, r);
        const pts = p < 0 ? undefined : readPts(buf, p, r + P);
        // A PES starting before the previous loop's content ended (e.g. the AAC priming frame)
        // would go back in time: drop it.
        const end = clip.endPts.get(pid);
        const overlap = end === undefined || pts === undefined ? 0 : diff33(end.pts, pts + clip.duration);
        this.skip[pid] = loop > 0 && end !== undefined && overlap > end.frame / 2 ? 1 : 0;
        if (this.skip[pid] === 0 && offset !== 0 && p >= 0) shiftPesTimestamps(buf, p, r + P, offset);
      }
      if (payload && this.skip[pid] === 1) continue;
      if (w !== r) buf.copyWithin(w, r, r + P);
      if (payload) this.cc[pid] = (this.cc[pid]! + 1) & 0x0f;
      setCc(buf, w, this.cc[pid]!);
      if (offset !== 0) {
        const pcr = readPcr(buf, w);
        if (pcr !== undefined) writePcr(buf, w, pcr + offset * 300);
      }
      w += P;
    }
    return (w - at) / P;
  }
}

/** Copies of the clip's first PAT and PMT packets. */
function psiPackets(clip: TsClip): Buffer {
  const found: Buffer[] = [];
  for (const want of [0, clip.pmtPid]) {
    for (let off = 0; off < clip.data.length; off += P) {
      if (pidOf(clip.data, off) === want && pusiOf(clip.data, off)) {
        found.push(clip.data.subarray(off, off + P));
        break;
      }
    }
  }
  return Buffer.concat(found);
}
