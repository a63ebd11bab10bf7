// Normalised channel names: the merge key across sources and the guide's fallback match.
// "US: CNN HD", "cnn", "CNN (1080p)" and "UK | CNN FHD" all normalise to "cnn".

const QUALITY =
  /\b(uhd|fhd|hd|sd|hevc|h\.?265|h\.?264|4k|8k|1080[pi]?|720p|576[pi]?|540p|480p|360p|50fps|60fps|hdr|raw|backup)\b/g;
// Country/provider prefixes: "US:", "UK |", "[DE]", "FR -", "|UK|".
const PREFIX = /^(\s*(\[[a-z]{2,3}\]|\|?[a-z]{2,3}\s*[:|]|[a-z]{2,3}\s+-\s+))+/;
const DECORATION = /\[[^\]]*\]|\([^)]*\)|\{[^}]*\}/g;
const NOT_ALNUM = /[^\p{L}\p{N}]+/gu;

/** Lower-case, strip country prefix, bracketed decorations, quality tags and punctuation. */
export function normalizeName(name: string): string {
  // Merging 100k entries normalises every distinct name: ASCII names (nearly all) take a single
  // char-code pass that gives exactly what the regex pipeline below gives.
  const ascii = normalizeAscii(name);
  if (ascii !== undefined) return ascii;
  let s = name.normalize('NFKC').toLowerCase().trim();
  s = s.replace(PREFIX, '');
  s = s.replace(DECORATION, ' ');
  s = s.replace(QUALITY, ' ');
  s = s.replace(NOT_ALNUM, ' ').trim();
  // A name made only of tags/decoration ("HD") falls back to its plain lower-cased form.
  return s.length > 0 ? s.replace(/\s+/g, ' ') : plain(name);
}

function plain(name: string): string {
  return name.toLowerCase().replace(/\s+/g, ' ').trim();
}

export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/**
 * Words of up to 5 chars packed into one small integer (base 38 over `[a-z0-9_]`, case folded), so
 * a word is looked up without slicing it out. 38^5 < 2^31: always a Smi.
 */
function packChar(code: number, c: number): number {
  // 0-9 → 1-10, _ → 11, a-z and A-Z → 12-37 (no 0 digit: "a" and "0a" differ).
  const digit = c <= 57 ? c - 47 : c === 95 ? 11 : (c | 32) - 85;
  return code * 38 + digit;
}

function pack(word: string): number {
  let code = 0;
  for (let i = 0; i < word.length; i++) code = packChar(code, word.charCodeAt(i));
  return code;
}

// Quality tags as whole words (QUALITY without the `h.265` / `h.264` forms, handled apart, and
// "backup", the one tag longer than 5 chars).
const QUALITY_CODES = new Set(
  'uhd fhd hd sd hevc h265 h264 4k 8k 1080 1080p 1080i 720p 576 576p 576i 540p 480p 360p 50fps 60fps hdr raw'
    .split(' ')
    .map(pack),
);

/**
 * `normalizeName` for ASCII names (NFKC is the identity there, `\p{L}\p{N}` is `[a-z0-9]`), or
 * undefined at the first non-ASCII char. Works on `name` itself, folding case as it reads: the
 * prefix is matched by hand, a decoration (`[…]`, `(…)`, `{…}`) is a separator, and one pass over
 * the words (`\b` runs of `[a-z0-9_]`) drops quality tags and keeps the alphanumeric runs, joined
 * by one space and lower-cased once at the end. No string is made but the result.
 */
