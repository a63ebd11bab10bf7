// HDHomeRun packet framing, shared by UDP discovery and the TCP control protocol:
//   type (u16 BE) | payload length (u16 BE) | TLVs | CRC-32 (u32 LE) over header + payload.
// Pure functions over Buffers; no sockets here.
import { crc32 } from 'node:zlib';

export const PacketType = {
  DISCOVER_REQ: 0x0002,
  DISCOVER_RPY: 0x0003,
  GETSET_REQ: 0x0004,
  GETSET_RPY: 0x0005,
  UPGRADE_REQ: 0x0006,
  UPGRADE_RPY: 0x0007,
} as const;

export const Tag = {
  DEVICE_TYPE: 0x01,
  DEVICE_ID: 0x02,
  GETSET_NAME: 0x03,
  GETSET_VALUE: 0x04,
  ERROR_MESSAGE: 0x05,
  TUNER_COUNT: 0x10,
  GETSET_LOCKKEY: 0x15,
  LINEUP_URL: 0x27,
  STORAGE_URL: 0x28,
  DEVICE_AUTH_BIN: 0x29,
  BASE_URL: 0x2a,
  DEVICE_AUTH_STR: 0x2b,
  STORAGE_ID: 0x2c,
  MULTI_TYPE: 0x2d,
} as const;

export const MAX_PACKET = 1460;
export const MAX_PAYLOAD = 1452;
const HEADER = 4;
const TRAILER = 4;
/** Largest value a two-byte TLV length can express: (0x7F) | (0xFF << 7). */
const MAX_TLV_LENGTH = 0x7fff;

export interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
}

export interface Frame {
  readonly type: number;
  readonly tlvs: readonly Tlv[];
}

export type Decoded<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly reason: string };

// ---- TLV helpers ----

export const u8Tlv = (tag: number, n: number): Tlv => ({ tag, value: Buffer.of(n & 0xff) });

export function u32Tlv(tag: number, n: number): Tlv {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(n >>> 0);
  return { tag, value };
}

/** Text value; the control protocol wants a trailing NUL, discovery URLs do not. */
export const stringTlv = (tag: number, s: string, nul = false): Tlv => ({
  tag,
  value: Buffer.from(nul ? `${s}\0` : s, 'utf8'),
});

/** Text of a value, cut at the first NUL (peers may or may not send one). */
export function tlvString(value: Buffer): string {
  const end = value.indexOf(0);
  return value.toString('utf8', 0, end === -1 ? value.length : end);
}

/** Value of the first TLV with this tag. */
export const findTlv = (tlvs: readonly Tlv[], tag: number): Buffer | undefined =>
  tlvs.find((t) => t.tag === tag)?.value;

// ---- TLV list ----

export function encodeTlvs(tlvs: readonly Tlv[]): Buffer {
  const parts: Buffer[] = [];
  for (const { tag, value } of tlvs) {
    const n = value.length;
    if (n > MAX_TLV_LENGTH) throw new RangeError(`TLV 0x${tag.toString(16)} value too long (${n} bytes)`);
    // Lengths ≥ 128 use two bytes: low 7 bits with the high bit set, then the rest.
    parts.push(n < 0x80 ? Buffer.of(tag, n) : Buffer.of(tag, (n & 0x7f) | 0x80, n >> 7), value);
  }
  return Buffer.concat(parts);
}

/** Generic TLV walk: every tag is kept (unknown ones too); a length overrunning the payload fails. */
export function decodeTlvs(payload: Buffer): Decoded<{ tlvs: Tlv[] }> {
  const tlvs: Tlv[] = [];
  let pos = 0;
  while (pos < payload.length) {
    const tag = payload[pos++]!;
    if (pos >= payload.length) return { ok: false, reason: `TLV 0x${tag.toString(16)} has no length` };
    let len = payload[pos++]!;
    if (len & 0x80) {
      if (pos >= payload.length) return { ok: false, reason: `TLV 0x${tag.toString(16)} length truncated` };
      len = (len & 0x7f) | (payload[pos++]! << 7);
    }
    if (pos + len > payload.length) {
      return { ok: false, reason: `TLV 0x${tag.toString(16)} length ${len} overruns payload` };
    }
    tlvs.push({ tag, value: payload.subarray(pos, pos + len) });
    pos += len;
  }
  return { ok: true, tlvs };
}

// ---- Frame ----

export function encodeFrame(type: number, tlvs: readonly Tlv[]): Buffer {
  const payload = encodeTlvs(tlvs);
  if (payload.length > MAX_PAYLOAD)
    throw new RangeError(`payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const frame = Buffer.alloc(HEADER + payload.length + TRAILER);
  frame.writeUInt16BE(type, 0);
  frame.writeUInt16BE(payload.length, 2);
  payload.copy(frame, HEADER);
  const end = HEADER + payload.length;
  frame.writeUInt32LE(crc32(frame.subarray(0, end)), end);
  return frame;
}

/** Decode exactly one frame occupying the whole buffer (one UDP datagram, or one frame cut by FrameReader). */
export function decodeFrame(buf: Buffer): Decoded<Frame> {
  if (buf.length < HEADER + TRAILER) return { ok: false, reason: `too short (${buf.length} bytes)` };
  if (buf.length > MAX_PACKET) return { ok: false, reason: `too long (${buf.length} bytes)` };
  const type = buf.readUInt16BE(0);
  const len = buf.readUInt16BE(2);
  if (len > MAX_PAYLOAD) return { ok: false, reason: `payload length ${len} exceeds ${MAX_PAYLOAD}` };
  if (HEADER + len + TRAILER !== buf.length) {
    return {
      ok: false,
      reason: `length field ${len} does not match ${buf.length - HEADER - TRAILER} payload bytes`,
    };
  }
  const end = HEADER + len;
  if (crc32(buf.subarray(0, end)) !== buf.readUInt32LE(end)) return { ok: false, reason: 'bad CRC' };
  const tlvs = decodeTlvs(buf.subarray(HEADER, end));
  if (!tlvs.ok) return tlvs;
  return { ok: true, type, tlvs: tlvs.tlvs };
}

/**
 * Cuts a TCP byte stream into frames. After the first bad frame the reader is poisoned:
 * the caller must close the connection (libhdhomerun does the same), so resynchronising is pointless.
 */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);
  private failure: string | undefined;

  /** Frames completed by this chunk; `error` is set once a bad frame was seen. */
  push(chunk: Buffer): { frames: Frame[]; error?: string } {
    if (this.failure) return { frames: [], error: this.failure };
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const frames: Frame[] = [];
    let pos = 0;
    while (this.buffered.length - pos >= HEADER) {
      const len = this.buffered.readUInt16BE(pos + 2);
      if (len > MAX_PAYLOAD) {
        this.failure = `payload length ${len} exceeds ${MAX_PAYLOAD}`;
        break;
      }
      const size = HEADER + len + TRAILER;
      if (this.buffered.length - pos < size) break;
      const frame = decodeFrame(this.buffered.subarray(pos, pos + size));
      pos += size;
      if (!frame.ok) {
        this.failure = frame.reason;
        break;
      }
      frames.push({ type: frame.type, tlvs: frame.tlvs });
    }
    // Copy the remainder so a long-lived connection does not pin large chunks.
    this.buffered = this.failure ? Buffer.alloc(0) : Buffer.from(this.buffered.subarray(pos));
    return this.failure ? { frames, error: this.failure } : { frames };
  }

  /** Bytes of an incomplete frame waiting for more data. */
  get pending(): number {
    return this.buffered.length;
  }
}
