// Reading a channel's spool lines (`start \t stop \t body \n`) as bytes. Building the guide only
// needs the two times of each line; the body goes to the output as the bytes it already is, so
// hundreds of MB are neither decoded to strings nor encoded again.
import { open, type FileHandle } from 'node:fs/promises';
import type { SpoolEntry } from './spool.js';

/** The lines of one channel: times, and where each body lies in `data`. */
export interface SpoolRecords {
  readonly data: Buffer;
  readonly count: number;
  readonly starts: Float64Array;
  /** 0 when the guide gave no stop time. */
  readonly stops: Float64Array;
  readonly bodyStart: Uint32Array;
  readonly bodyEnd: Uint32Array;
}

/** Bytes of a spool entry. */
export function spoolSize(entry: SpoolEntry): number {
  let total = 0;
  for (let i = 1; i < entry.segs.length; i += 2) total += entry.segs[i] as number;
  return total;
}

/** One channel's segments, read back to back into one buffer (`into`, when it is large enough). */
export async function readSpoolBytes(fh: FileHandle, entry: SpoolEntry, into?: Buffer): Promise<Buffer> {
  const segs = entry.segs;
  const total = spoolSize(entry);
  const buf = into && into.length >= total ? into : Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < segs.length; i += 2) {
    const len = segs[i + 1] as number;
    const { bytesRead } = await fh.read(buf, at, len, segs[i] as number);
    at += bytesRead;
  }
  return at === buf.length ? buf : buf.subarray(0, at);
}

const TAB = 9;
const LF = 10;

