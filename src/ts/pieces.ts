// An ordered list of byte ranges (buffer, start, end) waiting to be copied out as one chunk.
// Ranges are kept as plain numbers in parallel arrays: creating a Buffer view per range costs
// more than the copy itself when sources cut runs at every PES start and PSI packet.

export class Pieces {
  private bufs: Uint8Array[] = [];
  private starts: number[] = [];
  private ends: number[] = [];

  get length(): number {
    return this.bufs.length;
  }

  add(buf: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    this.bufs.push(buf);
    this.starts.push(start);
    this.ends.push(end);
  }

  /** Bytes held by pieces [from, to). */
  bytes(from = 0, to = this.bufs.length): number {
    let n = 0;
    for (let i = from; i < to; i++) n += this.ends[i]! - this.starts[i]!;
    return n;
  }

  /** Byte length of piece i. */
  size(i: number): number {
    return this.ends[i]! - this.starts[i]!;
  }

  /** Copy pieces [0, upTo) into `out` from offset 0; returns bytes written. */
  copyTo(out: Uint8Array, upTo: number): number {
    let w = 0;
    for (let i = 0; i < upTo; i++) {
      const b = this.bufs[i]!;
      const n = this.ends[i]! - this.starts[i]!;
      out.set(new Uint8Array(b.buffer, b.byteOffset + this.starts[i]!, n), w);
      w += n;
    }
    return w;
  }

  /** Drop pieces [0, n). */
  shift(n: number): void {
    if (n <= 0) return;
    this.bufs.splice(0, n);
    this.starts.splice(0, n);
    this.ends.splice(0, n);
  }

  /** Keep only pieces [0, n). */
  truncate(n: number): void {
    this.bufs.length = Math.min(n, this.bufs.length);
    this.starts.length = this.bufs.length;
    this.ends.length = this.bufs.length;
  }
}
