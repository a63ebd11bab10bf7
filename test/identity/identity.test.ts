import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLegacyDeviceId, isValidDeviceId } from '../../src/hdhr/device-id.js';
import { loadOrCreateIdentity } from '../../src/identity/identity.js';
import { isUuid, uuidForDeviceId, uuidV5 } from '../../src/identity/uuid.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tb-identity-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function captureLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

describe('uuid', () => {
  it('matches RFC 4122 v5 vectors computed independently (Python uuid.uuid5)', () => {
    // uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    expect(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
    // uuid.uuid5(UUID('ee4e0218-2d70-4861-8c91-939a9eefc598'), '1053C0CA')
    expect(uuidForDeviceId('1053c0ca')).toBe('7f1cb2d4-b3ee-5f79-ab79-ec7cf5abfc6f');
  });

  it('recognises canonical UUIDs only', () => {
    expect(isUuid('7f1cb2d4-b3ee-5f79-ab79-ec7cf5abfc6f')).toBe(true);
    expect(isUuid('7F1CB2D4-B3EE-5F79-AB79-EC7CF5ABFC6F')).toBe(false);
    expect(isUuid('1053C0CA')).toBe(false);
    expect(isUuid('7f1cb2d4-b3ee-5f79-7b79-ec7cf5abfc6f')).toBe(false); // bad variant
  });
});

describe('loadOrCreateIdentity', () => {
  it('creates a valid identity once and returns the same one on every later start', async () => {
    const dataDir = path.join(dir, 'nested', 'data');
    const first = await loadOrCreateIdentity(dataDir);
    expect(isValidDeviceId(first.deviceId)).toBe(true);
    expect(isLegacyDeviceId(first.deviceId)).toBe(false);
    expect(first.deviceId).toMatch(/^[0-9A-F]{8}$/);
    expect(first.uuid).toBe(uuidForDeviceId(first.deviceId));
    expect(first.deviceAuth.length).toBeGreaterThan(0);
    expect(first.deviceAuth.length).toBeLessThanOrEqual(24);

    const onDisk = JSON.parse(await readFile(path.join(dataDir, 'identity.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(onDisk).toMatchObject(first);

    const again = await loadOrCreateIdentity(dataDir);
    expect(again).toEqual(first);
    // atomic write leaves no temp files behind
    expect(await readdir(dataDir)).toEqual(['identity.json']);
  });

  it('two data dirs get different identities', async () => {
    const a = await loadOrCreateIdentity(path.join(dir, 'a'));
    const b = await loadOrCreateIdentity(path.join(dir, 'b'));
    expect(a.deviceAuth).not.toBe(b.deviceAuth);
    expect(a.uuid === b.uuid).toBe(a.deviceId === b.deviceId);
  });

  it('applies valid overrides without persisting them', async () => {
    const stored = await loadOrCreateIdentity(dir);
    const over = await loadOrCreateIdentity(dir, { deviceId: '1053c0ca', deviceAuth: 'abc' });
    expect(over).toEqual({
      deviceId: '1053C0CA',
      uuid: '7f1cb2d4-b3ee-5f79-ab79-ec7cf5abfc6f',
      deviceAuth: 'abc',
    });
    expect(await loadOrCreateIdentity(dir)).toEqual(stored);
  });

  it('rejects an invalid deviceId override, naming the field', async () => {
    for (const bad of ['12345678', '1053C0C', 'FFFFFFFF', 'zzzzzzzz']) {
      await expect(loadOrCreateIdentity(dir, { deviceId: bad })).rejects.toThrow(/^deviceId: /);
    }
    await expect(readdir(dir)).resolves.toEqual([]);
  });

  it('rejects a deviceAuth override longer than 24 characters', async () => {
    await expect(loadOrCreateIdentity(dir, { deviceAuth: 'x'.repeat(25) })).rejects.toThrow(/^deviceAuth: /);
    await expect(loadOrCreateIdentity(dir, { deviceAuth: 'x'.repeat(24) })).resolves.toBeDefined();
  });

  it.each([
    ['not JSON', '{"deviceId": "1053C0'],
    [
      'bad checksum',
      JSON.stringify({ deviceId: '12345678', uuid: uuidForDeviceId('12345678'), deviceAuth: 'a' }),
    ],
    ['bad uuid', JSON.stringify({ deviceId: '1053C0CA', uuid: '1053C0CA', deviceAuth: 'a' })],
    [
      'deviceAuth too long',
      JSON.stringify({ deviceId: '1053C0CA', uuid: uuidForDeviceId('1053C0CA'), deviceAuth: 'a'.repeat(30) }),
    ],
  ])('sets a corrupt file aside (%s), warns, and creates a new identity', async (_why, content) => {
    await writeFile(path.join(dir, 'identity.json'), content);
    const { logger, lines } = captureLogger();
    const id = await loadOrCreateIdentity(dir, {}, { logger });
    expect(isValidDeviceId(id.deviceId)).toBe(true);

    const files = await readdir(dir);
    const bad = files.filter((f) => f.startsWith('identity.json.bad-'));
    expect(bad).toHaveLength(1);
    expect(await readFile(path.join(dir, bad[0]!), 'utf8')).toBe(content);
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes('corrupt'))).toBe(true);
    expect(await loadOrCreateIdentity(dir)).toEqual(id);
  });
});
