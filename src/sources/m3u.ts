// M3U source: stream a playlist from a URL or a local file through the parser, without holding the
// text in memory, and turn entries into SourceEntries (filters applied, unsupported entries counted).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import {
  M3uParser,
  NO_HEADERS,
  type M3uEntryFields,
  type M3uFieldHandlers,
  type M3uWarning,
} from './m3u-parser.js';
import { passesFilters, type M3uDefinition } from './definition.js';
import { upstreamGet, UpstreamError } from './http.js';
import { SourceError, type RefreshProgress, type SourceEntry, type SourceSnapshot } from './types.js';

const MAX_WARNINGS = 20;
/** Bytes per read of a local playlist. */
const FILE_CHUNK = 256 * 1024;

export interface M3uReadOptions {
  readonly signal?: AbortSignal;
  /** Called now and then while the playlist is read. */
  readonly onProgress?: (p: RefreshProgress) => void;
}

export async function readM3uSource(def: M3uDefinition, opts: M3uReadOptions = {}): Promise<SourceSnapshot> {
  const where = def.definitionFile;
  let input: AsyncIterable<Buffer>;
  let baseUrl: string | undefined;
  let total: number | undefined;
  if (def.file) {
    total = await stat(def.file).then(
      (st) => st.size,
      () => undefined,
    );
    // Opened after the last await before it is read: an open error (a missing file) emitted
    // while nothing listens would be an uncaught exception, not the clear error below.
    // Larger reads than the 64 KB default: every read is a round trip through the libuv thread
    // pool, and on a busy machine 100+ round trips per playlist cost more wall time than parsing.
    input = createReadStream(def.file, { highWaterMark: FILE_CHUNK });
  } else {
    const res = await upstreamGet({
      url: def.url!,
      headers: { 'User-Agent': def.userAgent, ...def.headers },
      timeoutMs: def.timeoutMs,
      signal: opts.signal,
    }).catch((err: unknown) => {
      throw asSourceError(where, err);
    });
    if (res.status < 200 || res.status > 299) {
      const excerpt = (await res.text().catch(() => '')).slice(0, 200);
      throw new SourceError(
        `${where}: playlist server answered HTTP ${res.status}${htmlHint(excerpt)}`,
        res.status === 401 || res.status === 403 ? 'auth' : 'provider',
        res.status,
      );
    }
    input = res.body;
    baseUrl = res.finalUrl;
    total = res.contentLength;
  }

  const sink = new EntrySink(def.filters, { 'User-Agent': def.userAgent, ...def.headers }, total);
  const parser = new M3uParser(sink, { baseUrl });

  try {
    let first = true;
    const decoder = new Utf8Text();
    let read = 0;
    const counted = (async function* () {
      for await (const chunk of input) {
        read += chunk.length;
        yield chunk;
      }
    })();
    let reported = 0;
    for await (const chunk of decompress(counted)) {
      if (opts.onProgress && read - reported >= 256 * 1024) {
        reported = read;
        opts.onProgress({ entries: sink.entries.length, fraction: total ? Math.min(0.99, read / total) : 0 });
      }
      const text = decoder.write(chunk);
      if (first && text.trim()) {
        first = false;
        if (/^\uFEFF?\s*</.test(text)) {
          throw new SourceError(`${where}: playlist server answered HTML (not an M3U playlist)`, 'format');
        }
      }
      parser.push(text);
      if (parser.mediaPlaylist) {
        throw new SourceError(
          `${where}: this is an HLS stream (media playlist), not a channel list`,
          'format',
        );
      }
    }
    parser.push(decoder.end());
    parser.end();
  } catch (err) {
    if (err instanceof SourceError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SourceError(`${where}: playlist file not found: ${def.file}`, 'config');
    }
    throw asSourceError(where, err);
  }
  if (parser.entryCount === 0 && !parser.sawHeader) {
    throw new SourceError(`${where}: not an M3U playlist (no #EXTM3U header and no entries)`, 'format');
  }
  opts.onProgress?.({ entries: sink.entries.length, fraction: 1 });
  const shift = Number(parser.header['tvg-shift']);
  return {
    entries: sink.entries,
    tvgUrls: parser.tvgUrls,
    timeShiftMinutes: Number.isFinite(shift) && shift !== 0 ? Math.round(shift * 60) : undefined,
    skipped: sink.skipped,
    warnings: sink.warnings,
  };
}

/**
 * Parser entries → SourceEntries: unsupported and filtered entries and repeated URLs are counted as
 * skipped. A class, not closures, so every source's parser calls the same method (one optimised
 * call site instead of a deoptimisation per source).
 */
class EntrySink implements M3uFieldHandlers {
  readonly entries: SourceEntry[] = entryList();
  readonly warnings: string[] = [];
  skipped = 0;
  /** Stream ids seen, by their two hash halves: no id string is hashed again to find repeats. */
  private readonly seen: IdSet;
  /** Most sources have no filters: then the filter check is skipped altogether. */
  private readonly filtered: boolean;

