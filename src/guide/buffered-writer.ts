// Collects the output XMLTV into large chunks for a stream, honouring back-pressure.
import type { Writable } from 'node:stream';

/**
 * Collects strings (as UTF-8) and byte ranges into large chunks, writes a chunk once `flushAt`
 * bytes are collected, and waits for 'drain' when the destination is full. Bytes are copied
 * straight from their buffer, so spooled programmes are never decoded to strings.
 */
export class BufferedWriter {
  private buf: Buffer;
  /** Start of the chunk being collected in `buf`; earlier bytes were handed to `out`. */
  private start = 0;
  private pos = 0;
  /** Room for a chunk plus what the last write may add past `flushAt`. */
  private readonly capacity: number;
  /** Buffers whose chunk `out` has finished with (recycling only). */
  private readonly spare: Buffer[] = [];

  /**
   * `recycle`: `out` is done with a chunk when its write callback runs (true of files and
   * sockets, not of a PassThrough, which hands the chunk on), so buffers can be reused.
   */
  constructor(
    private readonly out: Writable,
    private readonly flushAt = 256 * 1024,
    private readonly recycle = false,
  ) {
    this.capacity = flushAt + Math.max(flushAt >> 2, 16 * 1024);
    this.buf = Buffer.allocUnsafe(this.capacity);
  }

  /** Returns a promise only when the caller must wait (a flush hit back-pressure). */
  write(s: string): Promise<void> | undefined {
    this.append(s);
    return this.pos - this.start >= this.flushAt ? this.flush() : undefined;
  }

  /**
   * Collect `s`, handing a full chunk to `out` without waiting: for loops writing many small
   * parts, which call `ready()` now and then.
   */
  put(s: string): void {
    const n = s.length;
    // Short strings (tags, times) are copied by hand: cheaper than a call into the encoder.
    if (n <= 64 && n <= this.buf.length - this.pos) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          p = -1;
          break;
        }
        buf[p++] = c;
      }
      if (p >= 0) this.pos = p;
      else this.append(s);
    } else this.append(s);
    if (this.pos - this.start >= this.flushAt) this.emit();
  }

  /** As `put`, for `src[from, to)`. */
  putBytes(src: Buffer, from: number, to: number): void {
    this.reserve(to - from);
    this.pos += src.copy(this.buf, this.pos, from, to);
    if (this.pos - this.start >= this.flushAt) this.emit();
  }

  /** A promise when the caller must wait: `out` is full, or gone (rejects). */
  ready(): Promise<void> | undefined {
    if (this.out.destroyed) return Promise.reject(new Error('output closed'));
    return this.out.writableNeedDrain ? waitDrain(this.out) : undefined;
  }

  async flush(): Promise<void> {
    if (this.out.destroyed) throw new Error('output closed');
    this.emit();
    if (this.out.writableNeedDrain) await waitDrain(this.out);
  }

  private append(s: string): void {
    // Most strings fit even at 3 bytes a character; measure only when they might not.
    if (s.length * 3 > this.buf.length - this.pos) this.reserve(Buffer.byteLength(s));
    this.pos += this.buf.write(s, this.pos);
  }

  /** Make room for `n` more bytes: hand over what is collected and continue in a new buffer. */
  private reserve(n: number): void {
    if (n <= this.buf.length - this.pos) return;
    this.emit();
    if (n > this.buf.length - this.pos) this.renew(n);
  }

  private emit(): void {
    if (this.pos === this.start) return;
    const chunk = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
    // Back-pressure is honoured by flush() or ready() (writableNeedDrain); a gone `out` makes them throw.
    if (this.out.destroyed) return;
    if (this.recycle && this.buf.length === this.capacity) {
      // One chunk per buffer, returned to `spare` once written.
      const buf = this.buf;
      this.out.write(chunk, (err) => {
        if (!err && this.spare.length < 4) this.spare.push(buf);
      });
      this.renew(0);
      return;
    }
    this.out.write(chunk);
    if (this.buf.length - this.pos < this.flushAt) this.renew(0);
  }

  /** Chunks handed over may still be queued in `out`: only recycled buffers are reused. */
  private renew(atLeast: number): void {
    const spare = atLeast <= this.capacity ? this.spare.pop() : undefined;
    this.buf = spare ?? Buffer.allocUnsafe(Math.max(this.capacity, atLeast));
    this.start = this.pos = 0;
  }
}

function waitDrain(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('output closed'));
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', done);
  });
}
