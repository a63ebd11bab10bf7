// Streaming XMLTV ingest: bytes in (plain or gzip, any declared encoding), channel and programme
// events out. Memory stays bounded whatever the file size: nothing is kept after an event.
// Broken input never throws: what parsed is delivered and the rest is described in the report.
import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TextDecoder } from 'node:util';
import { StringDecoder } from 'node:string_decoder';
import { XmlScanner } from './xml-scanner.js';
import { XmltvHandler } from './xmltv-handler.js';
import type { GuideChannel, Programme } from './types.js';

export interface XmltvSink {
  channel(ch: GuideChannel): void;
  programme(p: Programme): void;
  /** Back-pressure: awaited (when it returns a promise) after each chunk. */
  drain?(): Promise<void> | undefined;
}

export interface ReadOptions {
  /** Added to every programme time (providers that get time zones wrong). */
  readonly timeShiftMinutes?: number;
  /** Called with the number of raw (possibly compressed) bytes of each chunk read. */
  readonly onBytes?: (n: number) => void;
  /** Problems kept verbatim in the report; the rest are only counted. */
  readonly maxProblems?: number;
}

export interface ReadReport {
  /** Raw bytes read (compressed size for gzip). */
  bytes: number;
  compression: 'gzip' | 'none';
  encoding: string;
  channels: number;
  programmes: number;
  /** Programmes dropped as unusable (bad times, no title, no channel). */
  skipped: number;
  problems: string[];
  problemCount: number;
  /** False when the document was truncated, corrupt or not XMLTV at all. */
  complete: boolean;
}

const GZIP = [0x1f, 0x8b];
const UNSUPPORTED: ReadonlyArray<[number[], string]> = [
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
  [[0x50, 0x4b, 0x03, 0x04], 'zip'],
  [[0x42, 0x5a, 0x68], 'bzip2'],
];
const startsWith = (b: Buffer, magic: number[]): boolean => magic.every((v, i) => b[i] === v);

/** Pick a decoder from the BOM or the XML declaration; ISO-8859-1 decodes as its superset windows-1252. */
export function detectEncoding(head: Buffer): { label: string; problem?: string } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { label: 'utf-8' };
  if (head[0] === 0xff && head[1] === 0xfe) return { label: 'utf-16le' };
  if (head[0] === 0xfe && head[1] === 0xff) return { label: 'utf-16be' };
  const decl = /^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(
    head.toString('latin1', 0, 512),
  );
  if (!decl?.[1]) return { label: 'utf-8' };
  try {
    return { label: new TextDecoder(decl[1]).encoding };
  } catch {
    return { label: 'utf-8', problem: `unsupported encoding "${decl[1]}", read as UTF-8` };
  }
}

export interface Decoder {
  write(b: Buffer): string;
  end(): string;
}

/**
 * UTF-8 through StringDecoder (markedly faster than TextDecoder here), anything else through
 * TextDecoder. ASCII chunks, the bulk of most guides, are copied as Latin-1 (the same text,
 * several times faster to decode) when no partial character is pending.
 */
export function decoderFor(label: string): Decoder {
  if (label === 'utf-8') {
    const sd = new StringDecoder('utf8');
    let bom = true;
    // Nothing is held in `sd` while every chunk so far went around it or ended in an ASCII byte.
    let clean = true;
    return {
      write(b) {
        if (clean && isAscii(b)) {
          if (b.length) bom = false;
          return b.toString('latin1');
        }
        const s = sd.write(b);
        clean = b.length > 0 && (b[b.length - 1] as number) < 0x80;
        if (!bom || !s) return s;
        bom = false;
        return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
      },
      end: () => sd.end(),
    };
  }
  const td = new TextDecoder(label);
  return { write: (b) => td.decode(b, { stream: true }), end: () => td.decode() };
}

export function emptyReport(): ReadReport {
  return {
    bytes: 0,
    compression: 'none',
    encoding: 'utf-8',
    channels: 0,
    programmes: 0,
    skipped: 0,
    problems: [],
    problemCount: 0,
    complete: true,
  };
}

