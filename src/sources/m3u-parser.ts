// Streaming M3U / M3U Plus parser: push text chunks, get entries through a callback. Pure (no I/O),
// tolerant of what real playlists contain (upstream-formats.md §2.5): BOM, CRLF or lone CR, leading
// whitespace, missing or repeated #EXTM3U, commas and quotes inside titles and attributes, duplicate
// or mixed-case attributes (first wins), #EXTVLCOPT / #KODIPROP / #EXTGRP, `|Header=…` URL suffixes,
// relative URLs, placeholder lines. Only the current line and one pending entry are ever held.

export interface M3uEntry {
  /** 0-based position among the emitted entries. */
  readonly index: number;
  /** 1-based line number of the #EXTINF (or of the URL for bare lists). */
  readonly line: number;
  readonly duration: number;
  /** Display title: text after the attributes, else tvg-name, tvg-id, URL. */
  readonly title: string;
  /** EXTINF attributes, keys lower-cased; the first occurrence of a key wins. */
  readonly attrs: Readonly<Record<string, string>>;
  /** Absolute URL without any `|headers` suffix. */
  readonly url: string;
  /** Request headers from attributes, #EXTVLCOPT and the `|` suffix (in that order of precedence, last wins). */
  readonly headers: Readonly<Record<string, string>>;
  /** group-title, else #EXTGRP. */
  readonly group?: string;
  readonly kodiProps: Readonly<Record<string, string>>;
  /** From a preceding #EXT-X-STREAM-INF (an HLS master given as a list). */
  readonly bandwidth?: number;
  /** Why the entry cannot be tuned by an HDHomeRun emulator (DRM, DASH, web page), if so. */
  readonly unsupported?: string;
}

export interface M3uWarning {
  readonly line: number;
  readonly reason: string;
}

export interface M3uHandlers {
  entry(e: M3uEntry): void;
  warning?(w: M3uWarning): void;
}

export interface M3uParserOptions {
  /** URL the playlist was fetched from, to resolve relative entry URLs. */
  readonly baseUrl?: string;
}

interface Pending {
  line: number;
  duration: number;
  title: string;
  attrs: Record<string, string>;
  vlc?: Record<string, string>;
  kodiProps?: Record<string, string>;
  extgrp?: string;
  bandwidth?: number;
}

const HEADER_NAMES: Record<string, string> = {
  'user-agent': 'User-Agent',
  'http-user-agent': 'User-Agent',
  referer: 'Referer',
  referrer: 'Referer',
  'http-referrer': 'Referer',
  'http-referer': 'Referer',
  origin: 'Origin',
  'http-origin': 'Origin',
  cookie: 'Cookie',
};

/** Shared by every entry without headers or Kodi properties (most of them): one object, not 100k. */
const EMPTY: Record<string, string> = Object.freeze({}) as Record<string, string>;
const HEADER_KEYS = Object.keys(HEADER_NAMES);

export class M3uParser {
  /** Attributes of the first #EXTM3U line (later ones, from concatenated lists, are ignored). */
  readonly header: Record<string, string> = {};
  /** True once an HLS media-playlist tag was seen: the "playlist" is a stream, not a channel list. */
  mediaPlaylist = false;
  sawHeader = false;
  private rest = '';
  private lineNo = 0;
  private count = 0;
  private pending: Pending | undefined;
  private streamInf: number | undefined;
  private readonly guideUrls = new Set<string>();

  constructor(
    private readonly handlers: M3uHandlers,
    private readonly opts: M3uParserOptions = {},
  ) {}

  /** Number of entries emitted so far. */
  get entryCount(): number {
    return this.count;
  }

  /** Guide URLs from url-tvg / x-tvg-url / tvg-url (header first, then per-entry), comma lists split. */
  get tvgUrls(): string[] {
    return [...this.guideUrls];
  }

  push(chunk: string): void {
    let text = this.rest + chunk;
    // A CR at the very end may be the first half of a CRLF split across chunks.
    const hold = text.endsWith('\r') ? '\r' : '';
    if (hold) text = text.slice(0, -1);
    const parts = text.split(/\r\n?|\n/);
    this.rest = (parts.pop() ?? '') + hold;
    for (const p of parts) this.line(p);
  }

  end(): void {
    if (this.rest) this.line(this.rest);
    this.rest = '';
    if (this.pending) this.warn(this.pending.line, 'entry has no URL (end of playlist)');
    this.pending = undefined;
  }

  private line(raw: string): void {
    this.lineNo++;
    const s = (raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw).trim();
    if (!s) return;
    if (s.charCodeAt(0) === 35 /* # */) return this.directive(s);
    this.urlLine(s);
  }

