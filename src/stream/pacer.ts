// Releases TS packets at the pace their PCR says, for upstreams that deliver in bursts (HLS
// segments arrive seconds at a time). Without it clients would see a burst, then seconds of
// silence, and the watchdog could not tell a slow source from a bursty one.
import { PacketAligner } from '../ts/aligner.js';
import { readPcr } from '../ts/packet.js';
import { TS_PACKET_SIZE as P } from '../ts/constants.js';

const PCR_HZ = 27_000_000;

type Item = { kind: 'data'; buf: Buffer; pcr?: number } | { kind: 'splice'; reason: string };

export interface PacerOutput {
  data(chunk: Buffer): void;
  splice(reason: string): void;
}

export interface PacerOptions {
  /** How far ahead of real time data may be released (ms): the initial burst. */
  readonly leadMs: number;
  /** A PCR step beyond this (or backwards) re-anchors the clock instead of waiting. */
  readonly maxPcrJumpMs: number;
  readonly tickMs: number;
}

const DEFAULTS: PacerOptions = { leadMs: 1000, maxPcrJumpMs: 2000, tickMs: 20 };

export class Pacer {
  private readonly aligner = new PacketAligner();
  private readonly queue: Item[] = [];
  private anchor?: { wall: number; pcr: number };
  private lastPcr?: number;
  private timer?: NodeJS.Timeout;
  private queuedBytes = 0;
  private readonly opts: PacerOptions;

  constructor(
    private readonly out: PacerOutput,
    opts: Partial<PacerOptions> = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  /** Bytes waiting for their time. */
  get buffered(): number {
    return this.queuedBytes;
  }

  push(chunk: Buffer): void {
    const packets = this.aligner.push(chunk);
    if (packets.length === 0) return;
    // Cut at every PCR-carrying packet; each piece is released when its PCR is due.
    let start = 0;
    let pcr: number | undefined;
    for (let off = 0; off < packets.length; off += P) {
      const p = readPcr(packets, off);
      if (p === undefined) continue;
      if (off > start) this.enqueue(packets.subarray(start, off), pcr);
      start = off;
      pcr = p;
    }
    this.enqueue(packets.subarray(start), pcr);
    this.drain();
  }

  /** In-band splice marker: kept in order with the data around it. */
  splice(reason: string): void {
    this.aligner.reset();
    this.queue.push({ kind: 'splice', reason });
    this.drain();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private enqueue(buf: Buffer, pcr: number | undefined): void {
    if (buf.length === 0) return;
    this.queue.push({ kind: 'data', buf, pcr });
    this.queuedBytes += buf.length;
  }

  private drain(): void {
    const now = this.now();
    while (this.queue.length > 0) {
      const item = this.queue[0]!;
      if (item.kind === 'splice') {
        this.queue.shift();
        this.anchor = undefined; // new timeline: re-anchor at its first PCR
        this.lastPcr = undefined;
        this.out.splice(item.reason);
        continue;
      }
      if (item.pcr !== undefined) {
        const due = this.dueAt(item.pcr, now);
        if (due > now + this.opts.leadMs) {
          this.schedule(due - this.opts.leadMs - now);
          return;
        }
      }
      this.queue.shift();
      this.queuedBytes -= item.buf.length;
      this.out.data(item.buf);
    }
  }

  /** Wall-clock time at which `pcr` is due, re-anchoring on the first PCR and on jumps. */
  private dueAt(pcr: number, now: number): number {
    const last = this.lastPcr;
    const jump = last === undefined ? 0 : ((pcr - last) / PCR_HZ) * 1000;
    if (!this.anchor || jump < 0 || jump > this.opts.maxPcrJumpMs) {
      // Continue from where the previous piece was due, so a jump neither bursts nor stalls.
      const wall =
        this.anchor && last !== undefined ? Math.max(now - this.opts.leadMs, this.wallOf(last)) : now;
      this.anchor = { wall, pcr };
    }
    this.lastPcr = pcr;
    return this.wallOf(pcr);
  }

  private wallOf(pcr: number): number {
    const a = this.anchor!;
    return a.wall + ((pcr - a.pcr) / PCR_HZ) * 1000;
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.drain();
      },
      Math.max(this.opts.tickMs, ms),
    );
  }
}
