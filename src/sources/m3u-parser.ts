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

/**
 * What a channel-list reader needs of an entry: the well-known attributes only. Cheaper than an
 * M3uEntry (no `attrs` record is built: at 100k entries its dynamic keys cost a third of the parse).
 */
export interface M3uEntryFields {
  readonly line: number;
  readonly title: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly group: string | undefined;
  readonly bandwidth: number | undefined;
  readonly unsupported: string | undefined;
  /** tvg-id */
  readonly tvgId: string | undefined;
  /** tvg-chno, else channel-number (the first non-empty one). */
  readonly number: string | undefined;
  /** tvg-logo, else logo (the first non-empty one). */
  readonly logo: string | undefined;
}

/** Handlers that take M3uEntryFields instead of M3uEntry objects. */
export interface M3uFieldHandlers {
  fields(f: M3uEntryFields): void;
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
  /**
   * Attributes, keys lower-cased; the first occurrence of a key wins. For field handlers only the
   * header attributes (the well-known ones are in the fields below).
   */
  attrs: Record<string, string>;
  title: string;
  /** False when no attribute names a request header (most entries): the header scan is skipped. */
  headerAttrs: boolean;
  // The first occurrence of each well-known attribute (whatever the handlers).
  tvgId: string | undefined;
  tvgName: string | undefined;
  tvgLogo: string | undefined;
  logo: string | undefined;
  groupTitle: string | undefined;
  tvgChno: string | undefined;
  channelNumber: string | undefined;
  tvgUrl: string | undefined;
  vlc: Record<string, string> | undefined;
  kodiProps: Record<string, string> | undefined;
  extgrp: string | undefined;
  bandwidth: number | undefined;
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
/** The `headers` of every entry that has none (readers can tell by identity). */
export const NO_HEADERS: Readonly<Record<string, string>> = EMPTY;
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
 * sliced out. Chars are read from the chunk's UTF-16 code units copied into a typed array once per
 * chunk (one native call): indexing it costs less than half of a `charCodeAt`.
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
  private readonly units = new CodeUnits();
  /** M3uEntry handlers get every attribute in `attrs`; field handlers only the well-known ones. */
  private readonly full: boolean;

