// The device identity (DeviceID, UPnP UUID, DeviceAuth) is generated once and persisted in
// <dataDir>/identity.json: media servers key their tuner configuration on it, so a restart
// must never change it. Config overrides are applied on top and are not written back, so
// removing an override returns to the persisted identity.
import { randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { DeviceIdentity } from '../model.js';
import { generateDeviceId, isValidDeviceId } from '../hdhr/device-id.js';
import { readTextIfExists, writeJsonAtomic } from '../util/atomic-file.js';
import { isUuid, uuidForDeviceId } from './uuid.js';

export const IDENTITY_FILE = 'identity.json';
/** libhdhomerun's v2 discovery API keeps DeviceAuth in 25 bytes (24 chars + NUL). */
export const MAX_DEVICE_AUTH_LENGTH = 24;

export interface IdentityOverrides {
  /** 8 hex digits with a valid check digit. */
  deviceId?: string;
  /** ≤ 24 printable ASCII characters. */
  deviceAuth?: string;
}

export interface IdentityOptions {
  /** Receives the warning when a corrupt identity.json is set aside. */
  logger?: Logger;
}

const isDeviceAuth = (s: string): boolean => s.length <= MAX_DEVICE_AUTH_LENGTH && /^[\x21-\x7e]*$/.test(s);

function validateOverrides(o: IdentityOverrides): void {
  if (o.deviceId !== undefined && !isValidDeviceId(o.deviceId)) {
    throw new Error(
      `deviceId: "${o.deviceId}" is not a valid HDHomeRun DeviceID (8 hex digits with a valid check digit)`,
    );
  }
  if (o.deviceAuth !== undefined && !isDeviceAuth(o.deviceAuth)) {
    throw new Error(`deviceAuth: must be at most ${MAX_DEVICE_AUTH_LENGTH} printable ASCII characters`);
  }
}

/** Why a stored identity is unusable, or undefined when it is fine. */
function problemWith(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'not a JSON object';
  const r = v as Record<string, unknown>;
  if (typeof r.deviceId !== 'string' || !isValidDeviceId(r.deviceId)) return 'invalid deviceId';
  if (typeof r.uuid !== 'string' || !isUuid(r.uuid)) return 'invalid uuid';
  if (typeof r.deviceAuth !== 'string' || !isDeviceAuth(r.deviceAuth)) return 'invalid deviceAuth';
  return undefined;
}

function createIdentity(): DeviceIdentity {
  const deviceId = generateDeviceId();
  // 18 random bytes → 24 base64url chars: the size of a real DEVICE_AUTH_BIN rendered as text.
  return { deviceId, uuid: uuidForDeviceId(deviceId), deviceAuth: randomBytes(18).toString('base64url') };
}

async function readStored(file: string, logger?: Logger): Promise<DeviceIdentity | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  let parsed: unknown;
  let problem: string | undefined;
  try {
    parsed = JSON.parse(text);
    problem = problemWith(parsed);
  } catch {
    problem = 'not valid JSON';
  }
  if (!problem) {
    const r = parsed as DeviceIdentity;
    return { deviceId: r.deviceId.toUpperCase(), uuid: r.uuid, deviceAuth: r.deviceAuth };
  }
  // Keep the evidence (the user may want the old DeviceID back) and start afresh.
  const bad = `${file}.bad-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await rename(file, bad);
  logger?.warn(
    { file, keptAs: bad, reason: problem },
    'identity file is corrupt: kept a copy and created a new device identity (media servers will see a new tuner)',
  );
  return undefined;
}

/**
 * Load <dataDir>/identity.json, creating it on first run. Overrides are validated (an invalid
 * one throws an Error naming the field) and applied without being persisted. A corrupt file is
 * renamed to identity.json.bad-<time>, a warning is logged, and a new identity is created.
 * The uuid is a version-5 UUID derived from the DeviceID (see uuid.ts).
 */
export async function loadOrCreateIdentity(
  dataDir: string,
  overrides: IdentityOverrides = {},
  opts: IdentityOptions = {},
): Promise<DeviceIdentity> {
  validateOverrides(overrides);
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, IDENTITY_FILE);
  let stored = await readStored(file, opts.logger);
  if (!stored) {
    stored = createIdentity();
    // Written once, 0600 (the default): DeviceAuth is a credential.
    await writeJsonAtomic(file, { ...stored, createdAt: new Date().toISOString() }, { indent: 2 });
  }
  const deviceId = overrides.deviceId?.toUpperCase() ?? stored.deviceId;
  return {
    deviceId,
    uuid: deviceId === stored.deviceId ? stored.uuid : uuidForDeviceId(deviceId),
    deviceAuth: overrides.deviceAuth ?? stored.deviceAuth,
  };
}
