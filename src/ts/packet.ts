// Accessors for one TS packet at (buf, off). Pure functions over bytes so hot loops can walk a
// Buffer with an integer offset and edit header fields in place, without per-packet objects.
import { NULL_PID, PCR_WRAP, SYNC, TS_PACKET_SIZE } from './constants.js';

export function pidOf(buf: Uint8Array, off: number): number {
  return ((buf[off + 1]! & 0x1f) << 8) | buf[off + 2]!;
}

export function pusiOf(buf: Uint8Array, off: number): boolean {
  return (buf[off + 1]! & 0x40) !== 0;
}

/** transport_error_indicator: the demodulator/upstream flagged the packet as damaged. */
export function teiOf(buf: Uint8Array, off: number): boolean {
  return (buf[off + 1]! & 0x80) !== 0;
}

/** adaptation_field_control: 1 payload only, 2 AF only, 3 AF + payload, 0 reserved. */
export function afcOf(buf: Uint8Array, off: number): number {
  return (buf[off + 3]! >> 4) & 3;
}

export function ccOf(buf: Uint8Array, off: number): number {
  return buf[off + 3]! & 0x0f;
}

export function setPid(buf: Uint8Array, off: number, pid: number): void {
  buf[off + 1] = (buf[off + 1]! & 0xe0) | ((pid >> 8) & 0x1f);
  buf[off + 2] = pid & 0xff;
}

export function setCc(buf: Uint8Array, off: number, cc: number): void {
  buf[off + 3] = (buf[off + 3]! & 0xf0) | (cc & 0x0f);
}

export function hasPayload(buf: Uint8Array, off: number): boolean {
  return (buf[off + 3]! & 0x10) !== 0;
}

/** True when the packet carries a sane adaptation field (present and length ≤ 183 or 182 with payload). */
function afValid(buf: Uint8Array, off: number, afc: number): boolean {
  const len = buf[off + 4]!;
  return afc === 2 ? len <= 183 : len <= 182;
}

/**
 * Absolute index in `buf` of the packet's payload, or -1 when it has none (AF only, reserved AFC)
 * or the adaptation field length would run past the packet.
 */
export function payloadOffset(buf: Uint8Array, off: number): number {
  const afc = afcOf(buf, off);
  if (afc === 1) return off + 4;
  if (afc !== 3) return -1;
  const len = buf[off + 4]!;
  if (len > 182) return -1;
  return off + 5 + len;
}

/** True when the header is structurally usable: sync byte, no TEI, AFC not reserved, sane AF length. */
export function packetValid(buf: Uint8Array, off: number): boolean {
  if (buf[off] !== SYNC || teiOf(buf, off)) return false;
  const afc = afcOf(buf, off);
  if (afc === 0) return false;
  return afc === 1 || afValid(buf, off, afc);
}

/** Index of the AF flags byte, or -1 when the packet has no (non-empty, valid) adaptation field. */
function afFlagsIndex(buf: Uint8Array, off: number): number {
  const afc = afcOf(buf, off);
  if ((afc & 2) === 0 || !afValid(buf, off, afc) || buf[off + 4] === 0) return -1;
  return off + 5;
}

/** Index of the 6 PCR bytes, or -1 when the packet carries no PCR. */
export function pcrIndex(buf: Uint8Array, off: number): number {
  const f = afFlagsIndex(buf, off);
  if (f < 0 || (buf[f]! & 0x10) === 0 || buf[off + 4]! < 7) return -1;
  return f + 1;
}

/** PCR in 27 MHz units (base × 300 + extension), or undefined when absent. */
export function readPcr(buf: Uint8Array, off: number): number | undefined {
  const i = pcrIndex(buf, off);
  if (i < 0) return undefined;
  // 33-bit base: the top byte is scaled by multiplication, never by a 32-bit shift.
  const base =
    buf[i]! * 2 ** 25 + ((buf[i + 1]! << 17) | (buf[i + 2]! << 9) | (buf[i + 3]! << 1) | (buf[i + 4]! >> 7));
  const ext = ((buf[i + 4]! & 1) << 8) | buf[i + 5]!;
  return base * 300 + ext;
}

/** Write a PCR (27 MHz units, taken mod 2^33 × 300) into the packet's existing PCR field. */
export function writePcr(buf: Uint8Array, off: number, pcr27: number): boolean {
  const i = pcrIndex(buf, off);
  if (i < 0) return false;
  writePcrAt(buf, i, pcr27);
  return true;
}

/** Encode a PCR at the index of its 6 bytes (reserved bits set to 1). */
export function writePcrAt(buf: Uint8Array, i: number, pcr27: number): void {
  let v = pcr27 % PCR_WRAP;
  if (v < 0) v += PCR_WRAP;
  const base = Math.floor(v / 300);
  const ext = v - base * 300;
  const hi = Math.floor(base / 2); // upper 32 bits of the 33-bit base
  buf[i] = (hi >>> 24) & 0xff;
  buf[i + 1] = (hi >>> 16) & 0xff;
  buf[i + 2] = (hi >>> 8) & 0xff;
  buf[i + 3] = hi & 0xff;
  buf[i + 4] = ((base & 1) << 7) | 0x7e | ((ext >> 8) & 1);
  buf[i + 5] = ext & 0xff;
}

export function isRandomAccess(buf: Uint8Array, off: number): boolean {
  const f = afFlagsIndex(buf, off);
  return f >= 0 && (buf[f]! & 0x40) !== 0;
}

export function isDiscontinuity(buf: Uint8Array, off: number): boolean {
  const f = afFlagsIndex(buf, off);
  return f >= 0 && (buf[f]! & 0x80) !== 0;
}

/** Clear discontinuity_indicator in place (we rebase instead, so the flag would mislead decoders). */
export function clearDiscontinuity(buf: Uint8Array, off: number): void {
  const f = afFlagsIndex(buf, off);
  if (f >= 0) buf[f] = buf[f]! & 0x7f;
}

const NULL_PACKET = (() => {
  const p = Buffer.alloc(TS_PACKET_SIZE, 0xff);
  p[0] = SYNC;
  p[1] = (NULL_PID >> 8) & 0x1f;
  p[2] = NULL_PID & 0xff;
  p[3] = 0x10;
  return p;
})();

/** `n` canonical null packets (`47 1F FF 10` + 184 × 0xFF). */
export function nullPackets(n: number): Buffer {
  const out = Buffer.allocUnsafe(n * TS_PACKET_SIZE);
  for (let i = 0; i < n; i++) NULL_PACKET.copy(out, i * TS_PACKET_SIZE);
  return out;
}
