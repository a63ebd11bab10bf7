// The splicer's pending output: an ordered list of byte ranges (buffer, start, end) that are
// copied out as one chunk. Ranges are plain numbers in parallel arrays: creating a Buffer view
// per range would cost more than the copy itself, and positions are byte counts so a cut point
// (the start of a held-back PES) never has to split a run of packets.

export class Pieces {
  private bufs: Uint8Array[] = [];
  private starts: number[] = [];
  private ends: number[] = [];
  /** Index of the first live range (consumed ones are dropped in batches). */
  private head = 0;
  private bytes = 0;

  /** Bytes pending. */
  get total(): number {
    return this.bytes;
  }

  add(buf: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    this.bufs.push(buf);
    this.starts.push(start);
    this.ends.push(end);
    this.bytes += end - start;
  }

  /** Copy the first `n` bytes into `out` (from offset 0) and drop them; a range may be split. */
  take(out: Uint8Array, n: number): void {
    let w = 0;
    let i = this.head;
    while (w < n) {
      const b = this.bufs[i]!;
      const s = this.starts[i]!;
      const len = Math.min(this.ends[i]! - s, n - w);
      out.set(new Uint8Array(b.buffer, b.byteOffset + s, len), w);
      w += len;
      if (s + len < this.ends[i]!) {
        this.starts[i] = s + len; // the rest of this range stays pending
        break;
      }
      i++;
    }
    this.head = i;
    this.bytes -= n;
    if (this.head === this.bufs.length) this.clear();
    else if (this.head > 64) this.compact();
  }

  /** Keep only the first `n` bytes. */
  truncate(n: number): void {
    if (n >= this.bytes) return;
    let left = n;
    let i = this.head;
    while (i < this.bufs.length && left > 0) {
      const len = this.ends[i]! - this.starts[i]!;
      if (len > left) this.ends[i] = this.starts[i]! + left;
      left -= Math.min(len, left);
      i++;
    }
    this.bufs.length = this.starts.length = this.ends.length = i;
    this.bytes = n;
    if (n === 0) this.clear();
  }

  private clear(): void {
    this.bufs = [];
    this.starts = [];
    this.ends = [];
    this.head = 0;
  }

  private compact(): void {
    this.bufs = this.bufs.slice(this.head);
    this.starts = this.starts.slice(this.head);
    this.ends = this.ends.slice(this.head);
    this.head = 0;
  }
}