/** A problem recorder for `report`: the first `max` verbatim, all counted. */
export function problemRecorder(report: ReadReport, max = 20): (msg: string) => void {
  return (msg) => {
    report.problemCount++;
    if (report.problems.length < max) report.problems.push(msg);
  };
}

type ByteSource = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>;

/**
 * The decompressed bytes of an XMLTV input: counts raw bytes into `report`, sniffs the magic
 * bytes (gzip is inflated; xz, zip, bzip2 are reported). Undefined when the input is unusable.
 */
export async function xmltvBytes(
  input: ByteSource,
  report: ReadReport,
  problem: (msg: string) => void,
  onBytes?: (n: number) => void,
): Promise<AsyncIterable<Buffer> | undefined> {
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const c of input) {
      const b = typeof c === 'string' ? Buffer.from(c) : Buffer.isBuffer(c) ? c : Buffer.from(c);
      report.bytes += b.length;
      onBytes?.(b.length);
      yield b;
    }
  };
  const { head, rest } = await peek(counted(), 6);
  if (startsWith(head, GZIP)) report.compression = 'gzip';
  const kind = UNSUPPORTED.find(([magic]) => startsWith(head, magic))?.[1];
  if (kind) {
    problem(`${kind}-compressed guides are not supported (use gzip or plain XML)`);
    report.complete = false;
    return undefined;
  }
  return report.compression === 'gzip' ? Readable.from(rest).pipe(createGunzip()) : rest;
}

/** Parse an XMLTV byte stream. Resolves (never rejects for bad content) with what happened. */
export async function readXmltv(
  input: ByteSource,
  sink: XmltvSink,
  opts: ReadOptions = {},
): Promise<ReadReport> {
  const report = emptyReport();
  const problem = problemRecorder(report, opts.maxProblems);
  const handler = new XmltvHandler(sink, report, problem, (opts.timeShiftMinutes ?? 0) * 60_000);
  const scanner = new XmlScanner(handler);
  let decoder: Decoder | undefined;
  try {
    const body = await xmltvBytes(input, report, problem, opts.onBytes);
    if (!body) return report;
    // The encoding is decided on the first bytes, which may arrive in several small chunks.
    let first: Buffer[] = [];
    let headSize = 0;
    const start = (): Decoder => {
      const enc = detectEncoding(Buffer.concat(first));
      if (enc.problem) problem(enc.problem);
      report.encoding = enc.label;
      const d = decoderFor(enc.label);
      for (const h of first) scanner.write(d.write(h));
      first = [];
      return d;
    };
    for await (const chunk of body) {
      if (decoder) {
        scanner.write(decoder.write(chunk));
        const wait = sink.drain?.();
        if (wait) await wait;
        continue;
      }
      first.push(chunk);
      headSize += chunk.length;
      if (headSize >= 512) decoder = start();
    }
    decoder ??= start();
    scanner.write(decoder.end());
  } catch (err) {
    problem(`read failed: ${(err as Error).message}`);
    report.complete = false;
  }
  scanner.end();
  if (!handler.sawTv) report.complete = false;
  if (scanner.truncated) report.complete = false;
  return report;
}

/** Split an async byte stream into its first `min` bytes (for sniffing) and the whole stream. */
export async function peek(
  src: AsyncIterator<Buffer>,
  min: number,
): Promise<{ head: Buffer; rest: AsyncGenerator<Buffer> }> {
  const first: Buffer[] = [];
  let size = 0;
  while (size < min) {
    const r = await src.next();
    if (r.done) break;
    first.push(r.value);
    size += r.value.length;
  }
  const head = Buffer.concat(first);
  const rest = (async function* () {
    if (head.length) yield head;
    for (;;) {
      const r = await src.next();
      if (r.done) return;
      yield r.value;
    }
  })();
  return { head, rest };
}
