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

/** An entry being read: its #EXTINF (attributes, title after them) and the directives after it. */
interface Pending {
  line: number;
  duration: number;
  /** Attributes, keys lower-cased; the first occurrence of a key wins. */
  attrs: Record<string, string>;
  title: string;
  /** False when no attribute names a request header (most entries): the header scan is skipped. */
  headerAttrs?: boolean;
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

/** Directives the parser acts on, matched case-insensitively at the start of a line. */
const Tag = {
  Other: 0,
  Extinf: 1,
  Extm3u: 2,
  Vlcopt: 3,
  Kodiprop: 4,
  Extgrp: 5,
  StreamInf: 6,
  MediaPlaylist: 7,
} as const;
type Tag = (typeof Tag)[keyof typeof Tag];

const TAGS: readonly (readonly [string, Tag])[] = [
  ['#EXTINF:', Tag.Extinf],
  ['#EXTM3U', Tag.Extm3u],
  ['#EXTVLCOPT:', Tag.Vlcopt],
  ['#KODIPROP:', Tag.Kodiprop],
  ['#EXTGRP:', Tag.Extgrp],
  ['#EXT-X-STREAM-INF:', Tag.StreamInf],
  ['#EXT-X-TARGETDURATION', Tag.MediaPlaylist],
  ['#EXT-X-MEDIA-SEQUENCE', Tag.MediaPlaylist],
];

const LF = 10;
const HASH = 35;

/*
 * Hot path note: a 100k-entry playlist is 200k+ lines, so lines are handled as index ranges into
 * the decoded chunk (no per-line substring, no split array) and only the values an entry keeps are
 * sliced out.
 */
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