function normalizeAscii(name: string): string | undefined {
  let a = 0;
  let b = name.length;
  while (a < b && isSpaceAscii(name.charCodeAt(a))) a++;
  while (b > a && isSpaceAscii(name.charCodeAt(b - 1))) b--;
  let out = '';
  // Kept runs are collected as one range while they are separated by exactly one space.
  let from = -1;
  let to = -1;
  let i = prefixEnd(name, a, b);
  while (i < b) {
    const c = name.charCodeAt(i);
    if (c > 127) return undefined;
    if (!isWordChar(c)) {
      const close = c === 91 /* [ */ ? 93 : c === 40 /* ( */ ? 41 : c === 123 /* { */ ? 125 : 0;
      const end = close === 0 ? -1 : indexOfCode(name, close, i + 1, b);
      if (end < 0) i++;
      else {
        for (let k = i + 1; k < end; k++) if (name.charCodeAt(k) > 127) return undefined;
        i = end + 1;
      }
      continue;
    }
    let j = i;
    let code = 0;
    for (; j < b; j++) {
      const d = name.charCodeAt(j);
      if (!isWordChar(d)) break;
      if (j - i < 5) code = packChar(code, d);
    }
    const len = j - i;
    if (len <= 5 ? QUALITY_CODES.has(code) : len === 6 && isBackup(name, i)) {
      i = j;
      continue;
    }
    const codec = len === 1 && (c | 32) === 104 /* h */ ? codecEnd(name, j, b) : -1;
    if (codec > 0) {
      i = codec;
      continue;
    }
    // Alphanumeric runs inside the word ("_" is a word char but not alphanumeric).
    for (let p = i; p < j;) {
      if (name.charCodeAt(p) === 95 /* _ */) {
        p++;
        continue;
      }
      let q = p + 1;
      while (q < j && name.charCodeAt(q) !== 95) q++;
      if (from < 0) {
        from = p;
        to = q;
      } else if (p === to + 1 && name.charCodeAt(to) === 32) {
        to = q;
      } else {
        out = out ? `${out} ${name.slice(from, to)}` : name.slice(from, to);
        from = p;
        to = q;
      }
      p = q;
    }
    i = j;
  }
  if (from < 0) return plain(name);
  const last = name.slice(from, to);
  return (out ? `${out} ${last}` : last).toLowerCase();
}

function isBackup(s: string, i: number): boolean {
  const B = 'backup';
  for (let k = 0; k < 6; k++) if ((s.charCodeAt(i + k) | 32) !== B.charCodeAt(k)) return false;
  return true;
}

function indexOfCode(s: string, c: number, from: number, to: number): number {
  for (let k = from; k < to; k++) if (s.charCodeAt(k) === c) return k;
  return -1;
}

/** After a word "h" ending at `j`: the end of ".265" / ".264" when that is a whole word, else -1. */
function codecEnd(s: string, j: number, end: number): number {
  if (at(s, j, end) !== 46 /* . */ || at(s, j + 1, end) !== 50 || at(s, j + 2, end) !== 54) return -1;
  const c = at(s, j + 3, end);
  if (c !== 52 /* 4 */ && c !== 53 /* 5 */) return -1;
  return isWordChar(at(s, j + 4, end)) ? -1 : j + 4;
}

/** The char code at `i`, or -1 outside `[0, end)` (no out-of-bounds reads in optimised code). */
function at(s: string, i: number, end: number): number {
  return i >= 0 && i < end ? s.charCodeAt(i) : -1;
}

/** `\w` of a non-unicode regex (either case). */
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 95 || ((c | 32) >= 97 && (c | 32) <= 122);
}

