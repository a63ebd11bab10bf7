// Collects the splicer's output between client pumps so the ring gets few large chunks instead
// of one per upstream read: every ring chunk costs each client a write. The splicer carves its
// output from consecutive slab regions, so adjacent pieces merge into one view without copying.

export interface Batch {
  readonly data: Buffer;
  /** Offsets in `data` where a client can join (PAT/PMT + keyframe). */
  readonly rapOffsets: number[];
}

export class OutputBatcher {
  private parts: Buffer[] = [];
  private raps: number[] = [];
  private size = 0;

  get bytes(): number {
    return this.size;
  }

  add(data: Buffer, rapOffsets: readonly number[]): void {
    if (data.length === 0) return;
    for (const r of rapOffsets) this.raps.push(this.size + r);
    this.parts.push(data);
    this.size += data.length;
  }

  /** Everything added since the last take, as few batches as memory layout allows (no copies). */
  take(): Batch[] {
    const out: Batch[] = [];
    const parts = this.parts;
    let start = 0; // output position of the current group
    let first = 0; // index of the group's first part
    let r = 0;
    for (let i = 0; i <= parts.length; i++) {
      const p = parts[i];
      const prev = parts[i - 1];
      if (i > first && (p === undefined || !adjacent(prev!, p))) {
        const end = start + bytesOf(parts, first, i);
        const data =
          i - first === 1
            ? parts[first]!
            : Buffer.from(parts[first]!.buffer, parts[first]!.byteOffset, end - start);
        const rapOffsets: number[] = [];
        while (r < this.raps.length && this.raps[r]! < end) rapOffsets.push(this.raps[r++]! - start);
        out.push({ data, rapOffsets });
        start = end;
        first = i;
      }
    }
    this.parts = [];
    this.raps = [];
    this.size = 0;
    return out;
  }
}

function adjacent(a: Buffer, b: Buffer): boolean {
  return a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset;
}

function bytesOf(parts: readonly Buffer[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += parts[i]!.length;
  return n;
}