  /** Lines end at CRLF, a lone CR or LF. */
  push(chunk: string): void {
    const text = this.rest ? this.rest + chunk : chunk;
    const n = text.length;
    let start = 0;
    let lf = text.indexOf('\n');
    let cr = text.indexOf('\r');
    for (;;) {
      if (lf >= 0 && lf < start) lf = text.indexOf('\n', start);
      if (cr >= 0 && cr < start) cr = text.indexOf('\r', start);
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // A CR at the very end may be the first half of a CRLF split across chunks: keep it.
        if (cr === n - 1) break;
        end = cr;
        next = text.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
      } else if (lf >= 0) {
        end = lf;
        next = lf + 1;
      } else break;
      this.line(text, start, end);
      start = next;
    }
    this.rest = start < n ? text.slice(start) : '';
  }

  end(): void {
    if (this.rest) this.line(this.rest, 0, this.rest.length);
    this.rest = '';
    if (this.pending) this.warn(this.pending.line, 'entry has no URL (end of playlist)');
    this.pending = undefined;
  }

  /** One line: `text` from `a` to `b` (exclusive), without its line ending. */
  private line(text: string, a: number, b: number): void {
    this.lineNo++;
    if (a < b && text.charCodeAt(a) === 0xfeff) a++;
    if (a < b && (mayTrim(text.charCodeAt(a)) || mayTrim(text.charCodeAt(b - 1)))) {
      text = text.slice(a, b).trim();
      a = 0;
      b = text.length;
    }
    if (a >= b) return;
    if (text.charCodeAt(a) === HASH) this.directive(text, a, b);
    else this.urlLine(text.slice(a, b));
  }

  private directive(text: string, a: number, b: number): void {
    switch (tagOf(text, a, b)) {
      case Tag.Extinf: {
        if (this.pending) this.warn(this.pending.line, 'entry has no URL (next #EXTINF follows)');
        const p = parseExtinf(text, a + 8, b, this.lineNo);
        if (this.streamInf !== undefined) p.bandwidth = this.streamInf;
        this.streamInf = undefined;
        this.pending = p;
        this.collectGuideUrls(p.attrs['tvg-url']);
        return;
      }
      case Tag.Extm3u:
        if (!this.sawHeader) {
          this.sawHeader = true;
          const { attrs } = scanAttributes(text, a + 7, b, pending(this.lineNo, 0));
          Object.assign(this.header, attrs);
          for (const k of ['url-tvg', 'x-tvg-url', 'tvg-url']) this.collectGuideUrls(attrs[k]);
        }
        return;
      case Tag.Vlcopt: {
        const [k, v] = splitOption(text.slice(a + 11, b));
        if (this.pending && k) (this.pending.vlc ??= {})[k.toLowerCase()] = v;
        return;
      }
      case Tag.Kodiprop: {
        const [k, v] = splitOption(text.slice(a + 10, b));
        if (this.pending && k) (this.pending.kodiProps ??= {})[k.toLowerCase()] = v;
        return;
      }
      case Tag.Extgrp:
        if (this.pending) this.pending.extgrp = text.slice(a + 8, b).trim() || undefined;
        return;
      case Tag.StreamInf: {
        const bw = /(?:^|,)BANDWIDTH=(\d+)/i.exec(text.slice(a + 18, b));
        this.streamInf = bw ? Number(bw[1]) : 0;
        return;
      }
      case Tag.MediaPlaylist:
        this.mediaPlaylist = true;
        return;
      default:
      // Other #… lines (comments, #EXT-X-SESSION-DATA, #123) are ignored.
    }
  }

  private urlLine(s: string): void {
    const p =
      this.pending ??
      (this.streamInf !== undefined || looksLikeUrl(s) ? pending(this.lineNo, -1) : undefined);
    if (!p) {
      // Separator lines ("=====sudan=====") outside an entry.
      return this.warn(this.lineNo, 'ignored a line that is neither a directive nor a URL');
    }
    if (p !== this.pending && this.streamInf !== undefined) p.bandwidth = this.streamInf;
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
    if (p.headerAttrs !== false) {
      for (const k of HEADER_KEYS) {
        const v = p.attrs[k];
        if (v) addHeader((headers = headers === EMPTY ? {} : headers), k, v);
      }
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
    if (isPlainHttpUrl(raw)) return raw;
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

/** Could `trim()` remove this char? Conservative: anything outside printable ASCII says yes. */
function mayTrim(c: number): boolean {
  return c <= 32 || c >= 127;
}

/**
 * Which directive a `#…` line is: the first 24 chars upper-cased must start with the tag. ASCII is
 * compared in place; anything else goes through `toUpperCase` (which may change lengths: "ß").
 */
function tagOf(text: string, a: number, b: number): Tag {
  if (text.startsWith('#EXTINF:', a) && b - a >= 8) return Tag.Extinf;
  const lim = Math.min(b, a + 24);
  for (let i = a; i < lim; i++) {
    if (text.charCodeAt(i) > 127) {
      const upper = text.slice(a, lim).toUpperCase();
      for (const [t, tag] of TAGS) if (upper.startsWith(t)) return tag;
      return Tag.Other;
    }
  }
  for (const [t, tag] of TAGS) if (startsWithUpper(text, a, lim, t)) return tag;
  return Tag.Other;
}

/** ASCII `text[a, lim)` upper-cased starts with `tag`. */
function startsWithUpper(text: string, a: number, lim: number, tag: string): boolean {
  if (lim - a < tag.length) return false;
  for (let i = 0; i < tag.length; i++) {
    let c = text.charCodeAt(a + i);
    if (c >= 97 && c <= 122) c -= 32;
    if (c !== tag.charCodeAt(i)) return false;
  }
  return true;
}

/** `http://x…` / `https://x…` with a visible char after the slashes: a URL as it stands. */
function isPlainHttpUrl(s: string): boolean {
  const at = s.startsWith('http://') ? 7 : s.startsWith('https://') ? 8 : 0;
  if (at === 0 || s.length <= at) return false;
  const c = s.charCodeAt(at);
  return c > 32 && c < 127;
}

function looksLikeUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/\S/i.test(s) || /^(udp|rtp):\/\/@/i.test(s);
}

function looksRelative(s: string): boolean {
  return /^[^\s[\]<>=#"]+$/.test(s) && /[./]/.test(s);
}

/** `#EXTINF:` payload in `text[from, to)` → duration, attributes and title. */
function parseExtinf(text: string, from: number, to: number, line: number): Pending {
  if (from < to && (mayTrim(text.charCodeAt(from)) || mayTrim(text.charCodeAt(to - 1)))) {
    text = text.slice(from, to).trim();
    from = 0;
    to = text.length;
  }
  // Duration: /^[-+]?\d+(?:\.\d+)?/, else 0 and the attributes start right away.
  let i = from;
  let duration = 0;
  const sign = i < to ? text.charCodeAt(i) : -1;
  if (sign === 45 /* - */ || sign === 43 /* + */) i++;
  let j = i;
  while (j < to && isDigit(text.charCodeAt(j))) j++;
  if (j > i) {
    if (j + 1 < to && text.charCodeAt(j) === 46 /* . */ && isDigit(text.charCodeAt(j + 1))) {
      j += 2;
      while (j < to && isDigit(text.charCodeAt(j))) j++;
    }
    duration =
      j === from + 2 && sign === 45 && text.charCodeAt(from + 1) === 49 ? -1 : Number(text.slice(from, j));
    i = j;
  } else i = from;
  return scanAttributes(text, i, to, pending(line, duration));
}

/** Every scan fills an object of this one shape (a second shape would deoptimise the scanner). */
function pending(line: number, duration: number): Pending {
  return { line, duration, title: '', attrs: {}, headerAttrs: false };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Quote-aware `key="value" key='value' key=value …,Title` tokenizer. A quoted value ends at a
 * matching quote followed by whitespace + `key=`, a comma, or the end of the line, so commas and
 * quotes inside values survive. Keys are lower-cased; the first occurrence wins.
 */
export function parseAttributes(text: string): { attrs: Record<string, string>; title: string } {
  const { attrs, title } = scanAttributes(text, 0, text.length, pending(0, 0));
  return { attrs, title };
}

/**
 * `parseAttributes` over `text[from, to)` into `out` (title, attributes, header flag). Scans char
 * codes (no per-token regexes); well-known keys come from a table instead of a slice +
 * `toLowerCase` each, and their first-wins check is a bit mask instead of a property lookup.
 */
function scanAttributes(text: string, from: number, to: number, out: Pending): Pending {
  const attrs = out.attrs;
  let known = 0;
  let i = from;
  while (i < to) {
    while (i < to && isSpace(text.charCodeAt(i))) i++;
    if (i >= to) break;
    if (text.charCodeAt(i) === COMMA) {
      out.title = text.slice(i + 1, to).trim();
      break;
    }
    const keyEnd = scanKey(text, i, to);
    if (keyEnd < 0) {
      // A bare word: no attributes follow. The title is what follows the next comma, or the rest.
      const comma = indexIn(text, COMMA, i, to);
      out.title = (comma >= 0 ? text.slice(comma + 1, to) : text.slice(i, to)).trim();
      break;
    }
    let k = knownKey(text, i, keyEnd);
    const key = k >= 0 ? KNOWN_KEYS[k]! : text.slice(i, keyEnd).toLowerCase();
    if (k < 0) k = KNOWN_INDEX.get(key) ?? -1;
    i = keyEnd + 1;
    let value: string;
    const q = i < to ? text.charCodeAt(i) : -1;
    if (q === DQUOTE || q === SQUOTE) {
      const end = closingQuote(text, i + 1, to, q);
      value = text.slice(i + 1, end);
      i = end + 1;
    } else {
      let j = i;
      while (j < to && !isSpace(text.charCodeAt(j)) && text.charCodeAt(j) !== COMMA) j++;
      value = text.slice(i, j);
      i = j;
    }
    if (k < 0) {
      if (!(key in attrs)) attrs[key] = value;
    } else if ((known & (1 << k)) === 0) {
      known |= 1 << k;
      attrs[key] = value;
    }
  }
  out.headerAttrs = (known & HEADER_BITS) !== 0;
  return out;
}

// Keys seen in nearly every playlist (most common first), and every header key (at most 31: they
// are bits of a mask).
const KNOWN_KEYS = [
  'tvg-id',
  'tvg-name',
  'tvg-logo',
  'group-title',
  'tvg-chno',
  'tvg-url',
  'tvg-shift',
  'tvg-country',
  'tvg-language',
  'tvg-type',
  'channel-number',
  'channel-id',
  'catchup',
  'catchup-days',
  'catchup-source',
  'timeshift',
  'url-tvg',
  'x-tvg-url',
  ...HEADER_KEYS,
];
const KNOWN_INDEX = new Map(KNOWN_KEYS.map((k, i) => [k, i]));
const HEADER_BITS = HEADER_KEYS.reduce((bits, k) => bits | (1 << KNOWN_INDEX.get(k)!), 0);
const KEYS_BY_LENGTH: number[][] = [];
KNOWN_KEYS.forEach((k, i) => (KEYS_BY_LENGTH[k.length] ??= []).push(i));
const LAST_CHAR = KNOWN_KEYS.map((k) => k.charCodeAt(k.length - 1));

/** Index in KNOWN_KEYS of the lower-case key `text[from, end)`, or -1. */
function knownKey(text: string, from: number, end: number): number {
  const keys = KEYS_BY_LENGTH[end - from];
  if (keys) {
    const last = text.charCodeAt(end - 1);
    for (const k of keys) if (LAST_CHAR[k] === last && text.startsWith(KNOWN_KEYS[k]!, from)) return k;
  }
  return -1;
}

const COMMA = 44;
const DQUOTE = 34;
const SQUOTE = 39;
const EQUALS = 61;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0;
}

function indexIn(text: string, c: number, from: number, to: number): number {
  for (let j = from; j < to; j++) if (text.charCodeAt(j) === c) return j;
  return -1;
}

/** Index of the `=` ending a key that starts at `from`, or -1 when the text there is not `key=`. */
function scanKey(text: string, from: number, to: number): number {
  const max = Math.min(to, from + 100);
  for (let j = from; j < max; j++) {
    const c = text.charCodeAt(j);
    if (c === EQUALS) return j > from ? j : -1;
    if (isSpace(c) || c === COMMA || c === DQUOTE || c === SQUOTE) return -1;
  }
  return -1;
}

function closingQuote(text: string, from: number, to: number, q: number): number {
  const quote = q === DQUOTE ? '"' : "'";
  for (let j = text.indexOf(quote, from); j >= 0 && j < to; j = text.indexOf(quote, j + 1)) {
    let k = j + 1;
    if (k >= to || text.charCodeAt(k) === COMMA) return j;
    if (!isSpace(text.charCodeAt(k))) continue;
    while (k < to && isSpace(text.charCodeAt(k))) k++;
    if (k >= to || text.charCodeAt(k) === COMMA || scanKey(text, k, to) >= 0) return j;
  }
  // Unterminated: the value runs to the first comma, or the end.
  const comma = indexIn(text, COMMA, from, to);
  return comma >= 0 ? comma : to;
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
  if (hasMpdSuffix(url) || kodi['inputstream.adaptive.manifest_type'] === 'mpd') return 'DASH (.mpd)';
  // Fast path for the common case; the scheme is only extracted for anything else.
  if (!url.startsWith('http://') && !url.startsWith('https://')) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
    if (!scheme || !PLAYABLE_SCHEMES.has(scheme)) return `unsupported scheme ${scheme ?? '(none)'}:`;
  }
  if (
    mayBeWebPage(url) &&
    /^https?:\/\/(www\.)?(youtube\.com\/(watch|c\/|channel|@)|youtu\.be\/|twitch\.tv\/)/i.test(url)
  ) {
    return 'web page, not a stream';
  }
  return undefined;
}

/** `/\.mpd(\?|$)/i.test(url)` without a regex run per entry. */
function hasMpdSuffix(url: string): boolean {
  for (let i = url.indexOf('.'); i >= 0; i = url.indexOf('.', i + 1)) {
    if (
      i + 3 < url.length &&
      (url.charCodeAt(i + 1) | 0x20) === 109 /* m */ &&
      (url.charCodeAt(i + 2) | 0x20) === 112 /* p */ &&
      (url.charCodeAt(i + 3) | 0x20) === 100 /* d */ &&
      (i + 4 === url.length || url.charCodeAt(i + 4) === 63) /* ? */
    )
      return true;
  }
  return false;
}

/** Cheap pre-check for the web-page regex: the host must start with w, y or t (www., youtu…, twitch). */
function mayBeWebPage(url: string): boolean {
  if (url.length < 9) return false;
  const c = url.charCodeAt((url.charCodeAt(4) | 0x20) === 115 /* https */ ? 8 : 7) | 0x20;
  return c === 119 || c === 121 || c === 116;
}
