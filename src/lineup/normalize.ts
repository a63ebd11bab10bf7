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
  if (isAscii(name)) return normalizeAscii(name);
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

// Quality tags as whole words (QUALITY without the `h.265` / `h.264` forms, handled apart).
const QUALITY_WORDS = new Set(
  'uhd fhd hd sd hevc h265 h264 4k 8k 1080 1080p 1080i 720p 576 576p 576i 540p 480p 360p 50fps 60fps hdr raw backup'.split(
    ' ',
  ),
);

/**
 * `normalizeName` for ASCII (NFKC is the identity there, `\p{L}\p{N}` is `[a-z0-9]`): the prefix
 * is matched by hand, decorations by the same regex (rare), then one pass over the words (`\b`
 * runs of `[a-z0-9_]`) drops quality tags and keeps the alphanumeric runs, joined by one space.
 */
function normalizeAscii(name: string): string {
  let s = name.toLowerCase().trim();
  const p = prefixLength(s);
  if (p > 0) s = s.slice(p);
  if (hasBracket(s)) s = s.replace(DECORATION, ' ');
  const n = s.length;
  let out = '';
  // Kept runs are collected as one range while they are separated by exactly one space in `s`.
  let from = -1;
  let to = -1;
  let i = 0;
  while (i < n) {
    if (!isWordChar(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isWordChar(s.charCodeAt(j))) j++;
    if (j - i <= 6 && QUALITY_WORDS.has(s.slice(i, j))) {
      i = j;
      continue;
    }
    const codec = j - i === 1 && s.charCodeAt(i) === 104 /* h */ ? codecEnd(s, j) : -1;
    if (codec > 0) {
      i = codec;
      continue;
    }
    // Alphanumeric runs inside the word ("_" is a word char but not alphanumeric).
    for (let a = i; a < j;) {
      if (s.charCodeAt(a) === 95 /* _ */) {
        a++;
        continue;
      }
      let b = a + 1;
      while (b < j && s.charCodeAt(b) !== 95) b++;
      if (from < 0) {
        from = a;
        to = b;
      } else if (a === to + 1 && s.charCodeAt(to) === 32) {
        to = b;
      } else {
        out = out ? `${out} ${s.slice(from, to)}` : s.slice(from, to);
        from = a;
        to = b;
      }
      a = b;
    }
    i = j;
  }
  if (from < 0) return plain(name);
  const last = s.slice(from, to);
  return out ? `${out} ${last}` : last;
}

/** After a word "h" ending at `j`: the end of ".265" / ".264" when that is a whole word, else -1. */
function codecEnd(s: string, j: number): number {
  if (at(s, j) !== 46 /* . */ || !s.startsWith('26', j + 1)) return -1;
  const c = at(s, j + 3);
  if (c !== 52 /* 4 */ && c !== 53 /* 5 */) return -1;
  return isWordChar(at(s, j + 4)) ? -1 : j + 4;
}

/** The char code at `i`, or -1 outside the string (no out-of-bounds reads in optimised code). */
function at(s: string, i: number): number {
  return i >= 0 && i < s.length ? s.charCodeAt(i) : -1;
}

function hasBracket(s: string): boolean {
  return s.includes('[') || s.includes('(') || s.includes('{');
}

/** `\w` of a non-unicode regex, on lower-cased text. */
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
}

/** `\s` restricted to ASCII. */
function isSpaceAscii(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function letterRun(s: string, i: number): number {
  let j = i;
  while (j < s.length && s.charCodeAt(j) >= 97 && s.charCodeAt(j) <= 122) j++;
  return j - i;
}

/** Length of the PREFIX match at the start of lower-cased ASCII `s` (0 when none). */
function prefixLength(s: string): number {
  let p = 0;
  for (;;) {
    let i = p;
    while (isSpaceAscii(at(s, i))) i++;
    const end = prefixItem(s, i);
    if (end < 0) return p;
    p = end;
  }
}

/** One PREFIX item at `i` ("[uk]", "|uk|", "uk:", "uk |", "uk - "): its end, or -1. */
function prefixItem(s: string, i: number): number {
  const c = at(s, i);
  if (c === 91 /* [ */) {
    const l = letterRun(s, i + 1);
    return (l === 2 || l === 3) && at(s, i + 1 + l) === 93 /* ] */ ? i + 2 + l : -1;
  }
  const j = c === 124 /* | */ ? i + 1 : i;
  const l = letterRun(s, j);
  if (l !== 2 && l !== 3) return -1;
  let k = j + l;
  while (isSpaceAscii(at(s, k))) k++;
  const sep = at(s, k);
  if (sep === 58 /* : */ || sep === 124 /* | */) return k + 1;
  // "uk - ": needs space before and after the dash, and no leading "|".
  if (j !== i || k === j + l || sep !== 45 /* - */ || !isSpaceAscii(at(s, k + 1))) return -1;
  k += 2;
  while (isSpaceAscii(at(s, k))) k++;
  return k;
}

/** Normalised EPG id: case-insensitive, feed suffix ("@SD") removed. */
export function normalizeEpgId(id: string): string {
  return id
    .trim()
    .toLowerCase()
    .replace(/@[a-z0-9]+$/i, '');
}

/** Quality tag strength (higher is better) found in a stream name. */
export function qualityOf(name: string): number {
  // The tags as `\b…\b` words (the ASCII `\w` runs of a non-unicode regex): the strongest one found.
  const s = name.toLowerCase();
  let best = 0;
  for (let i = 0; i < s.length;) {
    if (!isRegexWordChar(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < s.length && isRegexWordChar(s.charCodeAt(j))) j++;
    const q = j - i <= 5 ? (QUALITY_LEVELS.get(s.slice(i, j)) ?? 0) : 0;
    if (q > best) best = q;
    if (best === 4) break;
    i = j;
  }
  return best;
}

const QUALITY_LEVELS = new Map<string, number>([
  ...['8k', 'uhd', '4k', '2160p'].map((w) => [w, 4] as const),
  ...['fhd', '1080', '1080p', '1080i'].map((w) => [w, 3] as const),
  ...['hd', '720p'].map((w) => [w, 2] as const),
  ...['sd', '576', '576p', '576i', '480p', '360p'].map((w) => [w, 1] as const),
]);

/** `\w` of a non-unicode regex. */
function isRegexWordChar(c: number): boolean {
  return isWordChar(c) || (c >= 65 && c <= 90);
}
