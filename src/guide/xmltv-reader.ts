// Streaming XMLTV ingest: bytes in (plain or gzip, any declared encoding), channel and programme
// events out. Memory stays bounded whatever the file size: nothing is kept after an event.
// Broken input never throws: what parsed is delivered and the rest is described in the report.
import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TextDecoder } from 'node:util';
import { StringDecoder } from 'node:string_decoder';
import { XmlScanner, attr } from './xml-scanner.js';
import { parseXmltvTime } from './xmltv-time.js';
import {
  CREDIT_ROLES,
  MAX_CREDITS,
  type Credit,
  type CreditRole,
  type EpisodeNum,
  type GuideChannel,
  type LangText,
  type Programme,
  type Rating,
} from './types.js';

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

/** Copy a string out of the chunk it was sliced from, so keeping it does not pin the chunk. */
export const own = (s: string): string => (s.length > 0 ? Buffer.from(s, 'utf8').toString('utf8') : s);

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

/** Mutable while the element is open; handed to the sink as a `Programme`. */
interface ProgrammeDraft {
  channel: string;
  start: number;
  stop?: number;
  titles: LangText[];
  subTitles?: LangText[];
  descs?: LangText[];
  categories?: LangText[];
  episodeNums?: EpisodeNum[];
  date?: string;
  icon?: string;
  isNew?: boolean;
  previouslyShown?: boolean;
  premiere?: boolean;
  credits?: Credit[];
  ratings?: Rating[];
  starRatings?: Rating[];
  /** Why the programme will be dropped, if it will. */
  bad?: string;
}

const enum Capture {
  None,
  DisplayName,
  Title,
  SubTitle,
  Desc,
  Category,
  Date,
  EpisodeNum,
  /** `<value>` of a rating or star-rating. */
  RatingValue,
  /** A person inside `<credits>`. */
  Credit,
}

/** A programme child whose own children are read: a rating or the credits. */
interface Group {
  readonly kind: 'rating' | 'star-rating' | 'credits';
  readonly system?: string;
  value?: string;
}

/** A string switch compiles to length-checked comparisons, cheaper than hashing a fresh slice. */
function capturedChild(name: string): Capture {
  switch (name) {
    case 'title':
      return Capture.Title;
    case 'desc':
      return Capture.Desc;
    case 'sub-title':
      return Capture.SubTitle;
    case 'category':
      return Capture.Category;
    case 'episode-num':
      return Capture.EpisodeNum;
    case 'date':
      return Capture.Date;
    default:
      return Capture.None;
  }
}

/** Turns scanner events into channels and programmes; only direct children are read. */
export class XmltvHandler {
  sawTv = false;
  private depth = 0;
  private channel: { id: string; names: string[]; icon?: string } | undefined;
  private prog: ProgrammeDraft | undefined;
  private group: Group | undefined;
  private creditRole: CreditRole | undefined;
  private capture = Capture.None;
  private buffered = '';
  private captureAttrs = '';
  // Attribute texts repeat (` lang="en"`): the last one read and its value, per attribute.
  private langAttrs = '';
  private lang: string | undefined;
  private systemAttrs = '';
  private system: string | undefined;

  constructor(
    private readonly sink: XmltvSink,
    private readonly report: ReadReport,
    readonly problem: (msg: string) => void,
    private readonly shiftMs: number,
  ) {}

  get wantsText(): boolean {
    return this.capture !== Capture.None;
  }

  open(name: string, attrs: string): void {
    const d = this.depth++;
    if (d === 3) {
      if (this.group) this.openGroupChild(this.group, name, attrs);
    } else if (d === 2) {
      if (this.prog) this.openProgrammeChild(name, attrs);
      else if (this.channel) {
        if (name === 'display-name') this.startCapture(Capture.DisplayName, attrs);
        else if (name === 'icon' && !this.channel.icon) {
          const src = attr(attrs, 'src');
          if (src) this.channel.icon = own(src);
        }
      }
    } else if (d === 1) {
      if (!this.sawTv) return;
      if (name === 'programme') this.openProgramme(attrs);
      else if (name === 'channel') this.channel = { id: attr(attrs, 'id') ?? '', names: [] };
    } else if (d === 0) {
      if (name === 'tv') this.sawTv = true;
      else this.problem(`root element is <${name}>, not <tv>: not an XMLTV document`);
    }
  }

  text(t: string): void {
    this.buffered += t;
  }

  close(_name: string): void {
    const d = --this.depth;
    if (d === 3) {
      if (this.capture !== Capture.None) this.endCapture();
    } else if (d === 2) {
      if (this.capture !== Capture.None) this.endCapture();
      if (this.group) this.closeGroup(this.group);
    } else if (d === 1) {
      if (this.prog) this.closeProgramme(this.prog);
      else if (this.channel) this.closeChannel(this.channel);
    }
  }