  constructor(
    private readonly handlers: M3uHandlers | M3uFieldHandlers,
    private readonly opts: M3uParserOptions = {},
  ) {
    this.full = 'entry' in handlers;
  }

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
    // A chunk inside one long line (no line break yet) is not copied out again and again.
    const start =
      text.indexOf('\n') < 0 && text.indexOf('\r') < 0 ? 0 : this.lines(text, this.units.of(text));
    this.rest = start < text.length ? text.slice(start) : '';
  }

  /** Handles every complete line of `text`; returns where the incomplete rest starts. */
  private lines(text: string, codes: Uint16Array): number {
    const n = text.length;
    let start = 0;
    let lf = text.indexOf('\n');
    let cr = text.indexOf('\r');
    for (;;) {
      if (lf >= 0 && lf < start) lf = text.indexOf('\n', start);
      if (cr >= 0 && cr < start) cr = text.indexOf('\r', start);
      // The first line break (LF, CR or CRLF) in one expression: every comparison runs on every
      // line, so optimised code meets no untried branch at the end of a chunk (and is not redone).
      const end = cr < 0 || (lf >= 0 && lf < cr) ? lf : cr;
      // A CR at the very end may be the first half of a CRLF split across chunks: keep it.
      if (end < 0 || (end === cr && end === n - 1)) return start;
      this.line(text, codes, start, end);
      start = end === cr && codes[end + 1] === LF ? end + 2 : end + 1;
    }
  }

  end(): void {
    if (this.rest) this.line(this.rest, this.units.of(this.rest), 0, this.rest.length);
    this.rest = '';
    if (this.pending) this.warn(this.pending.line, 'entry has no URL (end of playlist)');
    this.pending = undefined;
  }

  /** One line: `text` from `a` to `b` (exclusive), without its line ending; `codes` are its chars. */
  private line(text: string, codes: Uint16Array, a: number, b: number): void {
    this.lineNo++;
    if (a < b && codes[a] === 0xfeff) a++;
    if (a < b && (mayTrim(codes[a]!) || mayTrim(codes[b - 1]!))) {
      while (a < b && isTrimmed(codes[a]!)) a++;
      while (b > a && isTrimmed(codes[b - 1]!)) b--;
    }
    if (a >= b) return;
    // #EXTINF (half the lines) skips the general directive matching: that one stays cold, and so
    // is never compiled nor recompiled for the header line of the next playlist.
    if (codes[a] !== HASH) this.urlLine(text.slice(a, b));
    else if (b - a >= 8 && text.startsWith('#EXTINF:', a)) this.extinf(text, codes, a, b);
    else this.directive(text, codes, a, b);
  }

  private extinf(text: string, codes: Uint16Array, a: number, b: number): void {
    if (this.pending) this.warn(this.pending.line, 'entry has no URL (next #EXTINF follows)');
    const p = parseExtinf(text, codes, a + 8, b, this.lineNo, this.full);
    if (this.streamInf !== undefined) p.bandwidth = this.streamInf;
    this.streamInf = undefined;
    this.pending = p;
    if (p.tvgUrl) this.collectGuideUrls(p.tvgUrl);
  }

  private directive(text: string, codes: Uint16Array, a: number, b: number): void {
    switch (tagOf(text, codes, a, b)) {
      case Tag.Extinf:
        return this.extinf(text, codes, a, b);
      case Tag.Extm3u:
        if (!this.sawHeader) {
          this.sawHeader = true;
          const { attrs } = scanAttributes(text, codes, a + 7, b, pending(this.lineNo, 0), true);
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

  /** A URL line (trimmed): the pending entry's URL, or an entry of its own in a bare list. */
  private urlLine(s: string): void {
    const p = this.pending ?? this.bareEntry(s);
    if (!p) return;
    this.pending = undefined;
    this.streamInf = undefined;
    const pipe = s.indexOf('|');
    // `s` is trimmed already; only the part before a `|` may end in white space.
    const rawUrl = pipe >= 0 ? s.slice(0, pipe).trim() : s;
    const url = this.resolve(rawUrl);
    if (url === undefined) return this.badUrl(p, rawUrl);
    // Rare paths (request headers, bad URLs) live in functions of their own: this one stays small.
    const headers = p.headerAttrs || p.vlc || pipe >= 0 ? requestHeaders(p, s, pipe) : EMPTY;
    const title = p.title || p.tvgName || p.tvgId || url;
    const group = p.groupTitle || p.extgrp || undefined;
    const unsupported = unsupportedReason(url, p.kodiProps ?? EMPTY);
    const index = this.count++;
    if (!this.full) {
      (this.handlers as M3uFieldHandlers).fields({
        line: p.line,
        title,
        url,
        headers,
        group,
        bandwidth: p.bandwidth,
        unsupported,
        tvgId: p.tvgId,
        number: p.tvgChno || p.channelNumber || undefined,
        logo: p.tvgLogo || p.logo || undefined,
      });
      return;
    }
    (this.handlers as M3uHandlers).entry({
      index,
      line: p.line,
      duration: p.duration,
      title,
      attrs: p.attrs,
      url,
      headers,
      group,
      kodiProps: p.kodiProps ?? EMPTY,
      bandwidth: p.bandwidth,
      unsupported,
    });
  }

  /** An entry for a URL line without #EXTINF (bare lists, HLS masters); undefined after a warning. */
  private bareEntry(s: string): Pending | undefined {
    if (this.streamInf === undefined && !looksLikeUrl(s)) {
      // Separator lines ("=====sudan=====") outside an entry.
      this.warn(this.lineNo, 'ignored a line that is neither a directive nor a URL');
      return undefined;
    }
    const p = pending(this.lineNo, -1);
    if (this.streamInf !== undefined) p.bandwidth = this.streamInf;
    return p;
  }

  private badUrl(p: Pending, rawUrl: string): void {
    this.warn(
      p.line,
      looksRelative(rawUrl)
        ? 'relative URL without a playlist URL to resolve it against'
        : 'URL line is not a URL (placeholder?)',
    );
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

/**
 * Request headers of an entry: from header attributes, then #EXTVLCOPT, then the `|` suffix of its
 * URL line `s` (`pipe` is where it starts, or -1); later ones win.
 */
function requestHeaders(p: Pending, s: string, pipe: number): Record<string, string> {
  let headers: Record<string, string> = EMPTY;
  if (p.headerAttrs) {
    for (const k of HEADER_KEYS) {
      const v = p.attrs[k];
      if (v) addHeader((headers = headers === EMPTY ? {} : headers), k, v);
    }
  }
  if (p.vlc)
    for (const [k, v] of Object.entries(p.vlc)) addHeader((headers = headers === EMPTY ? {} : headers), k, v);
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
  return headers;
}

/** Could `trim()` remove this char? Conservative: anything outside printable ASCII says yes. */
function mayTrim(c: number): boolean {
  return c <= 32 || c >= 127;
}

/** Does `trim()` remove this char (ECMAScript WhiteSpace and LineTerminator)? */
function isTrimmed(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

const BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

/** A string's UTF-16 code units, copied into one buffer reused from chunk to chunk. */
class CodeUnits {
  private bytes = Buffer.allocUnsafeSlow(0);

  /** Valid until the next call. */
  of(text: string): Uint16Array {
    const size = text.length * 2;
    if (this.bytes.length < size) this.bytes = Buffer.allocUnsafeSlow(Math.max(size, 2 * this.bytes.length));
    this.bytes.write(text, 0, size, 'utf16le');
    if (BIG_ENDIAN) this.bytes.subarray(0, size).swap16();
    return new Uint16Array(this.bytes.buffer, this.bytes.byteOffset, text.length);
  }
}

/**
 * Which directive a `#…` line is: the first 24 chars upper-cased must start with the tag. ASCII is
 * compared in place; anything else goes through `toUpperCase` (which may change lengths: "ß").
 */
function tagOf(text: string, codes: Uint16Array, a: number, b: number): Tag {
  if (text.startsWith('#EXTINF:', a) && b - a >= 8) return Tag.Extinf;
  const lim = Math.min(b, a + 24);
  for (let i = a; i < lim; i++) {
    if (codes[i]! > 127) {
      const upper = text.slice(a, lim).toUpperCase();
      for (const [t, tag] of TAGS) if (upper.startsWith(t)) return tag;
      return Tag.Other;
    }
  }
  for (const [t, tag] of TAGS) if (startsWithUpper(codes, a, lim, t)) return tag;
  return Tag.Other;
}

/** ASCII `codes[a, lim)` upper-cased starts with `tag`. */
function startsWithUpper(codes: Uint16Array, a: number, lim: number, tag: string): boolean {
  if (lim - a < tag.length) return false;
  for (let i = 0; i < tag.length; i++) {
    let c = codes[a + i]!;
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
function parseExtinf(
  text: string,
  codes: Uint16Array,
  from: number,
  to: number,
  line: number,
  full: boolean,
): Pending {
  if (from < to && (mayTrim(codes[from]!) || mayTrim(codes[to - 1]!))) {
    while (from < to && isTrimmed(codes[from]!)) from++;
    while (to > from && isTrimmed(codes[to - 1]!)) to--;
  }
  // Duration: /^[-+]?\d+(?:\.\d+)?/, else 0 and the attributes start right away.
  let i = from;
  let duration = 0;
  const sign = i < to ? codes[i]! : -1;
  if (sign === 45 /* - */ || sign === 43 /* + */) i++;
  let j = i;
  while (j < to && isDigit(codes[j]!)) j++;
  if (j > i) {
    if (j + 1 < to && codes[j] === 46 /* . */ && isDigit(codes[j + 1]!)) {
      j += 2;
      while (j < to && isDigit(codes[j]!)) j++;
    }
    duration = j === from + 2 && sign === 45 && codes[from + 1] === 49 ? -1 : Number(text.slice(from, j));
    i = j;
  } else i = from;
  return scanAttributes(text, codes, i, to, pending(line, duration), full);
}

/** Every scan fills an object of this one shape (a second shape would deoptimise the scanner). */
function pending(line: number, duration: number): Pending {
  return {
    line,
    duration,
    title: '',
    attrs: {},
    headerAttrs: false,
    tvgId: undefined,
    tvgName: undefined,
    tvgLogo: undefined,
    logo: undefined,
    groupTitle: undefined,
    tvgChno: undefined,
    channelNumber: undefined,
    tvgUrl: undefined,
    vlc: undefined,
    kodiProps: undefined,
    extgrp: undefined,
    bandwidth: undefined,
  };
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
  const codes = new CodeUnits().of(text);
  const { attrs, title } = scanAttributes(text, codes, 0, text.length, pending(0, 0), true);
  return { attrs, title };
}

/**
 * `parseAttributes` over `text[from, to)` into `out` (title, attributes, well-known fields, header
 * flag); `full` = every attribute into `attrs`, else only the header ones. Scans char codes (no
 * per-token regexes); well-known keys come from a table instead of a slice + `toLowerCase` each,
 * and their first-wins check is a bit mask instead of a property lookup.
 */
function scanAttributes(
  text: string,
  codes: Uint16Array,
  from: number,
  to: number,
  out: Pending,
  full: boolean,
): Pending {
  const attrs = out.attrs;
  let known = 0;
  let i = from;
  while (i < to) {
    while (i < to && isSpace(codes[i]!)) i++;
    if (i >= to) break;
    if (codes[i] === COMMA) {
      out.title = trimmed(text, codes, i + 1, to);
      break;
    }
    // The key after a quoted value was scanned already, to tell where that value ends.
    const keyEnd = i === lookahead.at ? lookahead.end : scanKey(codes, i, to);
    if (keyEnd < 0) {
      // A bare word: no attributes follow. The title is what follows the next comma, or the rest.
      const comma = indexIn(codes, COMMA, i, to);
      out.title = trimmed(text, codes, comma >= 0 ? comma + 1 : i, to);
      break;
    }
    let k = knownKey(codes, i, keyEnd);
    const key = k >= 0 ? KNOWN_KEYS[k]! : text.slice(i, keyEnd).toLowerCase();
    if (k < 0) k = KNOWN_INDEX.get(key) ?? -1;
    i = keyEnd + 1;
    let value: string;
    const q = i < to ? codes[i]! : -1;
    if (q === DQUOTE || q === SQUOTE) {
      const end = closingQuote(text, codes, i + 1, to, q);
      value = text.slice(i + 1, end);
      i = end + 1;
    } else {
      let j = i;
      while (j < to && !isSpace(codes[j]!) && codes[j] !== COMMA) j++;
      value = text.slice(i, j);
      i = j;
    }
    if (k < 0) {
      if (full && !(key in attrs)) attrs[key] = value;
    } else if ((known & (1 << k)) === 0) {
      known |= 1 << k;
      if (full || k >= FIRST_HEADER) attrs[key] = value;
      if (k <= LAST_FIELD) setField(out, k, value);
    }
  }
  out.headerAttrs = (known & HEADER_BITS) !== 0;
  lookahead.at = -1;
  return out;
}

/** `text.slice(a, b).trim()`, with one slice. */
function trimmed(text: string, codes: Uint16Array, a: number, b: number): string {
  while (a < b && isTrimmed(codes[a]!)) a++;
  while (b > a && isTrimmed(codes[b - 1]!)) b--;
  return text.slice(a, b);
}

/** The key `closingQuote` found after a value: where it starts and its `=` (scanner scratch). */
const lookahead = { at: -1, end: -1 };

/** A well-known attribute (KNOWN_KEYS index up to LAST_FIELD) into its Pending field. */
function setField(out: Pending, k: number, value: string): void {
  switch (k) {
    case 0:
      out.tvgId = value;
      break;
    case 1:
      out.tvgName = value;
      break;
    case 2:
      out.tvgLogo = value;
      break;
    case 3:
      out.groupTitle = value;
      break;
    case 4:
      out.tvgChno = value;
      break;
    case 5:
      out.tvgUrl = value;
      break;
    case 6:
      out.channelNumber = value;
      break;
    case 7:
      out.logo = value;
      break;
  }
}

// Keys seen in nearly every playlist (most common first; the first LAST_FIELD + 1 have a Pending
// field, in setField's order), and every header key, last (at most 31: they are bits of a mask).
const KNOWN_KEYS = [
  'tvg-id',
  'tvg-name',
  'tvg-logo',
  'group-title',
  'tvg-chno',
  'tvg-url',
  'channel-number',
  'logo',
  'tvg-shift',
  'tvg-country',
  'tvg-language',
  'tvg-type',
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
const LAST_FIELD = 7;
const FIRST_HEADER = KNOWN_KEYS.length - HEADER_KEYS.length;
const HEADER_BITS = HEADER_KEYS.reduce((bits, k) => bits | (1 << KNOWN_INDEX.get(k)!), 0);
const KEYS_BY_LENGTH: number[][] = [];
KNOWN_KEYS.forEach((k, i) => (KEYS_BY_LENGTH[k.length] ??= []).push(i));
const KEY_CODES = KNOWN_KEYS.map((k) => Uint16Array.from(k, (c) => c.charCodeAt(0)));

/** Index in KNOWN_KEYS of the lower-case key `codes[from, end)`, or -1. */
function knownKey(codes: Uint16Array, from: number, end: number): number {
  const keys = KEYS_BY_LENGTH[end - from];
  if (keys === undefined) return -1;
  for (let n = 0; n < keys.length; n++) {
    const k = keys[n]!;
    const want = KEY_CODES[k]!;
    let m = want.length - 1;
    // From the end: keys of one length mostly share their start ("tvg-").
    while (m >= 0 && codes[from + m] === want[m]) m--;
    if (m < 0) return k;
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

function indexIn(codes: Uint16Array, c: number, from: number, to: number): number {
  for (let j = from; j < to; j++) if (codes[j] === c) return j;
  return -1;
}

/** Index of the `=` ending a key that starts at `from`, or -1 when the text there is not `key=`. */
function scanKey(codes: Uint16Array, from: number, to: number): number {
  const max = Math.min(to, from + 100);
  for (let j = from; j < max; j++) {
    const c = codes[j]!;
    if (c === EQUALS) return j > from ? j : -1;
    if (isSpace(c) || c === COMMA || c === DQUOTE || c === SQUOTE) return -1;
  }
  return -1;
}

function closingQuote(text: string, codes: Uint16Array, from: number, to: number, q: number): number {
  const quote = q === DQUOTE ? '"' : "'";
  for (let j = text.indexOf(quote, from); j >= 0 && j < to; j = text.indexOf(quote, j + 1)) {
    let k = j + 1;
    if (k >= to || codes[k] === COMMA) return j;
    if (!isSpace(codes[k]!)) continue;
    while (k < to && isSpace(codes[k]!)) k++;
    if (k >= to || codes[k] === COMMA) return j;
    const keyEnd = scanKey(codes, k, to);
    if (keyEnd >= 0) {
      lookahead.at = k;
      lookahead.end = keyEnd;
      return j;
    }
  }
  // Unterminated: the value runs to the first comma, or the end.
  const comma = indexIn(codes, COMMA, from, to);
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
