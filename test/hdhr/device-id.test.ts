import { describe, expect, it } from 'vitest';
import {
  completeDeviceId,
  formatDeviceId,
  generateDeviceId,
  hasValidChecksum,
  isLegacyDeviceId,
  isValidDeviceId,
  parseDeviceId,
} from '../../src/hdhr/device-id.js';

describe('DeviceID checksum (reference §4.1 table)', () => {
  it('accepts 1053C0CA, as string (any case) and as number', () => {
    expect(isValidDeviceId('1053C0CA')).toBe(true);
    expect(isValidDeviceId('1053c0ca')).toBe(true);
    expect(isValidDeviceId(0x1053c0ca)).toBe(true);
  });

  it('rejects 12345678 and completes its prefix to 12345674', () => {
    expect(isValidDeviceId('12345678')).toBe(false);
    expect(formatDeviceId(completeDeviceId(0x1234567))).toBe('12345674');
    expect(isValidDeviceId('12345674')).toBe(true);
  });

  it('FFFFFFFF has a valid checksum but is the wildcard, so not a device ID; nor is 0', () => {
    expect(hasValidChecksum(0xffffffff)).toBe(true);
    expect(isValidDeviceId('FFFFFFFF')).toBe(false);
    expect(isValidDeviceId(0)).toBe(false);
  });

  it('completes 1053C0C to 1053C0CA, and the top prefix without going negative', () => {
    expect(completeDeviceId(0x1053c0c)).toBe(0x1053c0ca);
    const top = completeDeviceId(0x0fffffff);
    expect(top).toBeGreaterThan(0xfffffff0);
    expect(hasValidChecksum(top)).toBe(true);
  });

  it('catches every single-digit typo of a valid ID', () => {
    const good = '1053C0CA';
    for (let pos = 0; pos < 8; pos++) {
      for (let d = 0; d < 16; d++) {
        const digit = d.toString(16).toUpperCase();
        if (digit === good[pos]) continue;
        const typo = good.slice(0, pos) + digit + good.slice(pos + 1);
        expect(isValidDeviceId(typo), typo).toBe(false);
      }
    }
  });

  it('requires exactly 8 hex digits', () => {
    for (const bad of ['1053C0C', '01053C0CA', '1053C0CG', ' 1053C0CA', '0x1053C0', '']) {
      expect(parseDeviceId(bad), bad).toBeUndefined();
      expect(isValidDeviceId(bad), bad).toBe(false);
    }
    expect(parseDeviceId(-1)).toBeUndefined();
    expect(parseDeviceId(2 ** 32)).toBeUndefined();
    expect(parseDeviceId(1.5)).toBeUndefined();
    expect(() => completeDeviceId(0x10000000)).toThrow(RangeError);
  });

  it('formats as 8 upper-case hex digits', () => {
    expect(formatDeviceId(0x1053c0ca)).toBe('1053C0CA');
    expect(formatDeviceId(0xabc)).toBe('00000ABC');
  });
});

describe('legacy prefixes (reference §4.2)', () => {
  it.each([
    ['1010C032', true],
    ['10200001', true],
    ['10300002', true],
    ['11100003', true],
    ['12100004', true],
    ['12200005', true],
    ['1003FFFF', true],
    ['10040000', false],
    ['12020000', true],
    ['12030000', false],
    ['1053C0CA', false],
    ['10700000', false],
  ])('%s legacy=%s', (id, legacy) => {
    expect(isLegacyDeviceId(id)).toBe(legacy);
  });
});

describe('generateDeviceId', () => {
  it('builds 105 + four nibbles from the random source + check digit', () => {
    expect(generateDeviceId(() => 0)).toBe(formatDeviceId(completeDeviceId(0x1050000)));
    expect(generateDeviceId(() => 0.5).slice(0, 7)).toBe('1058000');
    expect(generateDeviceId(() => 0.9999999).slice(0, 7)).toBe('105FFFF');
  });

  it('always yields valid, non-legacy, upper-case IDs that differ between calls', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = generateDeviceId();
      expect(id).toMatch(/^105[0-9A-F]{5}$/);
      expect(isValidDeviceId(id)).toBe(true);
      expect(isLegacyDeviceId(id)).toBe(false);
      seen.add(id);
    }
    expect(seen.size).toBeGreaterThan(150);
  });
});