  private openProgramme(a: string): void {
    const startRaw = attr(a, 'start') ?? '';
    const stopRaw = attr(a, 'stop');
    const channel = attr(a, 'channel') ?? '';
    const start = parseXmltvTime(startRaw);
    const stop = stopRaw === undefined ? undefined : parseXmltvTime(stopRaw);
    const p: ProgrammeDraft = { channel, start: (start ?? 0) + this.shiftMs, titles: [] };
    if (!channel) p.bad = 'no channel';
    else if (start === undefined) p.bad = `bad start "${startRaw}"`;
    else if (stop !== undefined) {
      if (stop <= start) p.bad = 'stop not after start';
      p.stop = stop + this.shiftMs;
    }
    this.prog = p;
  }

  private openProgrammeChild(name: string, a: string): void {
    const c = capturedChild(name);
    if (c !== Capture.None) {
      this.startCapture(c, a);
      return;
    }
    const p = this.prog as ProgrammeDraft;
    if (name === 'rating' || name === 'star-rating') {
      const system = attr(a, 'system');
      this.group = { kind: name, ...(system ? { system: own(system) } : {}) };
    } else if (name === 'credits') this.group = { kind: 'credits' };
    else if (name === 'icon') {
      if (!p.icon) p.icon = attr(a, 'src') || undefined;
    } else if (name === 'new') p.isNew = true;
    else if (name === 'previously-shown') p.previouslyShown = true;
    else if (name === 'premiere') p.premiere = true;
  }

  private openGroupChild(g: Group, name: string, attrs: string): void {
    if (g.kind !== 'credits') {
      if (name === 'value') this.startCapture(Capture.RatingValue, attrs);
      return;
    }
    const role = (CREDIT_ROLES as readonly string[]).includes(name) ? (name as CreditRole) : undefined;
    if (!role || (this.prog?.credits?.length ?? 0) >= MAX_CREDITS) return;
    this.creditRole = role;
    this.startCapture(Capture.Credit, attrs);
  }

  private closeGroup(g: Group): void {
    this.group = undefined;
    const p = this.prog;
    if (!p || g.kind === 'credits' || !g.value) return;
    const r: Rating = g.system ? { value: g.value, system: g.system } : { value: g.value };
    if (g.kind === 'rating') (p.ratings ??= []).push(r);
    else (p.starRatings ??= []).push(r);
  }

  private startCapture(c: Capture, attrs: string): void {
    this.capture = c;
    this.buffered = '';
    this.captureAttrs = attrs;
  }

  private endCapture(): void {
    const c = this.capture;
    const text = this.buffered.trim();
    this.capture = Capture.None;
    this.buffered = '';
    if (!text) return;
    if (c === Capture.DisplayName) {
      this.channel?.names.push(own(text));
      return;
    }
    const p = this.prog;
    if (!p) return;
    if (c === Capture.Date) {
      p.date = text;
      return;
    }
    if (c === Capture.RatingValue) {
      if (this.group) this.group.value ??= text;
      return;
    }
    if (c === Capture.Credit) {
      const role = this.creditRole as CreditRole;
      const character = role === 'actor' ? attr(this.captureAttrs, 'role') : undefined;
      (p.credits ??= []).push(character ? { role, name: text, character } : { role, name: text });
      return;
    }
    if (c === Capture.EpisodeNum) {
      if (this.captureAttrs !== this.systemAttrs) {
        this.systemAttrs = this.captureAttrs;
        this.system = attr(this.captureAttrs, 'system');
      }
      (p.episodeNums ??= []).push({ system: this.system || 'onscreen', value: text });
      return;
    }
    if (this.captureAttrs !== this.langAttrs) {
      this.langAttrs = this.captureAttrs;
      this.lang = this.captureAttrs.length > 0 ? attr(this.captureAttrs, 'lang') : undefined;
    }
    const lang = this.lang;
    const lt: LangText = lang ? { text, lang } : { text };
    if (c === Capture.Title) p.titles.push(lt);
    else if (c === Capture.SubTitle) (p.subTitles ??= []).push(lt);
    else if (c === Capture.Desc) (p.descs ??= []).push(lt);
    else if (c === Capture.Category) (p.categories ??= []).push(lt);
  }

  private closeChannel(c: { id: string; names: string[]; icon?: string }): void {
    this.channel = undefined;
    if (!c.id) {
      this.problem('<channel> without id ignored');
      return;
    }
    this.report.channels++;
    this.sink.channel({ id: own(c.id), names: c.names, ...(c.icon ? { icon: c.icon } : {}) });
  }

  private closeProgramme(p: ProgrammeDraft): void {
    this.prog = undefined;
    const bad = p.bad ?? (p.titles.length ? undefined : 'no title');
    if (bad) {
      this.report.skipped++;
      if (this.report.skipped <= 5) this.problem(`programme on "${p.channel}" skipped: ${bad}`);
      return;
    }
    this.report.programmes++;
    this.sink.programme(p);
  }
}
