// A clip played forever as a byte stream: the built-in demo channels and the slates are such
// sources. Real-time mode paces by the clip's PCR against a fixed start time (no drift from
// cumulative sleeps) and stops producing while the consumer applies backpressure.
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { TsClip } from './clip.js';
import { LoopCursor } from './loop-cursor.js';

export interface LoopStreamOptions {
  /** Pace by PCR at 1× (true) or produce as fast as consumed (false). */
  realtime: boolean;
  /** Ends the stream (destroy without error: 'close', no 'error') when aborted. */
  signal?: AbortSignal;
  /** Start at the random-access point at or before this clip position (ms, taken mod the clip length). */
  startAtMs?: number;
}

/** Real-time ticks: within the 20–40 ms a client expects between chunks. */
const TICK_MS = 40;
/** A consumer this far behind (backpressure) has the schedule moved instead of getting a burst. */
const MAX_CATCH_UP_MS = 1000;
/** 64 KiB-ish chunks when unpaced; the cap on one real-time chunk. */
const CHUNK_PACKETS = 348;
const MAX_TICK_PACKETS = 4096;

class LoopStream extends Readable {
  private readonly cursor: LoopCursor;
  private t0 = -1;
  private timer: NodeJS.Timeout | undefined;
  private wanted = false;

  constructor(
    clip: TsClip,
    private readonly realtime: boolean,
    startAtMs: number,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.cursor = new LoopCursor(clip, startAtMs);
  }

  override _read(): void {
    if (!this.realtime) {
      while (this.push(this.cursor.take(CHUNK_PACKETS)));
      return;
    }
    this.wanted = true;
    if (!this.timer) this.tick();
  }

  private tick = (): void => {
    this.timer = undefined;
    if (this.destroyed) return;
    const now = performance.now();
    if (this.t0 < 0) this.t0 = now;
    let elapsed = now - this.t0;
    const behind = elapsed - this.cursor.nextTimeMs();
    if (behind > MAX_CATCH_UP_MS) {
      this.t0 += behind - MAX_CATCH_UP_MS;
      elapsed = now - this.t0;
    }
    const chunk = this.cursor.take(MAX_TICK_PACKETS, elapsed);
    if (chunk.length > 0) this.wanted = this.push(chunk);
    if (this.wanted) {
      const next = this.t0 + (Math.floor(elapsed / TICK_MS) + 1) * TICK_MS;
      this.timer = setTimeout(this.tick, Math.max(0, next - performance.now()));
    }
  };

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    cb(err);
  }
}

/** A Readable of 188-aligned Buffers playing `clip` forever with continuous CC and timestamps. */
export function createLoopStream(clip: TsClip, opts: LoopStreamOptions): Readable {
  const s = new LoopStream(clip, opts.realtime, opts.startAtMs ?? 0);
  const signal = opts.signal;
  if (signal) {
    if (signal.aborted) s.destroy();
    else {
      const onAbort = (): void => void s.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      s.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }
  return s;
}
