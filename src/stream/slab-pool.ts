// Output memory a session recycles. Every output byte would otherwise be a fresh allocation
// (1 MiB slabs), and at high rates the collector's reaction to that much external memory costs
// about a quarter of the data path's CPU. A slab is handed out again only once nothing can read
// it: the ring has evicted every chunk in it and no client still has a write from it queued in
// its socket. Positions are output byte positions (Ring.endPos); slabs fill in output order.
import { SLAB_BYTES, type ChunkMemory } from '../ts/slab.js';

/** Free slabs kept for reuse; more are left to the garbage collector. */
const MAX_FREE = 8;

interface Retired {
  readonly buf: Buffer;
  /** Output position just past the last byte appended from this slab (-1: none yet). */
  lastPos: number;
}

export class RecyclingSlabs implements ChunkMemory {
  private cur: Buffer = Buffer.allocUnsafeSlow(0);
  private used = 0;
  private curLastPos = -1;
  private readonly retired: Retired[] = [];
  private readonly free: Buffer[] = [];
  /** Slabs handed out again (for tests and diagnostics). */
  reused = 0;
  private disabled = false;

  /**
   * Never reuse memory again: a client's sink may keep written chunks beyond its write callback
   * (a PassThrough, a Writable that queues), so only the garbage collector knows when they die.
   */
  disable(): void {
    this.disabled = true;
    this.retired.length = 0;
    this.free.length = 0;
  }

  take(n: number): Buffer {
    if (n > SLAB_BYTES) return Buffer.allocUnsafeSlow(n); // oversized: not pooled
    if (this.used + n > this.cur.length) {
      if (this.cur.length > 0 && !this.disabled)
        this.retired.push({ buf: this.cur, lastPos: this.curLastPos });
      const again = this.free.pop();
      if (again) this.reused++;
      this.cur = again ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.used = 0;
      this.curLastPos = -1;
    }
    const out = this.cur.subarray(this.used, this.used + n);
    this.used += n;
    return out;
  }

  /** `data` now sits in the ring, ending at output position `endPos`. */
  appended(data: Buffer, endPos: number): void {
    if (data.buffer === this.cur.buffer) {
      this.curLastPos = endPos;
      return;
    }
    for (let i = this.retired.length - 1; i >= 0; i--) {
      const r = this.retired[i]!;
      if (r.buf.buffer === data.buffer) {
        r.lastPos = Math.max(r.lastPos, endPos);
        return;
      }
    }
  }

  /**
   * Nothing reads output before `safePos` any more (ring tail, oldest queued client write):
   * retired slabs wholly before it become free. Call only when no output is waiting outside
   * the ring (the session's batch is empty).
   */
  recycle(safePos: number): void {
    while (this.retired.length > 0 && this.retired[0]!.lastPos <= safePos) {
      const r = this.retired.shift()!;
      if (this.free.length < MAX_FREE) this.free.push(r.buf);
    }
  }
}
