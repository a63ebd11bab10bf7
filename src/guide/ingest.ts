// Ingest of one XMLTV input into a spool, in parallel when the input is large.
//
// Parsing and rendering dominate the cost of a refresh, and both are per programme. So the
// decompressed bytes are cut after a `</programme>` into batches of about 1 MB, each parsed and
// rendered to per-channel lines that are appended to the spool in input order (so results do
// not depend on scheduling). Batches go to worker threads while one is free, else this thread
// parses them itself (workers only with cores to spare, see workerCount). Cuts fall on an
// ASCII `>`, which is safe for UTF-8 and the single-byte encodings; UTF-16 input is read on the
// main thread. The worker pool is only started for inputs bigger than one batch.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { GuideChannel, Programme } from './types.js';
import { SpoolWriter, pushSpoolLine } from './spool.js';
import { detach } from './strings.js';
import { XmlScanner } from './xml-scanner.js';
import { XmltvHandler } from './xmltv-handler.js';
import {
  decoderFor,
  detectEncoding,
  emptyReport,
  peek,
  problemRecorder,
  readXmltv,
  xmltvBytes,
  type ReadReport,
  type XmltvSink,
} from './xmltv-reader.js';

export interface BatchJob {
  readonly data: Uint8Array;
  readonly encoding: string;
  /** Not the first batch: the document's root is already open. */
  readonly continued: boolean;
  /** The last batch: whatever is left open is reported as truncation. */
  readonly final: boolean;
  readonly window: { from: number; to: number };
  readonly timeShiftMinutes: number;
}

export interface BatchResult {
  readonly channels: GuideChannel[];
  /** Rendered spool lines of every channel, back to back (one transferable buffer). */
  readonly data: Uint8Array;
  /** Per guide channel, in order of first appearance: its id, byte length in `data` and line count. */
  readonly groups: { readonly id: string; length: number; count: number }[];
  readonly programmes: number;
  readonly skipped: number;
  readonly problems: string[];
  readonly problemCount: number;
  readonly sawTv: boolean;
  readonly truncated: boolean;
}

/**
 * Bytes fed to the scanner at a time: the decoded text stays below V8's large-object size
 * (128 KB, even as two-byte text), and so do the lines rendered from it, which are encoded
 * after each piece. Larger pieces are promoted to the old generation at the first scavenge,
 * and a 500 MB guide then leaves ~100 MB of old-space garbage (peak RSS, major GCs).
 */
const PIECE = 48 * 1024;

/**
 * Where the piece starting at `at` ends: after the last `</programme>` within PIECE bytes, else
 * after the last '>' (ASCII, so never inside a UTF-8 character). Then the scanner holds nothing
 * over to the next piece: joining a held tail to the next piece (string concatenation) was
 * measured to get those strings pretenured by V8, and ~250 MB of old-space garbage followed.
 * A whole programme in one piece is also what the handler's fast path needs.
 */
function pieceEnd(bytes: Buffer, at: number): number {
  const limit = at + PIECE;
  if (limit >= bytes.length) return bytes.length;
  // Searched in the piece's own view, as cutAfter does: lastIndexOf with a byte offset into the
  // whole batch took ~40 µs a call, against ~3 µs on the view.
  const piece = bytes.subarray(at, limit);
  const p = piece.lastIndexOf(END);
  if (p !== -1) return at + p + END.length;
  const gt = piece.lastIndexOf(GT);
  return gt !== -1 ? at + gt + 1 : limit;
}

