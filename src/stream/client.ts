// One client's writer: copies ring chunks to its Writable, honouring backpressure. A client
// never makes the session buffer more (it only holds a cursor); a lagging one is skipped to
// the newest keyframe, and one that keeps lagging is disconnected.
import type { Writable } from 'node:stream';
import type { Ring } from './ring.js';

export interface ClientPolicy {
  /** Skip to the newest keyframe when this far behind live. */
  readonly maxLagMs: number;
  /** Disconnect after this many skips within `skipWindowMs`. */
  readonly maxSkips: number;
  readonly skipWindowMs: number;
}

export interface ClientStats {
  readonly address: string;
  readonly joinedAt: number;
  readonly bytesOut: number;
  readonly lagMs: number;
  readonly drops: number;
}

export type ClientEndReason = 'closed' | 'error' | 'aborted' | 'lagging' | 'ended' | 'kicked';

export class ClientWriter {
  private cursor: number;
  private blockedOnDrain = false;
  private finished = false;
  private bytes = 0;
  private drops = 0;
  private skipTimes: number[] = [];
  /** Output positions where the writes still queued in the sink start, oldest first. */
  private readonly queued: number[] = [];
  readonly joinedAt: number;
  /** Resolves when the client has left, with the reason. */
  readonly done: Promise<ClientEndReason>;
  private resolveDone!: (r: ClientEndReason) => void;

  constructor(
    private readonly ring: Ring,
    private readonly sink: Writable,
    readonly address: string,
    private readonly policy: ClientPolicy,
    private readonly now: () => number = Date.now,
    signal?: AbortSignal,
    /** Called after the sink drained (the session may resume a paused upstream). */
    private readonly drained?: () => void,
  ) {
    this.joinedAt = Date.now(); // wall clock, for display
    this.cursor = ring.joinSeq();
    this.done = new Promise((r) => (this.resolveDone = r));
    sink.on('drain', this.onDrain);
    sink.once('close', () => this.finish('closed'));
    sink.once('error', () => this.finish('error'));
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.leave('aborted'));
      else signal.addEventListener('abort', () => this.leave('aborted'), { once: true });
    }
  }

  get stats(): ClientStats {
    return {
      address: this.address,
      joinedAt: this.joinedAt,
      bytesOut: this.bytes,
      lagMs: this.ring.lagMs(this.cursor),
      drops: this.drops,
    };
  }

  /** Waiting for 'drain': this client cannot take more right now. */
  get blocked(): boolean {
    return this.blockedOnDrain;
  }

  /**
   * Oldest output position the sink may still read from memory (a write accepted but not yet
   * flushed to the socket), or Infinity. Memory before it can be reused. A destroyed sink
   * writes nothing more, whatever it had queued.
   */
  get pinnedPos(): number {
    return this.queued.length > 0 && !this.sink.destroyed ? this.queued[0]! : Infinity;
  }

  /** Output bytes the ring holds that this client has not been given yet. */
  get backlog(): number {
    return this.ring.bytesFrom(this.cursor);
  }

  get active(): boolean {
    return !this.finished;
  }

  /** Copy whatever the ring holds past the cursor, until the sink pushes back. */
  pump(): void {
    if (this.finished) return;
    if (this.cursor < this.ring.firstSeq || this.ring.lagMs(this.cursor) > this.policy.maxLagMs) {
      if (!this.skip()) return;
    }
    if (this.blockedOnDrain) return;
    const end = this.ring.nextSeq;
    if (this.cursor >= end) return;
    // Ring chunks are split at keyframes but usually sit side by side in memory: adjacent ones
    // go out as one view, so a client gets one large write per pump instead of one per chunk.
    let run: Buffer | undefined;
    let runPos = 0;
    let corked = false;
    while (this.cursor < end && !this.blockedOnDrain) {
      const chunk = this.ring.get(this.cursor++);
      if (!chunk) continue;
      const d = chunk.data;
      if (run && run.buffer === d.buffer && run.byteOffset + run.length === d.byteOffset) {
        run = Buffer.from(d.buffer, run.byteOffset, run.length + d.length);
        continue;
      }
      if (run) {
        if (!corked) this.sink.cork();
        corked = true;
        this.write(run, runPos);
      }
      run = d;
      runPos = chunk.pos;
    }
    if (run) {
      if (this.blockedOnDrain)
        this.cursor--; // the last chunk read was not written: after 'drain'
      else this.write(run, runPos);
    }
    if (corked) this.sink.uncork();
  }

  private write(data: Buffer, pos: number): void {
    this.bytes += data.length;
    this.queued.push(pos);
    if (!this.sink.write(data, this.flushed)) this.blockedOnDrain = true;
  }

  /** Writes complete in order: the oldest queued one is out of our memory. */
  private readonly flushed = (): void => {
    this.queued.shift();
  };

  /** Flush what is left and end the sink (session ended). */
  end(): void {
    if (this.finished) return;
    if (!this.blockedOnDrain) this.pump();
    this.finish('ended');
    this.sink.end();
  }

  /** Leave without ending the stream for others: stop writing and end our sink. */
  leave(reason: ClientEndReason): void {
    if (this.finished) return;
    this.finish(reason);
    if (reason === 'lagging' || reason === 'kicked') this.sink.destroy();
    else if (!this.sink.writableEnded) this.sink.end();
  }

  private readonly onDrain = (): void => {
    this.blockedOnDrain = false;
    this.pump();
    this.drained?.();
  };

  /** Jump to the newest keyframe; returns false when the client was disconnected instead. */
  private skip(): boolean {
    const t = this.now();
    this.skipTimes = this.skipTimes.filter((s) => t - s < this.policy.skipWindowMs);
    this.skipTimes.push(t);
    this.drops++;
    if (this.skipTimes.length > this.policy.maxSkips) {
      this.leave('lagging');
      return false;
    }
    const key = this.ring.newestKeyframe();
    // No newer keyframe: drop everything buffered; the decoder resyncs at the next keyframe.
    this.cursor = key !== undefined && key > this.cursor ? key : this.ring.nextSeq;
    return true;
  }

  private finish(reason: ClientEndReason): void {
    if (this.finished) return;
    this.finished = true;
    this.sink.off('drain', this.onDrain);
    this.resolveDone(reason);
  }
}
