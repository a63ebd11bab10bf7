import { describe, expect, it } from 'vitest';
import { addressToBigInt, cidrContains, parseCidr } from '../../src/api/cidr.js';

describe('addresses and CIDRs', () => {
  it('maps IPv4, IPv4-mapped IPv6 and IPv6 forms to the same 128-bit values', () => {
    expect(addressToBigInt('192.168.1.5')).toBe(0xffffc0a80105n);
    expect(addressToBigInt('::ffff:192.168.1.5')).toBe(0xffffc0a80105n);
    expect(addressToBigInt('::ffff:c0a8:105')).toBe(0xffffc0a80105n);
    expect(addressToBigInt('::1')).toBe(1n);
    expect(addressToBigInt('fe80::1%eth0')).toBe((0xfe80n << 112n) | 1n);
    expect(addressToBigInt('2001:db8::8:800:200c:417a')).toBe(0x20010db80000000000080800200c417an);
  });

  it('matches networks, including /0 and single hosts', () => {
    const lan = parseCidr('192.168.1.0/24');
    expect(cidrContains(lan, '192.168.1.200')).toBe(true);
    expect(cidrContains(lan, '::ffff:192.168.1.7')).toBe(true);
    expect(cidrContains(lan, '192.168.2.1')).toBe(false);
    expect(cidrContains(lan, 'fd00::1')).toBe(false);
    expect(cidrContains(parseCidr('10.1.2.3'), '10.1.2.3')).toBe(true);
    expect(cidrContains(parseCidr('10.1.2.3'), '10.1.2.4')).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0'), '8.8.8.8')).toBe(true);
    expect(cidrContains(parseCidr('0.0.0.0/0'), '2001:db8::1')).toBe(false);
    expect(cidrContains(parseCidr('fd00::/8'), 'fdab::1')).toBe(true);
    expect(cidrContains(parseCidr('fd00::/8'), 'fe80::1')).toBe(false);
    expect(cidrContains(lan, 'not-an-ip')).toBe(false);
  });

  it('rejects malformed entries with a message naming them', () => {
    for (const bad of [
      '192.168.1.0/33',
      '192.168.1/24',
      '10.0.0.0/8/1',
      'fd00::/129',
      'lan',
      '10.0.0.0/-1',
      '',
    ]) {
      expect(() => parseCidr(bad), bad).toThrow(/allowNetworks: ".*"/);
    }
  });
});