/** Parse and render one batch (runs in a worker, or inline); `spare`: memory for the result, if big enough. */
export function processBatch(job: BatchJob, spare?: ArrayBuffer): BatchResult {
  const report = emptyReport();
  const problem = problemRecorder(report);
  const channels: GuideChannel[] = [];
  // Per guide channel, the pieces of its lines (see pushSpoolLine) and how many lines.
  const groups = new Map<string, { parts: string[]; count: number }>();
  // Consecutive programmes usually share a channel: skip hashing the id then.
  let lastId = '';
  let last: { parts: string[]; count: number } | undefined;
  const sink: XmltvSink = {
    channel: (c) => channels.push(c),
    programme: (p: Programme) => {
      if (last === undefined || p.channel !== lastId) {
        last = groups.get(p.channel);
        if (!last) groups.set(p.channel, (last = { parts: [], count: 0 }));
        lastId = p.channel;
      }
      if (pushSpoolLine(p, job.window, last.parts)) last.count++;
    },
  };
  const handler = new XmltvHandler(sink, report, problem, job.timeShiftMinutes * 60_000);
  const scanner = new XmlScanner(handler);
  const out = new LineBuffer(job.data.byteLength, spare);
  const flush = (): void => {
    out.add(groups);
    groups.clear();
    last = undefined;
  };
  // A continued batch starts inside the root: reopen it so depths line up.
  if (job.continued) scanner.write('<tv>');
  const bytes = Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength);
  const decoder = decoderFor(job.encoding);
  for (let at = 0; at < bytes.length;) {
    const end = pieceEnd(bytes, at);
    scanner.write(decoder.write(bytes.subarray(at, end)));
    flush();
    at = end;
  }
  scanner.write(decoder.end());
  if (job.final) scanner.end();
  flush();
  return {
    channels,
    data: out.bytes(),
    groups: out.groups,
    programmes: report.programmes,
    skipped: report.skipped,
    problems: report.problems,
    problemCount: report.problemCount,
    sawTv: handler.sawTv,
    truncated: scanner.truncated,
  };
}

/**
 * Each channel's lines back to back as UTF-8, in one buffer that owns its memory (so a worker
 * can transfer it). A channel's pieces are joined once and encoded straight into the buffer;
 * a channel may appear more than once (the spool merges adjacent segments).
 */
class LineBuffer {
  readonly groups: BatchResult['groups'] = [];
  private buf: Buffer;
  private at = 0;

  /** `estimate`: the input's size, about what its lines take. New memory is batch-sized at least, to be reused. */
  constructor(estimate: number, spare?: ArrayBuffer) {
    this.buf =
      spare && spare.byteLength >= estimate
        ? Buffer.from(spare)
        : Buffer.allocUnsafeSlow(Math.max(estimate, BATCH));
  }

  add(groups: ReadonlyMap<string, { parts: string[]; count: number }>): void {
    for (const [id, g] of groups) {
      if (!g.count) continue;
      const t = g.parts.join('');
      if (t.length * 3 > this.buf.length - this.at) {
        const need = Buffer.byteLength(t);
        if (need > this.buf.length - this.at) {
          const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.buf.length, this.at + need));
          this.buf.copy(bigger, 0, 0, this.at);
          this.buf = bigger;
        }
      }
      const length = this.buf.write(t, this.at);
      this.at += length;
      const prev = this.groups[this.groups.length - 1];
      if (prev?.id === id) {
        prev.length += length;
        prev.count += g.count;
      } else {
        // A copy: the id is a slice of the decoded piece, which the result would keep alive
        // (measured: ~240 MB of pieces then died in old space, queued behind a worker's results).
        this.groups.push({ id: detach(id), length, count: g.count });
      }
    }
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.buf.buffer, 0, this.at);
  }
}

/** Bytes per batch (a worker message, or one run on this thread). */
const BATCH = 1 << 20;
/** Spool bytes queued before a write starts. */
const SPOOL_WRITE = 256 * 1024;
/** Without a safe cut point for this long, a batch is cut anyway. */
const FORCE_CUT = 4 * 1024 * 1024;
/** Top-level element ends: after one, the next batch starts inside the root, as a batch must. */
const END = Buffer.from('</programme>');
const CHANNEL_END = Buffer.from('</channel>');
const GT = 0x3e;

/**
 * The end of a batch starting at `from`: after the last `</programme>` (or `</channel>`, in
 * the channel list) within `batch` bytes, else after the first one beyond; -1 if there is none.
 */
export function cutAfter(buf: Buffer, from: number, batch: number): number {
  const window = buf.subarray(from, from + batch);
  for (const end of [END, CHANNEL_END]) {
    const at = window.lastIndexOf(end);
    if (at !== -1) return from + at + end.length;
  }
  // (A negative offset would count from the end of the buffer.)
  const p = buf.indexOf(END, Math.max(from, from + batch - END.length + 1));
  const c = buf.indexOf(CHANNEL_END, Math.max(from, from + batch - CHANNEL_END.length + 1));
  if (p === -1) return c === -1 ? -1 : c + CHANNEL_END.length;
  return c === -1 || p < c ? p + END.length : c + CHANNEL_END.length;
}
const WORKER_FILE = new URL('./ingest-worker.js', import.meta.url);

/**
 * Workers beside the main thread, which parses too whenever every worker is busy: one per core
 * beyond the first, at most two. Measured on 2 cores with a 500 MB guide: one worker cut ingest
 * from ~8.5 to ~5.3 s for ~1.5 s more CPU, and peak RSS went from ~130 to ~170 MB. Streams are
 * served by the main thread between batches either way. Workers need the compiled worker
 * module; under a TS test runner batches run inline.
 */
