// First-bytes classification of an upstream body. A provider answering 200 with an HTML error
// page, JSON or a text "blocked" message must fail at once instead of waiting for a timeout.

export type BodyKind = 'ts' | 'hls' | 'text' | 'unknown';

const HLS_TYPES = /mpegurl|vnd\.apple|x-mpegurl/i;
const TEXT_TYPES = /^(text\/|application\/(json|xml|xhtml))/i;

/** Decide from the Content-Type alone when it is conclusive (HLS playlists, HTML/JSON errors). */
export function kindFromContentType(contentType: string): BodyKind {
  if (HLS_TYPES.test(contentType)) return 'hls';
  if (TEXT_TYPES.test(contentType)) return 'text';
  return 'unknown';
}

/** Classify the first bytes of a body. */
export function sniffBody(first: Uint8Array): BodyKind {
  if (first.length === 0) return 'unknown';
  if (first[0] === 0x47) return 'ts';
  let i = 0;
  if (first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) i = 3; // UTF-8 BOM
  while (
    i < first.length &&
    (first[i] === 0x20 || first[i] === 0x09 || first[i] === 0x0a || first[i] === 0x0d)
  )
    i++;
  if (i >= first.length) return 'unknown';
  if (startsWith(first, i, '#EXTM3U')) return 'hls';
  const c = first[i]!;
  if (c === 0x3c /* < */ || c === 0x7b /* { */ || c === 0x5b /* [ */) return 'text';
  // Mostly printable ASCII in the first 64 bytes: a text message, not a transport stream.
  const end = Math.min(first.length, i + 64);
  let printable = 0;
  for (let j = i; j < end; j++) {
    const b = first[j]!;
    if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d) printable++;
  }
  return end - i >= 8 && printable === end - i ? 'text' : 'unknown';
}

function startsWith(buf: Uint8Array, at: number, text: string): boolean {
  if (buf.length - at < text.length) return false;
  for (let k = 0; k < text.length; k++) if (buf[at + k] !== text.charCodeAt(k)) return false;
  return true;
}