/** A number as the spool writes it (`${number}`); anything unusual goes through `Number`. */
function readNumber(b: Buffer, from: number, to: number): number {
  const neg = b[from] === 45; /* - */
  const i0 = neg ? from + 1 : from;
  // Up to 15 digits is exact in a double; longer or odd text is left to Number().
  if (i0 >= to || to - i0 > 15) return Number(b.toString('latin1', from, to));
  let v = 0;
  for (let i = i0; i < to; i++) {
    const d = (b[i] as number) - 48;
    if (d < 0 || d > 9) return Number(b.toString('latin1', from, to));
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

/**
 * Split spool bytes into lines; a line without two tabs (or with an empty start) is skipped.
 * `expected`: the number of lines, when known (the spool index has it), to size the arrays.
 */
export function parseSpoolRecords(data: Buffer, expected = -1): SpoolRecords {
  let n = expected;
  if (n < 0) {
    n = 0;
    for (let nl = data.indexOf(LF); nl !== -1; nl = data.indexOf(LF, nl + 1)) n++;
    if (data.length && data[data.length - 1] !== LF) n++;
  }
  let starts = new Float64Array(n);
  let stops = new Float64Array(n);
  let bodyStart = new Uint32Array(n);
  let bodyEnd = new Uint32Array(n);
  let count = 0;
  const len = data.length;
  let pos = 0;
  while (pos < len) {
    let t1 = pos;
    while (t1 < len && data[t1] !== TAB && data[t1] !== LF) t1++;
    if (t1 >= len || data[t1] === LF) {
      pos = t1 + 1;
      continue;
    }
    let t2 = t1 + 1;
    while (t2 < len && data[t2] !== TAB && data[t2] !== LF) t2++;
    if (t2 >= len || data[t2] === LF) {
      pos = t2 + 1;
      continue;
    }
    let end = data.indexOf(LF, t2 + 1);
    if (end === -1) end = len;
    if (t1 > pos) {
      if (count === starts.length) {
        // More lines than expected (an index out of step with its file): grow.
        const size = 2 * count + 16;
        starts = grow(starts, new Float64Array(size));
        stops = grow(stops, new Float64Array(size));
        bodyStart = grow(bodyStart, new Uint32Array(size));
        bodyEnd = grow(bodyEnd, new Uint32Array(size));
      }
      starts[count] = readNumber(data, pos, t1);
      stops[count] = readNumber(data, t1 + 1, t2);
      bodyStart[count] = t2 + 1;
      bodyEnd[count] = end;
      count++;
    }
    pos = end + 1;
  }
  return { data, count, starts, stops, bodyStart, bodyEnd };
}

function grow<T extends Float64Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** A channel's place in one input's spool. */
export interface SpoolRef {
  readonly inputId: string;
  readonly entry: SpoolEntry;
}

/** Channels next to each other in the spool are read together, up to this many bytes. */
const RUN_BYTES = 2 * 1024 * 1024;

/**
 * Reads the spooled channels of a guide in its order, one read ahead so that reading overlaps
 * writing. Channels lying back to back in the spool (a guide grouped by channel, written in the
 * same order) share one read, instead of one small read per channel.
 */
export class SpoolReader {
  private readonly files = new Map<string, Promise<FileHandle>>();
  private readonly pending = new Map<number, Promise<Buffer>>();
  /** Index after the last channel whose read has started. */
  private scheduled = 0;
  /** First channel of the run read last. */
  private lastRun = -1;
  /**
   * Buffers of the runs started and not yet left (by first channel): a run's buffer is reused
   * once the caller takes a channel past it. Reading a 450 MB guide into fresh buffers left tens
   * of MB of dead external memory waiting for a GC at any time (peak RSS).
   */
  private readonly runBufs = new Map<number, { end: number; buf: Buffer }>();
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly refs: readonly (SpoolRef | undefined)[],
    private readonly spoolFile: (inputId: string) => string,
  ) {}

  /**
   * The spool bytes of `refs[n]`; call in increasing `n`. The bytes stay valid until the next
   * call (their buffer may then be reused for a later read).
   */
  take(n: number): Promise<Buffer> {
    // Runs wholly before `n` are done with: their buffers go back to the spare list.
    for (const [first, r] of this.runBufs) {
      if (r.end > n || first > n) continue;
      this.runBufs.delete(first);
      if (r.buf.length === RUN_BYTES && this.spare.length < 2) this.spare.push(r.buf);
    }
    if (!this.pending.has(n)) this.startRun(n);
    const cur = this.pending.get(n) as Promise<Buffer>;
    this.pending.delete(n);
    // Entering the run read last: start reading the one after it.
    if (n >= this.lastRun) {
      let m = Math.max(this.scheduled, n + 1);
      while (m < this.refs.length && !this.refs[m]) m++;
      if (m < this.refs.length) this.startRun(m);
    }
    return cur;
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) await p.catch(() => undefined);
    this.pending.clear();
    for (const fh of this.files.values()) await (await fh.catch(() => undefined))?.close();
  }

  private startRun(n: number): void {
    const first = this.refs[n] as SpoolRef;
    const segs = first.entry.segs;
    // Following channels join while each is one segment starting where the previous one ends.
    const members = [n];
    let end = n + 1;
    if (segs.length === 2) {
      let next = (segs[0] as number) + (segs[1] as number);
      let size = segs[1] as number;
      for (; end < this.refs.length; end++) {
        const r = this.refs[end];
        if (!r) continue;
        const s = r.entry.segs;
        if (r.inputId !== first.inputId || s.length !== 2 || s[0] !== next) break;
        if (size + (s[1] as number) > RUN_BYTES) break;
        members.push(end);
        next += s[1] as number;
        size += s[1] as number;
      }
    }
    this.scheduled = end;
    this.lastRun = n;
    const fh = this.file(first.inputId);
    if (members.length === 1) {
      const buf = this.buffer(spoolSize(first.entry), n, end);
      this.keep(
        n,
        fh.then((f) => readSpoolBytes(f, first.entry, buf)),
      );
      return;
    }
    const from = segs[0] as number;
    const last = (this.refs[members[members.length - 1] as number] as SpoolRef).entry.segs;
    const span: SpoolEntry = { count: 0, segs: [from, (last[0] as number) + (last[1] as number) - from] };
    const buf = this.buffer(spoolSize(span), n, end);
    const all = fh.then((f) => readSpoolBytes(f, span, buf));
    for (const m of members) {
      const s = (this.refs[m] as SpoolRef).entry.segs;
      const at = (s[0] as number) - from;
      this.keep(
        m,
        all.then((b) => b.subarray(at, Math.min(b.length, at + (s[1] as number)))),
      );
    }
  }

  /** A buffer for the run [first, end) of `size` bytes: a spare one when it fits. */
  private buffer(size: number, first: number, end: number): Buffer | undefined {
    if (size > RUN_BYTES) return undefined; // one large channel: its own buffer, not kept
    const buf = this.spare.pop() ?? Buffer.allocUnsafeSlow(RUN_BYTES);
    this.runBufs.set(first, { end, buf });
    return buf;
  }

  /** Awaited by take() or close(); never an unhandled rejection meanwhile. */
  private keep(n: number, p: Promise<Buffer>): void {
    p.catch(() => undefined);
    this.pending.set(n, p);
  }

  private file(inputId: string): Promise<FileHandle> {
    let fh = this.files.get(inputId);
    if (!fh) {
      fh = open(this.spoolFile(inputId), 'r');
      fh.catch(() => undefined);
      this.files.set(inputId, fh);
    }
    return fh;
  }
}
