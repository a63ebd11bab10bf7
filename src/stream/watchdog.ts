// Health verdicts for the live source, as pure bookkeeping over a caller-supplied clock: no
// bytes for stallMs, PCR not advancing for stallMs, sustained rate far below real time, or
// runaway corruption. The session polls check() on a timer and fails over on a verdict.

const PCR_MS = 27_000; // 27 MHz ticks per ms
/** PCR steps larger than this (or backwards) are timeline jumps, not progress. */
const MAX_PCR_STEP_MS = 2000;
const DAMAGE_WINDOW_MS = 1000;

export interface WatchdogOptions {
  readonly stallMs: number;
  /** Fail when PCR advances slower than this fraction of wall time over `rateWindowMs`. */
  readonly minRate: number;
  readonly rateWindowMs: number;
  /** Fail when more than this fraction of packets are damaged (CC errors + corrupt) over a window. */
  readonly maxDamage: number;
  /** Packets a window needs before the damage ratio counts. */
  readonly minPackets: number;
}

export const DEFAULT_WATCHDOG: Omit<WatchdogOptions, 'stallMs'> = {
  minRate: 0.7,
  rateWindowMs: 5000,
  maxDamage: 0.1,
  minPackets: 500,
};

export type WatchdogReason = 'stall' | 'pcr-stall' | 'slow' | 'corrupt';

export interface SourceCounters {
  readonly lastPcr?: number;
  readonly packets: number;
  readonly ccErrors: number;
  readonly corruptPackets: number;
  /** Unannounced clock jumps the splicer rejoined after (it alone counts them). */
  readonly clockJumps?: number;
}

interface Sample {
  t: number;
  progressMs: number;
  packets: number;
  damage: number;
}

export class Watchdog {
  private lastBytesAt: number;
  private pcrChangedAt: number;
  private lastPcr?: number;
  private progressMs = 0;
  private readonly samples: Sample[] = [];
  private startedAt: number;

  constructor(
    private readonly opts: WatchdogOptions,
    now: number,
  ) {
    this.startedAt = now;
    this.lastBytesAt = now;
    this.pcrChangedAt = now;
  }

  /** We paused the source ourselves (clients pushing back): restart the clocks and the rate window. */
  resume(now: number): void {
    this.lastBytesAt = now;
    this.pcrChangedAt = now;
    this.samples.length = 0;
    this.startedAt = now;
  }

  /**
   * The counters now come from somewhere else (the splicer instead of the gate's analyzer):
   * restart the sample window from `c` so differences never mix the two. Clocks keep running.
   */
  rebase(now: number, c: SourceCounters): void {
    this.samples.length = 0;
    this.lastPcr = c.lastPcr;
    this.observe(now, c);
  }

  /** Record the source's progress after a chunk of bytes. */
  observe(now: number, c: SourceCounters): void {
    this.lastBytesAt = now;
    if (c.lastPcr !== undefined && c.lastPcr !== this.lastPcr) {
      if (this.lastPcr !== undefined) {
        const step = (c.lastPcr - this.lastPcr) / PCR_MS;
        if (step > 0 && step <= MAX_PCR_STEP_MS) this.progressMs += step;
      }
      this.lastPcr = c.lastPcr;
      this.pcrChangedAt = now;
    }
    const last = this.samples[this.samples.length - 1];
    if (!last || now - last.t >= 100) {
      this.samples.push({
        t: now,
        progressMs: this.progressMs,
        packets: c.packets,
        damage: c.ccErrors + c.corruptPackets,
      });
      const horizon = now - this.opts.rateWindowMs * 2;
      while (this.samples.length > 2 && this.samples[0]!.t < horizon) this.samples.shift();
    }
  }

  check(now: number): { reason: WatchdogReason; detail: string } | undefined {
    const o = this.opts;
    if (now - this.lastBytesAt > o.stallMs)
      return { reason: 'stall', detail: `no data for ${Math.round(now - this.lastBytesAt)} ms` };
    if (now - this.pcrChangedAt > o.stallMs)
      return { reason: 'pcr-stall', detail: `PCR frozen for ${Math.round(now - this.pcrChangedAt)} ms` };
    const newest = this.samples[this.samples.length - 1];
    if (!newest) return undefined;
    // Damage over the last second or so: runaway corruption shows quickly.
    const dBase = this.sampleBefore(now - DAMAGE_WINDOW_MS) ?? this.samples[0]!;
    const packets = newest.packets - dBase.packets;
    const damage = newest.damage - dBase.damage;
    if (packets >= o.minPackets && damage / packets > o.maxDamage) {
      return { reason: 'corrupt', detail: `${damage} of ${packets} packets damaged` };
    }
    const base = this.sampleBefore(now - o.rateWindowMs);
    if (base && base !== newest && now - this.startedAt >= o.rateWindowMs) {
      const rate = (newest.progressMs - base.progressMs) / (newest.t - base.t);
      if (rate < o.minRate) return { reason: 'slow', detail: `running at ${rate.toFixed(2)}× real time` };
    }
    return undefined;
  }

  /** The newest sample taken at or before `t`. */
  private sampleBefore(t: number): Sample | undefined {
    let found: Sample | undefined;
    for (const s of this.samples) {
      if (s.t > t) break;
      found = s;
    }
    return found;
  }
}