  private directive(s: string): void {
    const upper = s.slice(0, 24).toUpperCase();
    if (upper.startsWith('#EXTINF:')) {
      if (this.pending) this.warn(this.pending.line, 'entry has no URL (next #EXTINF follows)');
      this.pending = parseExtinf(s.slice(8), this.lineNo);
      if (this.streamInf !== undefined) this.pending.bandwidth = this.streamInf;
      this.streamInf = undefined;
      this.collectGuideUrls(this.pending.attrs['tvg-url']);
      return;
    }
    if (upper.startsWith('#EXTM3U')) {
      if (!this.sawHeader) {
        this.sawHeader = true;
        const { attrs } = parseAttributes(s.slice(7));
        Object.assign(this.header, attrs);
        for (const k of ['url-tvg', 'x-tvg-url', 'tvg-url']) this.collectGuideUrls(attrs[k]);
      }
      return;
    }
    if (upper.startsWith('#EXTVLCOPT:')) {
      const [k, v] = splitOption(s.slice(11));
      if (this.pending && k) (this.pending.vlc ??= {})[k.toLowerCase()] = v;
      return;
    }
    if (upper.startsWith('#KODIPROP:')) {
      const [k, v] = splitOption(s.slice(10));
      if (this.pending && k) (this.pending.kodiProps ??= {})[k.toLowerCase()] = v;
      return;
    }
    if (upper.startsWith('#EXTGRP:')) {
      if (this.pending) this.pending.extgrp = s.slice(8).trim() || undefined;
      return;
    }
    if (upper.startsWith('#EXT-X-STREAM-INF:')) {
      const bw = /(?:^|,)BANDWIDTH=(\d+)/i.exec(s.slice(18));
      this.streamInf = bw ? Number(bw[1]) : 0;
      return;
    }
    if (upper.startsWith('#EXT-X-TARGETDURATION') || upper.startsWith('#EXT-X-MEDIA-SEQUENCE')) {
      this.mediaPlaylist = true;
    }
    // Other #… lines (comments, #EXT-X-SESSION-DATA, #123) are ignored.
  }

  private urlLine(s: string): void {
    const p =
      this.pending ??
      (this.streamInf !== undefined || looksLikeUrl(s)
        ? {
            line: this.lineNo,
            duration: -1,
            title: '',
            attrs: {},
            bandwidth: this.streamInf,
          }
        : undefined);
    if (!p) {
      // Separator lines ("=====sudan=====") outside an entry.
      return this.warn(this.lineNo, 'ignored a line that is neither a directive nor a URL');
    }
    this.pending = undefined;
    this.streamInf = undefined;
    const pipe = s.indexOf('|');
    const rawUrl = (pipe >= 0 ? s.slice(0, pipe) : s).trim();
    const url = this.resolve(rawUrl);
    if (url === undefined) {
      return this.warn(
        p.line,
        looksRelative(rawUrl)
          ? 'relative URL without a playlist URL to resolve it against'
          : 'URL line is not a URL (placeholder?)',
      );
    }
    let headers: Record<string, string> = EMPTY;
    for (const k of HEADER_KEYS) {
      const v = p.attrs[k];
      if (v) addHeader((headers = headers === EMPTY ? {} : headers), k, v);
    }
    if (p.vlc)
      for (const [k, v] of Object.entries(p.vlc))
        addHeader((headers = headers === EMPTY ? {} : headers), k, v);
    if (pipe >= 0) {
      if (headers === EMPTY) headers = {};
      for (const pair of s.slice(pipe + 1).split('&')) {
        const eq = pair.indexOf('=');
        if (eq <= 0) continue;
        addHeader(
          headers,
          safeDecode(pair.slice(0, eq)).replace(/^!/, ''),
          safeDecode(pair.slice(eq + 1)),
          true,
        );
      }
    }
    const title = p.title || p.attrs['tvg-name'] || p.attrs['tvg-id'] || url;
    const group = p.attrs['group-title'] || p.extgrp || undefined;
    const entry: M3uEntry = {
      index: this.count++,
      line: p.line,
      duration: p.duration,
      title,
      attrs: p.attrs,
      url,
      headers,
      group,
      kodiProps: p.kodiProps ?? EMPTY,
      bandwidth: p.bandwidth,
      unsupported: unsupportedReason(url, p.kodiProps ?? EMPTY),
    };
    this.handlers.entry(entry);
  }

  private resolve(raw: string): string | undefined {
    if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) return looksLikeUrl(raw) ? raw : undefined;
    if (!looksRelative(raw) || !this.opts.baseUrl) return undefined;
    try {
      return new URL(raw, this.opts.baseUrl).href;
    } catch {
      return undefined;
    }
  }

  private collectGuideUrls(v: string | undefined): void {
    if (!v) return;
    for (const u of v.split(',')) if (u.trim()) this.guideUrls.add(u.trim());
  }

  private warn(line: number, reason: string): void {
    this.handlers.warning?.({ line, reason });
  }
}

function looksLikeUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/\S/i.test(s) || /^(udp|rtp):\/\/@/i.test(s);
}

