// Cuts an arbitrary byte stream into whole 188-byte packets. Sync is (re)acquired only where 0x47
// appears at n and n+188, like libavformat and mux.js; once in sync each packet start is checked
// and a miss triggers a resync scan. Aligned input passes through as zero-copy views.
import { SYNC, TS_PACKET_SIZE as P } from './constants.js';

/** libavformat's MAX_RESYNC_SIZE: past this much garbage the input is probably not TS. */
export const MAX_RESYNC_BYTES = 64 * 1024;

const EMPTY = Buffer.alloc(0);

export class PacketAligner {
  private tail: Buffer = EMPTY;
  private synced = false;
  private dropped = 0;
  private droppedSinceSync = 0;

  /** Total bytes discarded while searching for sync. */
  get droppedBytes(): number {
    return this.dropped;
  }

  /** True when the current resync has scanned more than 64 KiB without finding two sync bytes. */
  get gaveUp(): boolean {
    return !this.synced && this.droppedSinceSync > MAX_RESYNC_BYTES;
  }

  get inSync(): boolean {
    return this.synced;
  }

  /** Hand over the pending partial packet (bytes not yet emitted) and forget it. */
  takeTail(): Buffer {
    const t = this.tail;
    this.tail = EMPTY;
    return t;
  }

  reset(): void {
    this.tail = EMPTY;
    this.synced = false;
    this.droppedSinceSync = 0;
  }

  /** Whole packets only, as one Buffer (copies the chunk when a partial packet was pending). */
  push(chunk: Buffer): Buffer {
    const parts = this.pushParts(chunk);
    if (parts.length === 0) return EMPTY;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * Whole packets as at most a few pieces: in steady state the stitched packet (tail + head of
   * chunk, 188 bytes copied) followed by a zero-copy view of the rest of `chunk`.
   */
  pushParts(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (chunk.length === 0) return out;
    if (this.synced && this.tail.length > 0) {
      const need = P - this.tail.length;
      if (chunk.length < need) {
        this.tail = Buffer.concat([this.tail, chunk]);
        return out;
      }
      if (chunk.length === need || chunk[need] === SYNC) {
        out.push(Buffer.concat([this.tail, chunk.subarray(0, need)], P));
        this.tail = EMPTY;
        this.walk(chunk, need, out);
        return out;
      }
      // The packet after the stitched one is not where it should be: resync over both.
      this.synced = false;
    }
    let data = chunk;
    if (this.tail.length > 0) {
      data = Buffer.concat([this.tail, chunk]);
      this.tail = EMPTY;
    }
    if (this.synced) this.walk(data, 0, out);
    else this.scan(data, 0, out);
    return out;
  }

  /** In sync at `pos`: emit consecutive packets while each starts with 0x47. */
  private walk(b: Buffer, pos: number, out: Buffer[]): void {
    // A packet is trusted when the next one starts where expected (the last one in `b` cannot
    // be checked), so one look at each packet start decides: stop at the first start without 0x47.
    let j = pos;
    while (j < b.length && b[j] === SYNC) j += P;
    if (j >= b.length) {
      // Every start checked out; a final partial packet (j > length) is the tail.
      const whole = j === b.length ? j : j - P;
      if (whole > pos) out.push(b.subarray(pos, whole));
      if (whole < b.length) this.tail = Buffer.from(b.subarray(whole)); // the only copy: ≤ 187 bytes
      return;
    }
    // The packet before `j` is not followed by a sync byte: it is not trusted.
    const i = Math.max(pos, j - P);
    if (i > pos) out.push(b.subarray(pos, i));
    this.synced = false;
    this.scan(b, i, out);
  }

  /** Look for 0x47 at n and n+188; bytes before it are dropped. Undecidable bytes become the tail. */
  private scan(b: Buffer, pos: number, out: Buffer[]): void {
    for (let n = pos; n + P < b.length; n++) {
      if (b[n] === SYNC && b[n + P] === SYNC) {
        this.countDropped(n - pos);
        this.synced = true;
        this.droppedSinceSync = 0;
        this.walk(b, n, out);
        return;
      }
    }
    const keep = Math.max(pos, b.length - P);
    this.countDropped(keep - pos);
    this.tail = Buffer.from(b.subarray(keep));
  }

  private countDropped(n: number): void {
    this.dropped += n;
    this.droppedSinceSync += n;
  }
}
