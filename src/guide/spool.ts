// On-disk spool of one guide input: every programme inside the window, rendered once to its
// XMLTV body, one line per programme (`start \t stop \t body`). Lines are grouped per guide
// channel into segments, and only the segment index stays in memory, so a 500 MB guide never
// becomes a JS object graph. Interleaved inputs (sorted by time, not channel) just produce
// more segments.
import { open, rename, rm, readFile, type FileHandle } from 'node:fs/promises';
import { writeJsonAtomic } from '../util/atomic-file.js';
import type { GuideChannel, GuideKind, Programme } from './types.js';
import type { XmltvSink } from './xmltv-reader.js';
import { own } from './xmltv-reader.js';
import { renderProgrammeBody } from './xmltv-writer.js';

export interface SpoolEntry {
  /** Programmes (lines) of this guide channel. */
  count: number;
  /** Flat list of [byteOffset, byteLength] pairs. */
  segs: number[];
}

export interface SpoolMeta {
  readonly version: 1;
  readonly inputId: string;
  readonly kind: GuideKind;
  /** Display form (credentials masked). */
  readonly label: string;
  readonly fetchedAt: number;
  /** `mtime:size` of a file input, to notice changes. */
  readonly stamp?: string;
  readonly channels: readonly GuideChannel[];
  readonly index: Readonly<Record<string, SpoolEntry>>;
  readonly programmes: number;
  /** Raw bytes read. */
  readonly bytes: number;
  readonly complete: boolean;
  readonly problems: readonly string[];
  readonly problemCount: number;
}

/** A programme's spool line, or undefined when it lies outside the window. */
export function spoolLine(p: Programme, window: { from: number; to: number }): string | undefined {
  const stop = p.stop ?? 0;
  if (p.start >= window.to || (stop ? stop <= window.from : p.start < window.from - 86_400_000))
    return undefined;
  return `${p.start}\t${stop}\t${renderProgrammeBody(p)}\n`;
}

export interface SpoolLine {
  start: number;
  /** 0 when the guide gave no stop time. */
  stop: number;
  body: string;
}

const CHANNEL_FLUSH = 64 * 1024;
const SWITCH_FLUSH = 4 * 1024;
const TOTAL_FLUSH = 4 * 1024 * 1024;

interface Pending {
  lines: string[];
  size: number;
}

/** Collects an input's programmes into `<path>.tmp`; `commit` makes it the input's spool. */
export class SpoolWriter implements XmltvSink {
  readonly channels: GuideChannel[] = [];
  private readonly index = new Map<string, SpoolEntry>();
  private readonly pending = new Map<string, Pending>();
  private last: Pending | undefined;
  private lastId = '';
  private totalPending = 0;
  private queue: Buffer[] = [];
  private queued = 0;
  private offset = 0;
  private fh: FileHandle | undefined;
  private writing: Promise<void> | undefined;
  private failure: Error | undefined;
  /** Programmes written (inside the window). */
  written = 0;

  constructor(
    private readonly path: string,
    private readonly window: { from: number; to: number },
  ) {}

  async openFile(): Promise<void> {
    this.fh = await open(this.path + '.tmp', 'w');
  }

  channel(ch: GuideChannel): void {
    this.channels.push(ch);
  }

  programme(p: Programme): void {
    const line = spoolLine(p, this.window);
    if (line === undefined) return;
    // Consecutive programmes usually share a channel: skip the map lookup then.
    let pend: Pending | undefined;
    if (this.last !== undefined && this.lastId === p.channel) pend = this.last;
    else {
      // Channel switch: write out the previous channel's lines now if there are enough of them,
      // so they die young instead of being promoted and costing major GCs.
      if (this.last !== undefined && this.last.size >= SWITCH_FLUSH) this.move(this.lastId);
      pend = this.pending.get(p.channel);
    }
    if (!pend) {
      pend = { lines: [], size: 0 };
      this.pending.set(own(p.channel), pend);
    }
    this.last = pend;
    this.lastId = p.channel;
    pend.lines.push(line);
    pend.size += line.length;
    this.totalPending += line.length;
    this.written++;
    if (pend.size >= CHANNEL_FLUSH) this.move(p.channel);
    if (this.totalPending >= TOTAL_FLUSH) for (const id of [...this.pending.keys()]) this.move(id);
  }