export function workerCount(): number {
  const n = Math.min(2, availableParallelism() - 1);
  return n >= 1 && existsSync(fileURLToPath(WORKER_FILE)) ? n : 0;
}

/**
 * Batch-sized buffers kept for reuse. A fresh ~1 MB buffer per batch (the worker's copy of it,
 * and its rendered lines) left tens of MB of dead external memory waiting for a GC (peak RSS).
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(
    private readonly size: number,
    private readonly max: number,
  ) {}

  /** A kept buffer of at least `min` bytes, else a new one (a kept one too small stays kept). */
  take(min: number): ArrayBuffer {
    const b = this.spare();
    if (b && b.byteLength >= min) return b;
    if (b) this.free.push(b);
    return new ArrayBuffer(Math.max(min, this.size));
  }

  /** A kept buffer, if there is one. */
  spare(): ArrayBuffer | undefined {
    return this.free.pop();
  }

  give(b: ArrayBuffer): void {
    // Detached (transferred) buffers have no bytes; oversized ones are let go.
    if (this.free.length < this.max && b.byteLength >= this.size && b.byteLength <= 4 * this.size) {
      this.free.push(b);
    }
  }
}

/** A worker's answer: the result, and the job's input buffer back for reuse. */
export interface BatchReply {
  readonly id: number;
  readonly result?: BatchResult;
  readonly input?: ArrayBuffer;
  readonly error?: string;
}

interface Pool {
  /** `spare`: memory the worker may render into. */
  run(job: BatchJob, spare?: ArrayBuffer): Promise<BatchResult>;
  /** Jobs sent and not yet answered. */
  readonly pending: number;
  close(): Promise<void>;
}

