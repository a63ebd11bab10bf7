// Ingest of one XMLTV input into a spool, in parallel when the input is large.
//
// Parsing and rendering dominate the cost of a refresh, and both are per programme. So the
// decompressed bytes are cut after a `</programme>` into batches of about 1 MB, batches are
// parsed and rendered by worker threads, and their per-channel lines are appended to the spool
// in input order (so results do not depend on scheduling). Cuts fall on an ASCII `>`, which is
// safe for UTF-8 and the single-byte encodings; UTF-16 input is read on the main thread.
// The worker pool is only started for inputs bigger than one batch.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { GuideChannel, Programme } from './types.js';
import { SpoolWriter, spoolLine } from './spool.js';
import { XmlScanner } from './xml-scanner.js';
import {
  XmltvHandler,
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
  readonly groups: { id: string; length: number; count: number }[];
  readonly programmes: number;
  readonly skipped: number;
  readonly problems: string[];
  readonly problemCount: number;
  readonly sawTv: boolean;
  readonly truncated: boolean;
}

/** Parse and render one batch (runs in a worker, or inline). */
export function processBatch(job: BatchJob): BatchResult {
  const report = emptyReport();
  const problem = problemRecorder(report);
  const channels: GuideChannel[] = [];
  const lines = new Map<string, string[]>();
  // Consecutive programmes usually share a channel: skip hashing the id then.
  let lastId = '';
  let last: string[] | undefined;
  const sink: XmltvSink = {
    channel: (c) => channels.push(c),
    programme: (p: Programme) => {
      const line = spoolLine(p, job.window);
      if (line === undefined) return;
      if (last === undefined || p.channel !== lastId) {
        last = lines.get(p.channel);
        if (!last) lines.set(p.channel, (last = []));
        lastId = p.channel;
      }
      last.push(line);
    },
  };
  const handler = new XmltvHandler(sink, report, problem, job.timeShiftMinutes * 60_000);
  const scanner = new XmlScanner(handler);
  // A continued batch starts inside the root: reopen it so depths line up.
  if (job.continued) scanner.write('<tv>');
  const bytes = Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength);
  const decoder = decoderFor(job.encoding);
  scanner.write(decoder.write(bytes));
  scanner.write(decoder.end());
  if (job.final) scanner.end();
  const groups: BatchResult['groups'] = [];
  const parts: Buffer[] = [];
  for (const [id, l] of lines) {
    const b = Buffer.from(l.join(''), 'utf8');
    parts.push(b);
    groups.push({ id, length: b.length, count: l.length });
  }
  // Buffer.concat of more than a few KB owns its ArrayBuffer, so it can be transferred.
  const all = Buffer.concat(parts);
  return {
    channels,
    data: new Uint8Array(all.buffer, all.byteOffset, all.byteLength),
    groups,
    programmes: report.programmes,
    skipped: report.skipped,
    problems: report.problems,
    problemCount: report.problemCount,
    sawTv: handler.sawTv,
    truncated: scanner.truncated,
  };
}

const BATCH = 1 << 20;
const END = Buffer.from('</programme>');
const WORKER_FILE = new URL('./ingest-worker.js', import.meta.url);

/**
 * One core stays with the main thread (HTTP, spool writes). On a 2-core machine workers were
 * measured slower than inline parsing and cost ~100 MB of RSS, so they start at 3 cores.
 * Workers need the compiled worker module; under a TS test runner batches run inline.
 */
function workerCount(): number {
  const n = Math.min(4, availableParallelism() - 1);
  return n >= 2 && existsSync(fileURLToPath(WORKER_FILE)) ? n : 0;
}

interface Pool {
  run(job: BatchJob): Promise<BatchResult>;
  close(): Promise<void>;
}

function startPool(size: number, file: URL): Pool {
  const workers = Array.from({ length: size }, () => new Worker(file));
  const waiting = new Map<number, { resolve: (r: BatchResult) => void; reject: (e: Error) => void }>();
  let next = 0;
  for (const w of workers) {
    w.on('message', (m: { id: number; result?: BatchResult; error?: string }) => {
      const p = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.result) p?.resolve(m.result);
      else p?.reject(new Error(m.error ?? 'worker failed'));
    });
    w.on('error', (err) => {
      for (const p of waiting.values()) p.reject(err);
      waiting.clear();
    });
  }
  return {
    run(job) {
      const id = next++;
      const w = workers[id % workers.length] as Worker;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        w.postMessage({ id, job }, [job.data.buffer as ArrayBuffer]);
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
  // Inline batches are smaller: less transient memory, same throughput.
  const batch = poolSize > 0 ? BATCH : BATCH / 4;
  let pool: Pool | undefined;
  const inflight: Promise<BatchResult>[] = [];
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
    let at = 0;
    for (const g of r.groups) {
      spool.addGroup(g.id, r.data.subarray(at, at + g.length), g.count);
      at += g.length;
    }
    report.problemCount += r.problemCount - r.problems.length;
    for (const m of r.problems) problem(m);
    const wait = spool.drain();
    if (wait) await wait;
  };

  /** `data` must own its ArrayBuffer (it is transferred to a worker). */
  const dispatch = async (data: Uint8Array, final: boolean): Promise<void> => {
    const job: BatchJob = {
      data,
      encoding: report.encoding,
      continued: sent++ > 0,
      final,
      window: opts.window,
      timeShiftMinutes: opts.timeShiftMinutes,
    };
    if (!final && !pool && poolSize > 0) pool = startPool(poolSize, opts.workerFile ?? WORKER_FILE);
    if (!pool) return apply(processBatch(job));
    inflight.push(pool.run(job));
    // Apply in input order; at most two batches per worker in flight keeps memory bounded.
    while (inflight.length > 0 && (final || inflight.length >= poolSize * 2)) {
      await apply(await (inflight.shift() as Promise<BatchResult>));
    }
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
    // Chunks are collected and copied once per batch into a buffer that owns its memory.
    let chunks: Buffer[] = [];
    let size = 0;
    const owned = (): Buffer => {
      const b = Buffer.allocUnsafeSlow(size);
      let at = 0;
      for (const c of chunks) at += c.copy(b, at);
      return b;
    };
    for await (const chunk of rest) {
      chunks.push(chunk);
      size += chunk.length;
      if (size < batch) continue;
      const cut = chunk.lastIndexOf(END);
      // No programme end in this chunk: wait for the next (or cut anyway once it gets large).
      if (cut === -1 && size < 16 * batch) continue;
      const all = owned();
      const end = cut === -1 ? size : size - chunk.length + cut + END.length;
      const left = Buffer.from(all.subarray(end));
      chunks = left.length ? [left] : [];
      size = left.length;
      await dispatch(new Uint8Array(all.buffer, 0, end), false);
    }
    await dispatch(owned(), true);
  } catch (err) {
    problem(`read failed: ${(err as Error).message}`);
    report.complete = false;
    // What was parsed stays: batches still running are applied.
    for (const p of inflight.splice(0)) await apply(await p.catch(() => emptyBatch()));
  } finally {
    await pool?.close();
  }
  if (!sawTv || truncated) report.complete = false;
  return report;
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
