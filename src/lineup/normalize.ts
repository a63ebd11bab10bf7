// Normalised channel names: the merge key across sources and the guide's fallback match.
// "US: CNN HD", "cnn", "CNN (1080p)" and "UK | CNN FHD" all normalise to "cnn".

const QUALITY =
  /\b(uhd|fhd|hd|sd|hevc|h\.?265|h\.?264|4k|8k|1080[pi]?|720p|576[pi]?|540p|480p|360p|50fps|60fps|hdr|raw|backup)\b/g;
// Country/provider prefixes: "US:", "UK |", "[DE]", "FR -", "|UK|".
const PREFIX = /^(\s*(\[[a-z]{2,3}\]|\|?[a-z]{2,3}\s*[:|]|[a-z]{2,3}\s+-\s+))+/;
const DECORATION = /\[[^\]]*\]|\([^)]*\)|\{[^}]*\}/g;

/** Lower-case, strip country prefix, bracketed decorations, quality tags and punctuation. */
export function normalizeName(name: string): string {
  let s = name.normalize('NFKC').toLowerCase().trim();
  s = s.replace(PREFIX, '');
  s = s.replace(DECORATION, ' ');
  s = s.replace(QUALITY, ' ');
  s = s.replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  // A name made only of tags/decoration ("HD") falls back to its plain lower-cased form.
  return s.length > 0 ? s.replace(/\s+/g, ' ') : name.toLowerCase().replace(/\s+/g, ' ').trim();
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
  const s = name.toLowerCase();
  if (/\b(8k|uhd|4k|2160p)\b/.test(s)) return 4;
  if (/\b(fhd|1080[pi]?)\b/.test(s)) return 3;
  if (/\b(hd|720p)\b/.test(s)) return 2;
  if (/\b(sd|576[pi]?|480p|360p)\b/.test(s)) return 1;
  return 0;
}