/** `\s` restricted to ASCII. */
function isSpaceAscii(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isLetter(c: number): boolean {
  return (c | 32) >= 97 && (c | 32) <= 122;
}

function letterRun(s: string, i: number, end: number): number {
  let j = i;
  while (j < end && isLetter(s.charCodeAt(j))) j++;
  return j - i;
}

/** Where the PREFIX match starting at `a` ends (`a` when there is none), in `s[a, end)`. */
function prefixEnd(s: string, a: number, end: number): number {
  let p = a;
  for (;;) {
    let i = p;
    while (isSpaceAscii(at(s, i, end))) i++;
    const next = prefixItem(s, i, end);
    if (next < 0) return p;
    p = next;
  }
}

/** One PREFIX item at `i` ("[uk]", "|uk|", "uk:", "uk |", "uk - "): its end, or -1. */
function prefixItem(s: string, i: number, end: number): number {
  const c = at(s, i, end);
  if (c === 91 /* [ */) {
    const l = letterRun(s, i + 1, end);
    return (l === 2 || l === 3) && at(s, i + 1 + l, end) === 93 /* ] */ ? i + 2 + l : -1;
  }
  const j = c === 124 /* | */ ? i + 1 : i;
  const l = letterRun(s, j, end);
  if (l !== 2 && l !== 3) return -1;
  let k = j + l;
  while (isSpaceAscii(at(s, k, end))) k++;
  const sep = at(s, k, end);
  if (sep === 58 /* : */ || sep === 124 /* | */) return k + 1;
  // "uk - ": needs space before and after the dash, and no leading "|".
  if (j !== i || k === j + l || sep !== 45 /* - */ || !isSpaceAscii(at(s, k + 1, end))) return -1;
  k += 2;
  while (isSpaceAscii(at(s, k, end))) k++;
  return k;
}

/** Normalised EPG id: case-insensitive, feed suffix ("@SD") removed. */
export function normalizeEpgId(id: string): string {
  // `.replace(/@[a-z0-9]+$/i, '')` without a regex run per id: only the last "@" can start a
  // match (the rest of the id must be letters and digits).
  const s = id.trim().toLowerCase();
  const at = s.lastIndexOf('@');
  if (at < 0 || at === s.length - 1) return s;
  for (let i = at + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) return s;
  }
  return s.slice(0, at);
}

/** Quality tag strength (higher is better) found in a stream name. */
export function qualityOf(name: string): number {
  // The tags as `\b…\b` words (the ASCII `\w` runs of a non-unicode regex): the strongest one found.
  // ASCII names are read as they are (case folded per char); others are lower-cased first, which
  // can turn a non-ASCII char into an ASCII one ("K" Kelvin sign → "k").
  const q = levelAscii(name);
  return q >= 0 ? q : levelOf(name.toLowerCase());
}

/** `qualityOf` for an ASCII name, or -1 at the first non-ASCII char. */
function levelAscii(s: string): number {
  let best = 0;
  for (let i = 0; i < s.length;) {
    const c = s.charCodeAt(i);
    if (c > 127) return -1;
    if (!isWordChar(c)) {
      i++;
      continue;
    }
    let j = i;
    let code = 0;
    for (; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (!isWordChar(d)) {
        // Lower-casing a non-ASCII char may extend the word ("4K" + Kelvin sign): not ASCII after all.
        if (d > 127) return -1;
        break;
      }
      if (j - i < 5) code = packChar(code, d);
    }
    const q = j - i <= 5 ? (QUALITY_LEVELS.get(code) ?? 0) : 0;
    if (q > best) best = q;
    if (best === 4) return best;
    i = j;
  }
  return best;
}

function levelOf(s: string): number {
  let best = 0;
  for (let i = 0; i < s.length;) {
    if (!isWordChar(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < s.length && isWordChar(s.charCodeAt(j))) j++;
    const q = j - i <= 5 ? (QUALITY_LEVELS.get(pack(s.slice(i, j))) ?? 0) : 0;
    if (q > best) best = q;
    if (best === 4) break;
    i = j;
  }
  return best;
}

const QUALITY_LEVELS = new Map<number, number>([
  ...['8k', 'uhd', '4k', '2160p'].map((w) => [pack(w), 4] as const),
  ...['fhd', '1080', '1080p', '1080i'].map((w) => [pack(w), 3] as const),
  ...['hd', '720p'].map((w) => [pack(w), 2] as const),
  ...['sd', '576', '576p', '576i', '480p', '360p'].map((w) => [pack(w), 1] as const),
]);
