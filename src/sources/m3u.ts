// M3U source: stream a playlist from a URL or a local file through the parser, without holding the
// text in memory, and turn entries into SourceEntries (filters applied, unsupported entries counted).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { M3uParser, type M3uEntry, type M3uHandlers, type M3uWarning } from './m3u-parser.js';
import { passesFilters, type M3uDefinition } from './definition.js';
import { upstreamGet, UpstreamError } from './http.js';
import { SourceError, type RefreshProgress, type SourceEntry, type SourceSnapshot } from './types.js';

const MAX_WARNINGS = 20;

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
    input = createReadStream(def.file);
    total = await stat(def.file).then(
      (st) => st.size,
      () => undefined,
    );
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

  const sink = new EntrySink(def.filters, { 'User-Agent': def.userAgent, ...def.headers });
  const parser = new M3uParser(sink, { baseUrl });

  try {
    let first = true;
    const decoder = new TextDecoder('utf-8');
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
      const text = decoder.decode(chunk, { stream: true });
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
    parser.push(decoder.decode());
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
class EntrySink implements M3uHandlers {
  readonly entries: SourceEntry[] = [];
  readonly warnings: string[] = [];
  skipped = 0;
  private readonly seen = new Set<string>();

  constructor(
    private readonly filters: M3uDefinition['filters'],
    /** Shared by every entry without headers of its own (100k entries, one object). */
    private readonly base: Record<string, string>,
  ) {}

  entry(e: M3uEntry): void {
    if (e.unsupported) {
      this.skipped++;
      return this.warn(`line ${e.line}: skipped "${e.title}": ${e.unsupported}`);
    }
    if (!passesFilters(this.filters, e.title, e.group, e.url)) return void this.skipped++;
    const streamId = urlId(e.url);
    if (this.seen.has(streamId)) return void this.skipped++;
    this.seen.add(streamId);
    this.entries.push(toEntry(e, streamId, this.base));
  }

  warning(w: M3uWarning): void {
    this.skipped++;
    this.warn(`line ${w.line}: ${w.reason}`);
  }

  private warn(msg: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(msg);
  }
}

function toEntry(e: M3uEntry, streamId: string, base: Record<string, string>): SourceEntry {
  const a = e.attrs;
  const epg = a['tvg-id']?.trim();
  const number = a['tvg-chno'] || a['channel-number'] || undefined;
  // Share the source's header object unless the entry adds its own (100k entries, one object).
  const headers = hasKeys(e.headers) ? { ...base, ...e.headers } : base;
  return {
    streamId,
    name: e.title,
    url: e.url,
    epgId: epg && epg !== '(no tvg-id)' ? epg : undefined,
    logo: a['tvg-logo'] || a.logo || undefined,
    group: e.group,
    number,
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
  let h1 = 0x811c9dc5 ^ url.length;
  let h2 = 0x9747b28c;
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return base36x2(h1 >>> 0, h2 >>> 0);
}

/**
 * `a.toString(36).padStart(7, '0') + b.toString(36).padStart(7, '0')` for two uint32 (36^7 > 2^32),
 * without the generic radix conversion, which cost as much as the hash itself.
 */
function base36x2(a: number, b: number): string {
  const out = ID_CODES;
  for (let i = 6; i >= 0; i--) {
    const ra = a % 36;
    const rb = b % 36;
    out[i] = DIGITS36[ra]!;
    out[i + 7] = DIGITS36[rb]!;
    a = (a - ra) / 36;
    b = (b - rb) / 36;
  }
  return String.fromCharCode.apply(null, out);
}

const DIGITS36 = Array.from('0123456789abcdefghijklmnopqrstuvwxyz', (c) => c.charCodeAt(0));
const ID_CODES: number[] = new Array<number>(14).fill(48);

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