  constructor(
    private readonly filters: M3uDefinition['filters'],
    /** Shared by every entry without headers of its own (100k entries, one object). */
    private readonly base: Record<string, string>,
    /** Playlist size in bytes, when known: sizes the repeat check for the expected entries. */
    bytes: number | undefined,
  ) {
    // ~150 bytes per entry in a typical M3U Plus list; 64k entries when the size is unknown.
    this.seen = new IdSet(bytes === undefined ? 65_536 : bytes / 150);
    this.filtered = Object.values(filters).some((f: unknown) => !Array.isArray(f) || f.length > 0);
  }

  fields(e: M3uEntryFields): void {
    if (e.unsupported) {
      this.skipped++;
      return this.warn(`line ${e.line}: skipped "${e.title}": ${e.unsupported}`);
    }
    if (this.filtered && !passesFilters(this.filters, e.title, e.group, e.url)) return void this.skipped++;
    hashUrl(e.url);
    if (!this.seen.add(hashHi, hashLo)) return void this.skipped++;
    this.entries.push(toEntry(e, idString(hashHi, hashLo), this.base));
  }

  warning(w: M3uWarning): void {
    this.skipped++;
    this.warn(`line ${w.line}: ${w.reason}`);
  }

  private warn(msg: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(msg);
  }
}

/**
 * UTF-8 chunks → text, exactly as a streaming `TextDecoder` gives it (one leading BOM dropped,
 * the same U+FFFD for bad bytes), at a fraction of the cost: `TextDecoder` in streaming mode goes
 * through a slow converter (~6x slower on a 20 MB playlist); `StringDecoder` decodes natively.
 */
class Utf8Text {
  private readonly decoder = new StringDecoder('utf8');
  private started = false;

  write(chunk: Buffer): string {
    return this.bom(this.decoder.write(chunk));
  }

  end(): string {
    return this.bom(this.decoder.end());
  }

