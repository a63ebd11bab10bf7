// HDHomeRun DeviceID rules (libhdhomerun's checksum and "legacy" prefixes).
// A DeviceID is a 32-bit integer shown as 8 upper-case hex digits; the last nibble is a check
// digit so that typos are caught. The same ID must appear in UDP discovery, /discover.json and
// the control protocol.
import { randomInt } from 'node:crypto';

/** libhdhomerun's nibble substitution table (index = nibble value). */
const T = [0xa, 0x5, 0xf, 0x6, 0x7, 0xc, 0x1, 0xb, 0x9, 0x2, 0x8, 0xd, 0x4, 0x3, 0xe, 0x0] as const;

/** Wildcard used in discovery requests; never a real device. */
export const DEVICE_ID_WILDCARD = 0xffffffff;

/** Prefix of generated IDs: not in any legacy range, so clients treat us as an HTTP-capable model. */
const GENERATED_PREFIX = 0x105;

const nibble = (n: number, i: number): number => (n >>> (28 - 4 * i)) & 0xf;

/** XOR of the first seven (substituted) nibbles: what the eighth must equal. */
function checkNibble(id: number): number {
  return (
    T[nibble(id, 0)]! ^
    nibble(id, 1) ^
    T[nibble(id, 2)]! ^
    nibble(id, 3) ^
    T[nibble(id, 4)]! ^
    nibble(id, 5) ^
    T[nibble(id, 6)]!
  );
}

/**
 * Parse user/config input: exactly 8 hex digits (libhdhomerun's rule), or a uint32 number.
 * Returns undefined for anything else. Does not check the checksum.
 */
export function parseDeviceId(id: number | string): number | undefined {
  if (typeof id === 'number') return Number.isInteger(id) && id >= 0 && id <= 0xffffffff ? id : undefined;
  return /^[0-9a-fA-F]{8}$/.test(id) ? Number.parseInt(id, 16) : undefined;
}

/** True when the check digit matches (the wildcard passes too; see isValidDeviceId). */
export function hasValidChecksum(id: number): boolean {
  return (id & 0xf) === checkNibble(id);
}

/**
 * A usable DeviceID: 8 hex digits (or a uint32) with a valid check digit, and neither 0
 * (skipped by hdhomerun_config) nor the wildcard 0xFFFFFFFF.
 */
export function isValidDeviceId(id: number | string): boolean {
  const n = parseDeviceId(id);
  return n !== undefined && n !== 0 && n !== DEVICE_ID_WILDCARD && hasValidChecksum(n);
}

/** Append the check digit to a 7-nibble prefix (0 … 0x0FFFFFFF). */
export function completeDeviceId(prefix7: number): number {
  if (!Number.isInteger(prefix7) || prefix7 < 0 || prefix7 > 0x0fffffff) {
    throw new RangeError(`DeviceID prefix must be 7 hex digits, got ${String(prefix7)}`);
  }
  const shifted = prefix7 * 16; // not `<< 4`: that would go negative above 0x07FFFFFF
  return shifted + checkNibble(shifted);
}

/**
 * A fresh DeviceID: 0x105, four random nibbles, check digit. `random` returns [0, 1) like
 * Math.random (injectable for tests); the default uses crypto.randomInt.
 */
export function generateDeviceId(random?: () => number): string {
  const middle = random ? Math.min(0xffff, Math.max(0, Math.floor(random() * 0x10000))) : randomInt(0x10000);
  return formatDeviceId(completeDeviceId(GENERATED_PREFIX * 0x10000 + middle));
}

/**
 * IDs libhdhomerun (and Channels DVR) consider old non-HTTP hardware, judged by the top 12 bits.
 * Invalid input is not legacy.
 */
export function isLegacyDeviceId(id: number | string): boolean {
  const n = parseDeviceId(id);
  if (n === undefined) return false;
  switch (n >>> 20) {
    case 0x100:
      return n < 0x10040000;
    case 0x120:
      return n < 0x12030000;
    case 0x101:
    case 0x102:
    case 0x103:
    case 0x111:
    case 0x121:
    case 0x122:
      return true;
    default:
      return false;
  }
}

/** 8 upper-case hex digits, zero-padded. */
export function formatDeviceId(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}
