// UDP discovery, pure part: read a DISCOVER_REQ, decide whether we answer, build the reply.
// Requests are parsed generically (reference §3.3): 2022+ libhdhomerun omits DEVICE_ID and may send
// MULTI_TYPE, so a fixed "type + id" layout would miss real clients.
import { DEVICE_ID_WILDCARD, parseDeviceId } from './device-id.js';
import { encodeFrame, type Frame, PacketType, stringTlv, Tag, type Tlv, u32Tlv, u8Tlv } from './packet.js';

export const DEVICE_TYPE_TUNER = 0x00000001;
export const DEVICE_TYPE_WILDCARD = 0xffffffff;

/** libhdhomerun's v2/v3 result structs: longer values arrive empty at the client (§3.4). */
export const MAX_BASE_URL = 28;
export const MAX_DEVICE_AUTH = 24;
export const MAX_LINEUP_URL = 127;

export interface DiscoverRequest {
  /** Requested device types (DEVICE_TYPE and MULTI_TYPE together); empty = no type tag. */
  readonly types: number[];
  /** Requested DeviceID, when the request names one (the wildcard included). */
  readonly deviceId?: number;
}

/**
 * The request carried by a decoded frame, or undefined when it is not a DISCOVER_REQ.
 * Like libhdhomerun, a DEVICE_TYPE/DEVICE_ID whose length is not 4 is ignored, and so is a
 * MULTI_TYPE whose length is not a multiple of 4.
 */
export function parseDiscoverRequest(frame: Frame): DiscoverRequest | undefined {
  if (frame.type !== PacketType.DISCOVER_REQ) return undefined;
  const types: number[] = [];
  let deviceId: number | undefined;
  for (const { tag, value } of frame.tlvs) {
    if (tag === Tag.DEVICE_TYPE && value.length === 4) types.push(value.readUInt32BE(0));
    else if (tag === Tag.DEVICE_ID && value.length === 4) deviceId = value.readUInt32BE(0);
    else if (tag === Tag.MULTI_TYPE && value.length % 4 === 0) {
      for (let i = 0; i < value.length; i += 4) types.push(value.readUInt32BE(i));
    }
  }
  return deviceId === undefined ? { types } : { types, deviceId };
}

/** Responder rule (§3.3): a tuner (or any type) is wanted, and no other device is named. */
export function shouldAnswer(req: DiscoverRequest, ourId: number): boolean {
  const typeOk =
    req.types.length === 0 || req.types.some((t) => t === DEVICE_TYPE_TUNER || t === DEVICE_TYPE_WILDCARD);
  const idOk =
    req.deviceId === undefined || req.deviceId === DEVICE_ID_WILDCARD || req.deviceId === ourId >>> 0;
  return typeOk && idOk;
}

export interface DiscoverReplyInfo {
  /** 8 hex digits or the 32-bit value. */
  readonly deviceId: string | number;
  /** 0–255 (sent as one byte). */
  readonly tunerCount: number;
  /** `http://<ip>:<port>`, no trailing slash. */
  readonly baseUrl: string;
  readonly lineupUrl: string;
  /** Omitted from the reply when empty. */
  readonly deviceAuth?: string;
}

/**
 * Values a libhdhomerun v2/v3 client will not see because they exceed its buffers.
 * They are still sent unchanged (a shortened URL would point somewhere wrong, while newer clients
 * read the full value); callers should warn about them once.
 */
export function oversizedReplyFields(info: DiscoverReplyInfo): string[] {
  const out: string[] = [];
  if (info.baseUrl.length > MAX_BASE_URL) out.push(`BaseURL longer than ${MAX_BASE_URL} characters`);
  if (info.lineupUrl.length > MAX_LINEUP_URL) out.push(`LineupURL longer than ${MAX_LINEUP_URL} characters`);
  if ((info.deviceAuth ?? '').length > MAX_DEVICE_AUTH)
    out.push(`DeviceAuth longer than ${MAX_DEVICE_AUTH} characters`);
  return out;
}

/** DISCOVER_RPY in the conventional TLV order of §3.4. Throws on an unusable ID or tuner count. */
export function buildDiscoverReply(info: DiscoverReplyInfo): Buffer {
  const id = parseDeviceId(info.deviceId);
  if (id === undefined) throw new RangeError(`invalid DeviceID ${String(info.deviceId)}`);
  if (!Number.isInteger(info.tunerCount) || info.tunerCount < 0 || info.tunerCount > 255) {
    throw new RangeError(`tuner count must be 0–255, got ${info.tunerCount}`);
  }
  const tlvs: Tlv[] = [
    u32Tlv(Tag.DEVICE_TYPE, DEVICE_TYPE_TUNER),
    u32Tlv(Tag.DEVICE_ID, id),
    u8Tlv(Tag.TUNER_COUNT, info.tunerCount),
    stringTlv(Tag.BASE_URL, info.baseUrl),
    stringTlv(Tag.LINEUP_URL, info.lineupUrl),
  ];
  if (info.deviceAuth) tlvs.push(stringTlv(Tag.DEVICE_AUTH_STR, info.deviceAuth));
  return encodeFrame(PacketType.DISCOVER_RPY, tlvs);
}