  private bom(text: string): string {
    if (this.started || !text) return text;
    this.started = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

/**
 * A new list, from one array literal for every source: V8 learns at this site that the list holds
 * objects, so a later source's list does not change kind on its first push (which would throw away
 * the optimised code of the parser's entry path).
 */
function entryList(): SourceEntry[] {
  const list: object[] = [ENTRY_KIND];
  list.length = 0;
  return list as SourceEntry[];
}
const ENTRY_KIND = {};

function toEntry(e: M3uEntryFields, streamId: string, base: Record<string, string>): SourceEntry {
  const epg = e.tvgId?.trim();
  // Share the source's header object unless the entry adds its own (100k entries, one object).
  const headers = e.headers !== NO_HEADERS && hasKeys(e.headers) ? { ...base, ...e.headers } : base;
  return {
    streamId,
    name: e.title,
    url: e.url,
    epgId: epg && epg !== '(no tvg-id)' ? epg : undefined,
    logo: e.logo,
    group: e.group,
    number: e.number,
    headers,
    kind: kindOf(e.url),
    bandwidth: e.bandwidth,
  };
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/**
 * Stable candidate id for an M3U stream: survives reordering of the playlist. Two independent 32-bit
 * multiplicative hashes (64 bits; collisions are negligible at 10^5-10^6 URLs), ~10x cheaper than
 * a crypto digest, which matters at 100k entries.
 */
export function urlId(url: string): string {
  hashUrl(url);
  return idString(hashHi, hashLo);
}

/** The halves of the last `hashUrl` (module scratch: hashing allocates nothing). */
let hashHi = 0;
let hashLo = 0;

/** Sets `hashHi` / `hashLo` for `url`'s UTF-16 code units. */
function hashUrl(url: string): void {
  const n = url.length;
  let h1 = 0x811c9dc5 ^ n;
  let h2 = 0x9747b28c;
  // An ASCII URL (nearly all) is read as the bytes `encodeInto` copies out in one native call:
  // its bytes are its code units, and indexing bytes costs far less than a `charCodeAt` per char.
  const out = n * 3 <= URL_BYTES.length ? ENCODER.encodeInto(url, URL_BYTES) : undefined;
  if (out !== undefined && out.written === n && out.read === n) {
    const bytes = URL_BYTES;
    for (let i = 0; i < n; i++) {
      const c = bytes[i]!;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const c = url.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  hashHi = h1;
  hashLo = h2;
}

const ENCODER = new TextEncoder();
const URL_BYTES = new Uint8Array(4096);

/**
 * `(a >>> 0).toString(36).padStart(7, '0') + (b >>> 0).toString(36).padStart(7, '0')` (36^7 > 2^32),
 * without the generic radix conversion, which cost as much as the hash itself.
 */
function idString(a: number, b: number): string {
  base36(a >>> 0, 0);
  base36(b >>> 0, 7);
  return String.fromCharCode.apply(null, ID_CODES);
}

/** 7 base-36 digits of a uint32 into ID_CODES[at…]: one float division, then int32 arithmetic. */
function base36(v: number, at: number): void {
  const high = Math.floor(v / 1_679_616); // 36^4; < 2557
  let low = v - high * 1_679_616;
  for (let i = at + 6; i > at + 2; i--) {
    const q = (low / 36) | 0;
    ID_CODES[i] = DIGITS36[low - q * 36]!;
    low = q;
  }
  let h = high;
  for (let i = at + 2; i >= at; i--) {
    const q = (h / 36) | 0;
    ID_CODES[i] = DIGITS36[h - q * 36]!;
    h = q;
  }
}

const DIGITS36 = Array.from('0123456789abcdefghijklmnopqrstuvwxyz', (c) => c.charCodeAt(0));
const ID_CODES: number[] = new Array<number>(14).fill(48);

/**
 * A set of 64-bit ids given as two int32 halves: open addressing over typed arrays, so finding
 * repeats among 100k URLs neither hashes a string nor allocates per id, and its table (sized for
 * the expected count up front) is a few hundred KB of contiguous memory.
 */
class IdSet {
  /** [hi, lo] pairs; `used` marks the taken slots ((0, 0) is a valid id). */
  private table: Int32Array;
  private used: Uint8Array;
  private size = 0;

  constructor(expected: number) {
    let slots = 1024;
    while (slots < expected * 2 && slots < 1 << 24) slots *= 2;
    this.table = new Int32Array(2 * slots);
    this.used = new Uint8Array(slots);
  }

  /** Adds the id; false when it was there already. */
  add(hi: number, lo: number): boolean {
    const mask = this.used.length - 1;
    let i = lo & mask;
    while (this.used[i] === 1) {
      if (this.table[2 * i] === hi && this.table[2 * i + 1] === lo) return false;
      i = (i + 1) & mask;
    }
    this.used[i] = 1;
    this.table[2 * i] = hi;
    this.table[2 * i + 1] = lo;
    if (++this.size * 2 > this.used.length) this.grow();
    return true;
  }

  private grow(): void {
    const { table, used } = this;
    const mask = used.length * 2 - 1;
    this.table = new Int32Array(table.length * 2);
    this.used = new Uint8Array(used.length * 2);
    for (let j = 0; j < used.length; j++) {
      if (used[j] === 0) continue;
      let i = table[2 * j + 1]! & mask;
      while (this.used[i] === 1) i = (i + 1) & mask;
      this.used[i] = 1;
      this.table[2 * i] = table[2 * j]!;
      this.table[2 * i + 1] = table[2 * j + 1]!;
    }
  }
}

export function kindOf(url: string): SourceEntry['kind'] {
  // Without a query or fragment only the end of the URL can match (most playlists).
  if (!url.includes('?') && !url.includes('#')) {
    if (endsWithLower(url, '.m3u8')) return 'hls';
    return endsWithLower(url, '.ts') ? 'ts' : 'auto';
  }
  if (/\.m3u8(?:$|[?#])/i.test(url)) return 'hls';
  if (/\.ts(?:$|[?#])/i.test(url)) return 'ts';
  return 'auto';
}

/** ASCII case-insensitive `endsWith` for a lower-case suffix (what `/…$/i` does). */
function endsWithLower(s: string, suffix: string): boolean {
  const at = s.length - suffix.length;
  if (at < 0) return false;
  for (let i = 0; i < suffix.length; i++) {
    const want = suffix.charCodeAt(i);
    const c = s.charCodeAt(at + i);
    if (c !== want && !(want >= 97 && want <= 122 && c === want - 32)) return false;
  }
  return true;
}

/** gzip playlists are common (`.m3u.gz`, servers without Content-Encoding): sniff the magic bytes. */
async function* decompress(input: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const it = input[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  const rest: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => it };
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    const src = Readable.from(
      (async function* () {
        yield head;
        yield* rest;
      })(),
    );
    src.on('error', (err) => gunzip.destroy(err));
    src.pipe(gunzip);
    yield* gunzip as AsyncIterable<Buffer>;
    return;
  }
  yield head;
  yield* rest;
}

function htmlHint(body: string): string {
  return /^\s*</.test(body) ? ' (HTML error page)' : '';
}

export function asSourceError(where: string, err: unknown): SourceError {
  if (err instanceof SourceError) return err;
  if (err instanceof UpstreamError) {
    return new SourceError(`${where}: ${err.message}`, err.kind === 'timeout' ? 'timeout' : 'network');
  }
  return new SourceError(`${where}: ${(err as Error).message ?? String(err)}`, 'format');
}
