// On-disk spool of one guide input: every programme inside the window, rendered once to its
// XMLTV body, one line per programme (`start \t stop \t body`). Lines are grouped per guide
// channel into segments, and only the segment index stays in memory, so a 500 MB guide never
// becomes a JS object graph. Interleaved inputs (sorted by time, not channel) just produce
// more segments.
import { open, rename, rm, readFile, type FileHandle } from 'node:fs/promises';
import { writeJsonAtomic } from '../util/atomic-file.js';
import type { GuideChannel, GuideKind, Programme } from './types.js';
import type { XmltvSink } from './xmltv-reader.js';
import { own } from './strings.js';
import { renderProgrammeParts } from './xmltv-writer.js';
import { parseSpoolRecords, readSpoolBytes } from './spool-records.js';

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

/**
 * Push a programme's spool line onto `out` as pieces (joined later, many lines at once).
 * False when the programme lies outside the window (nothing pushed).
 */
export function pushSpoolLine(p: Programme, window: { from: number; to: number }, out: string[]): boolean {
  const stop = p.stop ?? 0;
  if (p.start >= window.to || (stop ? stop <= window.from : p.start < window.from - 86_400_000)) return false;
  out.push(`${p.start}\t${stop}\t`);
  renderProgrammeParts(p, out);
  out.push('\n');
  return true;
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
  /** Pieces of the lines (see pushSpoolLine). */
  parts: string[];
  count: number;
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
  /** Called once the queued bytes they belong to are written. */
  private releases: (() => void)[] = [];
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
    // Consecutive programmes usually share a channel: skip the map lookup then.
    const same = this.last !== undefined && this.lastId === p.channel;
    const pend = same
      ? (this.last as Pending)
      : (this.pending.get(p.channel) ?? { parts: [], count: 0, size: 0 });
    const from = pend.parts.length;
    if (!pushSpoolLine(p, this.window, pend.parts)) return;
    let size = 0;
    for (let i = from; i < pend.parts.length; i++) size += (pend.parts[i] as string).length;
    if (!same) {
      // Channel switch: write out the previous channel's lines now if there are enough of them,
      // so they die young instead of being promoted and costing major GCs.
      if (this.last !== undefined && this.last.size >= SWITCH_FLUSH) this.move(this.lastId);
      if (!pend.count) this.pending.set(own(p.channel), pend);
      this.last = pend;
      this.lastId = p.channel;
    }
    pend.count++;
    pend.size += size;
    this.totalPending += size;
    this.written++;
    if (pend.size >= CHANNEL_FLUSH) this.move(p.channel);
    if (this.totalPending >= TOTAL_FLUSH) for (const id of [...this.pending.keys()]) this.move(id);
  }

  /**
   * Append lines rendered elsewhere (a batch): `groups` lie back to back in `data`. `release` is
   * called once `data` is written, after which the caller may reuse its memory.
   */
  addBatch(
    data: Uint8Array,
    groups: readonly { id: string; length: number; count: number }[],
    release?: () => void,
  ): void {
    if (this.pending.size) for (const pid of [...this.pending.keys()]) this.move(pid);
    for (const g of groups) {
      this.record(g.id, g.length, g.count);
      this.written += g.count;
    }
    this.queue.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.queued += data.byteLength;
    if (release) this.releases.push(release);
  }

  /**
   * Start writing what is queued (once at least `min` bytes are). Resolves when the previous
   * write is done, so one write can overlap parsing while memory stays bounded; the reader
   * awaits this between chunks.
   */
  drain(min = 0): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (min > 0 && this.queued < min) return undefined;
    const inflight = this.writing;
    if (this.queued > 0) {
      // Written as they are (writev), not copied into one buffer first.
      const chunks = this.queue;
      const releases = this.releases;
      this.queue = [];
      this.releases = [];
      this.queued = 0;
      const fh = this.fh as FileHandle;
      this.writing = (inflight ?? Promise.resolve())
        .then(() => fh.writev(chunks))
        .then(() => {
          for (const r of releases) r();
        })
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
    const buf = Buffer.from(pend.parts.join(''), 'utf8');
    const count = pend.count;
    this.totalPending -= pend.size;
    this.pending.delete(id);
    if (this.last === pend) this.last = undefined;
    this.append(id, buf, count);
  }

  private append(id: string, buf: Buffer, count: number): void {
    this.record(id, buf.length, count);
    this.queue.push(buf);
    this.queued += buf.length;
  }

  /** Index `length` bytes (`count` lines) of channel `id` at the current end of the spool. */
  private record(id: string, length: number, count: number): void {
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
      segs[segs.length - 1] = (segs[segs.length - 1] as number) + length;
    } else segs.push(this.offset, length);
    this.offset += length;
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
  const r = parseSpoolRecords(await readSpoolBytes(fh, entry));
  const out: SpoolLine[] = [];
  for (let i = 0; i < r.count; i++) {
    out.push({
      start: r.starts[i] as number,
      stop: r.stops[i] as number,
      body: r.data.toString('utf8', r.bodyStart[i], r.bodyEnd[i]),
    });
  }
  return out;
}
