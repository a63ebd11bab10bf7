// RFC 4122 name-based UUIDs (version 5, SHA-1). The UPnP UDN is derived from the DeviceID so that
// the two identities can never disagree, and reinstalling with the same DeviceID keeps the UDN.
import { createHash } from 'node:crypto';

/** tunerbridge's own namespace (a random v4 UUID chosen once; never change it). */
export const TUNERBRIDGE_UUID_NAMESPACE = 'ee4e0218-2d70-4861-8c91-939a9eefc598';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Canonical lower-case 8-4-4-4-12 form with an RFC 4122 variant and a version 1–8. */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** Version-5 UUID of `name` (UTF-8) in `namespace`. */
export function uuidV5(name: string, namespace: string = TUNERBRIDGE_UUID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`invalid UUID namespace: ${namespace}`);
  const b = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The UDN (without `uuid:`) for a DeviceID. */
export function uuidForDeviceId(deviceId: string): string {
  return uuidV5(deviceId.toUpperCase());
}