  /** Append lines rendered elsewhere (a worker) for guide channel `id`. */
  addGroup(id: string, data: Uint8Array, count: number): void {
    if (this.pending.size) for (const pid of [...this.pending.keys()]) this.move(pid);
    this.append(id, Buffer.from(data.buffer, data.byteOffset, data.byteLength), count);
    this.written += count;
  }

  /**
   * Start writing what is queued. Resolves when the previous write is done, so one write can
   * overlap parsing while memory stays bounded; the reader awaits this between chunks.
   */
  drain(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    const inflight = this.writing;
    if (this.queued > 0) {
      const chunk = Buffer.concat(this.queue, this.queued);
      this.queue = [];
      this.queued = 0;
      const fh = this.fh as FileHandle;
      this.writing = (inflight ?? Promise.resolve())
        .then(() => fh.write(chunk))
        .then(() => undefined)
        .catch((err: Error) => {
          this.failure = err;
          throw err;
        });
    }
    return inflight;
  }

  private move(id: string): void {
    const pend = this.pending.get(id);
    if (!pend) return;
    const buf = Buffer.from(pend.lines.join(''), 'utf8');
    const count = pend.lines.length;
    this.totalPending -= pend.size;
    this.pending.delete(id);
    if (this.last === pend) this.last = undefined;
    this.append(id, buf, count);
  }

  private append(id: string, buf: Buffer, count: number): void {
    let e = this.index.get(id);
    if (!e) {
      e = { count: 0, segs: [] };
      // `id` may be a slice of a whole decoded chunk: keep a copy, not the chunk.
      this.index.set(own(id), e);
    }
    e.count += count;
    const segs = e.segs;
    // Adjacent segments of one channel (the usual grouped layout) merge into one.
    if (
      segs.length &&
      (segs[segs.length - 2] as number) + (segs[segs.length - 1] as number) === this.offset
    ) {
      segs[segs.length - 1] = (segs[segs.length - 1] as number) + buf.length;
    } else segs.push(this.offset, buf.length);
    this.offset += buf.length;
    this.queue.push(buf);
    this.queued += buf.length;
  }

  /** Flush everything and close the temporary file; returns the segment index. */
  async finish(): Promise<Record<string, SpoolEntry>> {
    for (const id of [...this.pending.keys()]) this.move(id);
    await this.drain();
    await this.writing;
    await this.fh?.close();
    this.fh = undefined;
    return Object.fromEntries(this.index);
  }

  /** Replace the input's spool with this one (data first, then the metadata that points into it). */
  async commit(meta: SpoolMeta): Promise<void> {
    await rename(this.path + '.tmp', this.path + '.lines');
    await writeJsonAtomic(this.path + '.json', meta);
  }

  async discard(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    await rm(this.path + '.tmp', { force: true });
  }
}

export async function loadSpoolMeta(path: string): Promise<SpoolMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(path + '.json', 'utf8')) as SpoolMeta;
    return meta.version === 1 ? meta : undefined;
  } catch {
    return undefined;
  }
}

export async function removeSpool(path: string): Promise<void> {
  await rm(path + '.json', { force: true });
  await rm(path + '.lines', { force: true });
}

/** Read one channel's lines from an open spool file. */
export async function readSpoolLines(fh: FileHandle, entry: SpoolEntry): Promise<SpoolLine[]> {
  const out: SpoolLine[] = [];
  for (let i = 0; i < entry.segs.length; i += 2) {
    const len = entry.segs[i + 1] as number;
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await fh.read(buf, 0, len, entry.segs[i] as number);
    const text = buf.toString('utf8', 0, bytesRead);
    let pos = 0;
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      const end = nl === -1 ? text.length : nl;
      const t1 = text.indexOf('\t', pos);
      const t2 = text.indexOf('\t', t1 + 1);
      if (t1 > pos && t2 > t1 && t2 < end) {
        out.push({
          start: Number(text.slice(pos, t1)),
          stop: Number(text.slice(t1 + 1, t2)),
          body: text.slice(t2 + 1, end),
        });
      }
      pos = end + 1;
    }
  }
  return out;
}
