// Per-session ring of 188-aligned output chunks with sequence numbers and a keyframe index.
// Chunks are split at the splicer's random-access offsets on the way in, so a joining client
// can start exactly at a chunk that begins with PAT/PMT + a keyframe. Memory is bounded by age
// and bytes, never by the number of clients (clients only hold a sequence number).

export interface RingChunk {
  readonly seq: number;
  readonly data: Buffer;
  /** Wall-clock time the chunk was appended (ms). */
  readonly at: number;
  /** The chunk starts at a random-access point (PSI + keyframe). */
  readonly keyframe: boolean;
  /** Byte position of the chunk's first byte in the session's output. */
  readonly pos: number;
}

export interface RingOptions {
  /** Keep chunks younger than this (relative to the newest chunk). */
  readonly maxAgeMs: number;
  /** Hard cap on buffered bytes. */
  readonly maxBytes: number;
}

export class Ring {
  private chunks: RingChunk[] = [];
  private head = 0; // index in `chunks` of the oldest live chunk
  private keyframes: number[] = []; // seqs of keyframe chunks, ascending
  private next = 0;
  private size = 0;
  private total = 0; // bytes ever appended

  constructor(private readonly opts: RingOptions) {}

  /** Sequence number of the oldest chunk still held (== nextSeq when empty). */
  get firstSeq(): number {
    return this.next - (this.chunks.length - this.head);
  }

  /** Sequence number the next appended chunk will get. */
  get nextSeq(): number {
    return this.next;
  }

  get bytes(): number {
    return this.size;
  }

  /** Bytes ever appended: the output position just past the newest chunk. */
  get endPos(): number {
    return this.total;
  }

  /** Output position of the oldest byte still held (== endPos when empty). */
  get firstPos(): number {
    return this.chunks[this.head]?.pos ?? this.total;
  }

  /** Bytes between the chunk at `seq` (or the oldest held, when evicted) and the newest byte. */
  bytesFrom(seq: number): number {
    if (seq >= this.next) return 0;
    const c = this.get(Math.max(seq, this.firstSeq));
    return c ? this.total - c.pos : 0;
  }

  /** Append `data`, split at `rapOffsets` (byte offsets in `data`, multiples of 188). */
  append(data: Buffer, rapOffsets: readonly number[], now: number): void {
    if (data.length === 0) return;
    let start = 0;
    let startsKey = false;
    for (const off of rapOffsets) {
      if (off < 0 || off >= data.length) continue;
      if (off === start) {
        startsKey = true;
        continue;
      }
      if (off < start) continue;
      this.push(data.subarray(start, off), startsKey, now);
      start = off;
      startsKey = true;
    }
    this.push(data.subarray(start), startsKey, now);
    this.evict();
  }

  get(seq: number): RingChunk | undefined {
    const i = this.head + (seq - this.firstSeq);
    return seq >= this.firstSeq && seq < this.next ? this.chunks[i] : undefined;
  }

  newest(): RingChunk | undefined {
    return this.chunks.length > this.head ? this.chunks[this.chunks.length - 1] : undefined;
  }

  /** Seq of the newest keyframe chunk, if any is held. */
  newestKeyframe(): number | undefined {
    return this.keyframes.length > 0 ? this.keyframes[this.keyframes.length - 1] : undefined;
  }

  /** Where a joining client starts: the newest keyframe, else the oldest chunk held. */
  joinSeq(): number {
    return this.newestKeyframe() ?? this.firstSeq;
  }

  /** Milliseconds between the chunk at `seq` and the newest chunk (0 when caught up). */
  lagMs(seq: number): number {
    const newest = this.newest();
    if (!newest || seq >= this.next) return 0;
    const c = this.get(seq);
    return c ? newest.at - c.at : newest.at - (this.chunks[this.head]?.at ?? newest.at);
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.keyframes = [];
    this.size = 0;
  }

  private push(data: Buffer, keyframe: boolean, at: number): void {
    if (data.length === 0) return;
    const seq = this.next++;
    this.chunks.push({ seq, data, at, keyframe, pos: this.total });
    if (keyframe) this.keyframes.push(seq);
    this.size += data.length;
    this.total += data.length;
  }

  private evict(): void {
    const newest = this.newest();
    if (!newest) return;
    // Always keep the newest chunk; drop from the tail while over the age or byte bound.
    while (this.chunks.length - this.head > 1) {
      const oldest = this.chunks[this.head]!;
      if (this.size <= this.opts.maxBytes && newest.at - oldest.at <= this.opts.maxAgeMs) break;
      this.size -= oldest.data.length;
      this.head++;
      if (this.keyframes[0] === oldest.seq) this.keyframes.shift();
    }
    // Compact the backing array now and then so it doesn't grow forever.
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
