// PES header timestamps (PTS/DTS, 33-bit, 90 kHz) read and rewritten in place. 33-bit values do
// not fit JS bitwise operators, so the top bits are combined with multiplication.
import { TS_WRAP } from './constants.js';

const HALF_WRAP = 2 ** 32;

/** (a + b) mod 2^33, for any finite integers (b may be negative). */
export function add33(a: number, b: number): number {
  const v = (a + b) % TS_WRAP;
  return v < 0 ? v + TS_WRAP : v;
}

/** Signed shortest distance a − b on the 33-bit circle, in [−2^32, 2^32). Handles wrap. */
export function diff33(a: number, b: number): number {
  const d = add33(a, -b);
  return d >= HALF_WRAP ? d - TS_WRAP : d;
}

/** Decode the 5-byte PTS/DTS field at index i (marker bits ignored). */
export function readTimestamp(buf: Uint8Array, i: number): number {
  const top = (buf[i]! >> 1) & 7;
  const low =
    ((buf[i + 1]! << 22) | ((buf[i + 2]! >> 1) << 15) | (buf[i + 3]! << 7) | (buf[i + 4]! >> 1)) >>> 0;
  return top * 2 ** 30 + low;
}

/** Encode a PTS/DTS at index i, keeping the 4-bit prefix already there and forcing marker bits. */
export function writeTimestamp(buf: Uint8Array, i: number, ts: number): void {
  const v = add33(ts, 0);
  const top = Math.floor(v / 2 ** 30);
  const low = v - top * 2 ** 30;
  buf[i] = (buf[i]! & 0xf0) | (top << 1) | 1;
  buf[i + 1] = (low >>> 22) & 0xff;
  buf[i + 2] = (((low >>> 15) & 0x7f) << 1) | 1;
  buf[i + 3] = (low >>> 7) & 0xff;
  buf[i + 4] = ((low & 0x7f) << 1) | 1;
}

/** Write a fresh PTS/DTS field with its prefix ('0010' PTS only, '0011' PTS before DTS, '0001' DTS). */
export function encodeTimestamp(buf: Uint8Array, i: number, ts: number, prefix: number): void {
  buf[i] = prefix << 4;
  writeTimestamp(buf, i, ts);
}

/** True for stream_ids whose PES header has the optional fields (flags, PTS/DTS). */
function hasOptionalHeader(streamId: number): boolean {
  return (
    streamId !== 0xbc && // program_stream_map
    streamId !== 0xbe && // padding
    streamId !== 0xbf && // private_stream_2
    streamId !== 0xf0 &&
    streamId !== 0xf1 &&
    streamId !== 0xff &&
    streamId !== 0xf2 &&
    streamId !== 0xf8
  );
}

/** True when a PES start code begins at index p with room for its fixed header before `end`. */
export function isPesStart(buf: Uint8Array, p: number, end: number): boolean {
  return p + 6 <= end && buf[p] === 0 && buf[p + 1] === 0 && buf[p + 2] === 1;
}

/**
 * PTS_DTS_flags of the PES header at p (0 none, 2 PTS, 3 PTS+DTS), after checking that the fields
 * lie within [p, end) and inside the declared header length. PTS is at p+9, DTS at p+14.
 */
export function ptsDtsFlags(buf: Uint8Array, p: number, end: number): number {
  if (!isPesStart(buf, p, end) || p + 9 > end || !hasOptionalHeader(buf[p + 3]!)) return 0;
  if ((buf[p + 6]! & 0xc0) !== 0x80) return 0;
  const flags = buf[p + 7]! >> 6;
  const hdrLen = buf[p + 8]!;
  if (flags === 2) return hdrLen >= 5 && p + 14 <= end ? 2 : 0;
  if (flags === 3) return hdrLen >= 10 && p + 19 <= end ? 3 : 0;
  return 0;
}

export function readPts(buf: Uint8Array, p: number, end: number): number | undefined {
  return ptsDtsFlags(buf, p, end) >= 2 ? readTimestamp(buf, p + 9) : undefined;
}

export function readDts(buf: Uint8Array, p: number, end: number): number | undefined {
  return ptsDtsFlags(buf, p, end) === 3 ? readTimestamp(buf, p + 14) : undefined;
}

/** Index of the first elementary-stream byte after the PES header, or -1 when malformed/out of range. */
export function pesPayloadIndex(buf: Uint8Array, p: number, end: number): number {
  if (!isPesStart(buf, p, end) || p + 9 > end || !hasOptionalHeader(buf[p + 3]!)) return -1;
  const i = p + 9 + buf[p + 8]!;
  return i <= end ? i : -1;
}

/** Add `delta` (90 kHz, mod 2^33) to the PTS and DTS of the PES header at p, in place. */
export function shiftPesTimestamps(buf: Uint8Array, p: number, end: number, delta: number): void {
  const flags = ptsDtsFlags(buf, p, end);
  if (flags >= 2) writeTimestamp(buf, p + 9, readTimestamp(buf, p + 9) + delta);
  if (flags === 3) writeTimestamp(buf, p + 14, readTimestamp(buf, p + 14) + delta);
}
