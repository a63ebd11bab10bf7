// Output chunks carved from 1 MiB slabs: one allocation per slab instead of one per chunk keeps
// the garbage collector and page faults out of the data path. A slab lives as long as any chunk
// cut from it, which for a ring buffer of recent output is about the ring's own size.
export const SLAB_BYTES = 1024 * 1024;

/** Where the splicer carves its output chunks from (a session may recycle the memory). */
export interface ChunkMemory {
  /** A region of `n` bytes nobody else reads or writes (contents undefined). */
  take(n: number): Buffer;
}

export class Slab implements ChunkMemory {
  private buf = Buffer.allocUnsafeSlow(0);
  private used = 0;

  /** A fresh, unshared region of `n` bytes (contents undefined). */
  take(n: number): Buffer {
    if (this.used + n > this.buf.length) {
      this.buf = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, n));
      this.used = 0;
    }
    const out = this.buf.subarray(this.used, this.used + n);
    this.used += n;
    return out;
  }
}