function looksRelative(s: string): boolean {
  return /^[^\s[\]<>=#"]+$/.test(s) && /[./]/.test(s);
}

/** `#EXTINF:` payload → duration, attributes and title. */
function parseExtinf(payload: string, line = 0): Pending {
  const s = payload.trim();
  const dur = /^[-+]?\d+(?:\.\d+)?/.exec(s);
  const duration = dur ? Number(dur[0]) : 0;
  const { attrs, title } = parseAttributes(s.slice(dur ? dur[0].length : 0));
  return { line, duration, title, attrs };
}

/**
 * Quote-aware `key="value" key='value' key=value …,Title` tokenizer. A quoted value ends at a
 * matching quote followed by whitespace + `key=`, a comma, or the end of the line, so commas and
 * quotes inside values survive. Keys are lower-cased; the first occurrence wins. Scans char codes
 * (no per-token slicing or regexes): 100k-entry playlists spend most of their time here.
 */
export function parseAttributes(text: string): { attrs: Record<string, string>; title: string } {
  const attrs: Record<string, string> = {};
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    if (text.charCodeAt(i) === COMMA) return { attrs, title: text.slice(i + 1).trim() };
    const keyEnd = scanKey(text, i);
    if (keyEnd < 0) {
      // A bare word: no attributes follow. The title is what follows the next comma, or the rest.
      const comma = text.indexOf(',', i);
      return { attrs, title: (comma >= 0 ? text.slice(comma + 1) : text.slice(i)).trim() };
    }
    const key = text.slice(i, keyEnd).toLowerCase();
    i = keyEnd + 1;
    let value: string;
    const q = text.charCodeAt(i);
    if (q === DQUOTE || q === SQUOTE) {
      const end = closingQuote(text, i + 1, q);
      value = text.slice(i + 1, end);
      i = end + 1;
    } else {
      let j = i;
      while (j < n && !isSpace(text.charCodeAt(j)) && text.charCodeAt(j) !== COMMA) j++;
      value = text.slice(i, j);
      i = j;
    }
    if (!(key in attrs)) attrs[key] = value;
  }
  return { attrs, title: '' };
}

const COMMA = 44;
const DQUOTE = 34;
const SQUOTE = 39;
const EQUALS = 61;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0;
}

/** Index of the `=` ending a key that starts at `from`, or -1 when the text there is not `key=`. */
function scanKey(text: string, from: number): number {
  const max = Math.min(text.length, from + 100);
  for (let j = from; j < max; j++) {
    const c = text.charCodeAt(j);
    if (c === EQUALS) return j > from ? j : -1;
    if (isSpace(c) || c === COMMA || c === DQUOTE || c === SQUOTE) return -1;
  }
  return -1;
}

function closingQuote(text: string, from: number, q: number): number {
  const n = text.length;
  for (let j = from; j < n; j++) {
    if (text.charCodeAt(j) !== q) continue;
    let k = j + 1;
    if (k >= n || text.charCodeAt(k) === COMMA) return j;
    if (!isSpace(text.charCodeAt(k))) continue;
    while (k < n && isSpace(text.charCodeAt(k))) k++;
    if (k >= n || text.charCodeAt(k) === COMMA || scanKey(text, k) >= 0) return j;
  }
  // Unterminated: the value runs to the first comma, or the end.
  const comma = text.indexOf(',', from);
  return comma >= 0 ? comma : n;
}

function splitOption(s: string): [string, string] {
  const eq = s.indexOf('=');
  if (eq < 0) return [s.trim(), ''];
  return [s.slice(0, eq).trim(), unquote(s.slice(eq + 1).trim())];
}

function unquote(v: string): string {
  return v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] ? v.slice(1, -1) : v;
}

function addHeader(headers: Record<string, string>, key: string, value: string, passUnknown = false): void {
  if (!value) return;
  const name =
    HEADER_NAMES[key.toLowerCase()] ?? (passUnknown && /^[A-Za-z0-9-]+$/.test(key) ? key : undefined);
  if (name) headers[name] = value;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

// Schemes the streaming core can open (directly or through ffmpeg).
const PLAYABLE_SCHEMES = new Set(['http', 'https', 'rtmp', 'rtmps', 'rtsp', 'udp', 'rtp', 'srt']);

function unsupportedReason(url: string, kodi: Record<string, string>): string | undefined {
  if (kodi['inputstream.adaptive.license_type'] || kodi['inputstream.adaptive.license_key'])
    return 'DRM-protected';
  if (/\.mpd(\?|$)/i.test(url) || kodi['inputstream.adaptive.manifest_type'] === 'mpd') return 'DASH (.mpd)';
  // Fast path for the common case; the scheme is only extracted for anything else.
  if (!url.startsWith('http://') && !url.startsWith('https://')) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
    if (!scheme || !PLAYABLE_SCHEMES.has(scheme)) return `unsupported scheme ${scheme ?? '(none)'}:`;
  }
  if (/^https?:\/\/(www\.)?(youtube\.com\/(watch|c\/|channel|@)|youtu\.be\/|twitch\.tv\/)/i.test(url)) {
    return 'web page, not a stream';
  }
  return undefined;
}