function startPool(size: number, file: URL, inputs: BufferPool): Pool {
  const workers = Array.from(
    { length: size },
    () => new Worker(file, { resourceLimits: { maxYoungGenerationSizeMb: 16 } }),
  );
  const waiting = new Map<number, { resolve: (r: BatchResult) => void; reject: (e: Error) => void }>();
  let next = 0;
  for (const w of workers) {
    w.on('message', (m: BatchReply) => {
      const p = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.input) inputs.give(m.input);
      if (m.result) p?.resolve(m.result);
      else p?.reject(new Error(m.error ?? 'worker failed'));
    });
    w.on('error', (err) => {
      for (const p of waiting.values()) p.reject(err);
      waiting.clear();
    });
  }
  return {
    get pending() {
      return waiting.size;
    },
    run(job, spare) {
      const id = next++;
      const w = workers[id % workers.length] as Worker;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        const transfer = [job.data.buffer as ArrayBuffer];
        if (spare) transfer.push(spare);
        w.postMessage({ id, job, spare }, transfer);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

export interface IngestOptions {
  readonly window: { from: number; to: number };
  readonly timeShiftMinutes: number;
  readonly onBytes?: (n: number) => void;
  /** Override the worker count (0 = inline). */
  readonly workers?: number;
  /** Override the compiled worker module (tests). */
  readonly workerFile?: URL;
}

/** Read an XMLTV input into `spool` (opened, not finished). Never rejects for bad content. */
export async function ingestXmltv(
  input: AsyncIterable<Buffer>,
  spool: SpoolWriter,
  opts: IngestOptions,
): Promise<ReadReport> {
  const report = emptyReport();
  const problem = problemRecorder(report);
  const poolSize = opts.workers ?? workerCount();
  const batch = BATCH;
  let pool: Pool | undefined;
  // Copies of batches for workers, and memory for rendered lines (back once they are written).
  const inputs = new BufferPool(batch, poolSize * 2 + 2);
  const outputs = new BufferPool(batch, poolSize * 2 + 8);
  // Results in input order: a worker's arrives later, an inline one at once.
  const queue: Queued[] = [];
  let applied = 0;
  let sent = 0;
  let sawTv = false;
  let truncated = false;

  const apply = async (r: BatchResult): Promise<void> => {
    if (applied++ === 0) sawTv = r.sawTv;
    truncated ||= r.truncated;
    report.channels += r.channels.length;
    report.programmes += r.programmes;
    report.skipped += r.skipped;
    for (const c of r.channels) spool.channel(c);
    const lines = r.data.buffer as ArrayBuffer;
    spool.addBatch(r.data, r.groups, () => outputs.give(lines));
    report.problemCount += r.problemCount - r.problems.length;
    for (const m of r.problems) problem(m);
    // Spool writes of a few hundred KB: small batches do not each cost a write.
    const wait = spool.drain(SPOOL_WRITE);
    if (wait) await wait;
  };

  /** Apply finished results from the head of the queue, waiting while more than `keep` are queued. */
  const applyQueued = async (keep: number): Promise<void> => {
    while (queue.length > 0) {
      const head = queue[0] as Queued;
      if (!head.result) {
        if (queue.length <= keep) return;
        await head.done;
      }
      queue.shift();
      await apply(head.result as BatchResult);
    }
  };

  const job = (data: Buffer, final: boolean): BatchJob => ({
    data,
    encoding: report.encoding,
    continued: sent++ > 0,
    final,
    window: opts.window,
    timeShiftMinutes: opts.timeShiftMinutes,
  });

  /** `data` may be reused once this resolves (a worker gets a copy). */
  const dispatch = async (data: Buffer, final: boolean): Promise<void> => {
    if (!final && !pool && poolSize > 0) {
      pool = startPool(poolSize, opts.workerFile ?? WORKER_FILE, inputs);
    }
    // Two jobs per worker keep it busy; beyond that, this thread parses the batch itself.
    if (pool && pool.pending < poolSize * 2) {
      // Its own memory, as it is transferred.
      const owned = Buffer.from(inputs.take(data.length), 0, data.length);
      data.copy(owned);
      const q: Queued = { done: Promise.resolve() };
      q.done = pool.run(job(owned, final), outputs.spare()).then(
        (r) => void (q.result = r),
        (err: Error) => {
          q.result = emptyBatch();
          problem(`batch failed: ${err.message}`);
          report.complete = false;
        },
      );
      queue.push(q);
    } else {
      queue.push({ done: Promise.resolve(), result: processBatch(job(data, final), outputs.spare()) });
    }
    await applyQueued(final ? 0 : poolSize * 2 + 4);
  };

  try {
    const body = await xmltvBytes(input, report, problem, opts.onBytes);
    if (!body) return report;
    const { head, rest } = await peek(body[Symbol.asyncIterator](), 512);
    const enc = detectEncoding(head);
    if (enc.problem) problem(enc.problem);
    report.encoding = enc.label;
    if (enc.label.startsWith('utf-16')) {
      // Byte cuts are not safe for UTF-16: read it on this thread.
      const r = await readXmltv(rest, spool, { timeShiftMinutes: opts.timeShiftMinutes });
      return { ...r, bytes: report.bytes, compression: report.compression };
    }
    // Chunks are appended to one buffer reused throughout (sparing the allocator a large buffer
    // per batch) and cut into batches that end after a top-level element; what is left over
    // moves to the front.
    let scratch = Buffer.allocUnsafeSlow(4 * batch);
    let size = 0;
    for await (const chunk of rest) {
      if (size + chunk.length > scratch.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(2 * scratch.length, size + chunk.length));
        scratch.copy(bigger, 0, 0, size);
        scratch = bigger;
      }
      size += chunk.copy(scratch, size);
      if (size < batch) continue;
      const all = scratch.subarray(0, size);
      let from = 0;
      while (size - from >= batch) {
        let end = cutAfter(all, from, batch);
        if (end === -1) {
          if (size - from < FORCE_CUT) break;
          // Megabytes without an element end (not a guide's shape): cut after any '>', so a
          // UTF-8 character is never split.
          const gt = all.lastIndexOf(GT);
          end = gt >= from ? gt + 1 : size;
        }
        await dispatch(all.subarray(from, end), false);
        from = end;
      }
      // (Buffer#copy allows the overlap.)
      size = all.copy(scratch, 0, from);
    }
    await dispatch(scratch.subarray(0, size), true);
  } catch (err) {
    problem(`read failed: ${(err as Error).message}`);
    report.complete = false;
    // What was parsed stays: batches still running are applied.
    await applyQueued(0);
  } finally {
    await pool?.close();
  }
  if (!sawTv || truncated) report.complete = false;
  return report;
}

interface Queued {
  /** Settles once `result` is set. */
  done: Promise<void>;
  result?: BatchResult;
}

function emptyBatch(): BatchResult {
  return {
    channels: [],
    data: new Uint8Array(0),
    groups: [],
    programmes: 0,
    skipped: 0,
    problems: [],
    problemCount: 0,
    sawTv: false,
    truncated: false,
  };
}
