import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { advertisedAddresses, chooseBaseHost, sameSubnet } from '../../src/hdhr/interfaces.js';

function v4(address: string, netmask: string, internal = false): NetworkInterfaceInfo {
  return { address, netmask, family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: null };
}
const v6: NetworkInterfaceInfo = {
  address: 'fe80::1',
  netmask: 'ffff:ffff:ffff:ffff::',
  family: 'IPv6',
  mac: '00:00:00:00:00:00',
  internal: false,
  cidr: null,
  scopeid: 2,
};

const host = {
  lo: [v4('127.0.0.1', '255.0.0.0', true)],
  eth0: [v4('192.168.1.50', '255.255.255.0'), v6],
  docker0: [v4('172.17.0.1', '255.255.0.0')],
  wlan0: [v4('10.0.0.7', '255.255.252.0')],
};

describe('chooseBaseHost', () => {
  it('picks the address of the subnet the requester is on', () => {
    expect(chooseBaseHost('192.168.1.20', host, [])).toBe('192.168.1.50');
    expect(chooseBaseHost('10.0.3.200', host, [])).toBe('10.0.0.7');
    expect(chooseBaseHost('172.17.5.5', host, [])).toBe('172.17.0.1');
  });

  it('answers loopback requesters with 127.0.0.1, even when the map has no loopback', () => {
    expect(chooseBaseHost('127.0.0.1', host, [])).toBe('127.0.0.1');
    expect(chooseBaseHost('127.0.0.1', { eth0: host.eth0 }, [])).toBe('127.0.0.1');
    expect(chooseBaseHost('127.0.0.1', host, ['eth0', 'lo'])).toBe('127.0.0.1');
  });

  it('ignores requesters on a subnet whose interface is not allowed (by name or by address)', () => {
    expect(chooseBaseHost('172.17.0.2', host, ['eth0'])).toBeUndefined();
    expect(chooseBaseHost('127.0.0.1', host, ['eth0'])).toBeUndefined();
    expect(chooseBaseHost('192.168.1.20', host, ['192.168.1.50'])).toBe('192.168.1.50');
    expect(chooseBaseHost('10.0.0.9', host, ['192.168.1.50'])).toBeUndefined();
  });

  it('for routed requesters uses advertiseAddress, else the first allowed non-loopback address', () => {
    expect(chooseBaseHost('8.8.8.8', host, [], 'tuner.lan')).toBe('tuner.lan');
    expect(chooseBaseHost('8.8.8.8', host, [])).toBe('192.168.1.50');
    expect(chooseBaseHost('8.8.8.8', host, ['wlan0'])).toBe('10.0.0.7');
    expect(chooseBaseHost('8.8.8.8', host, ['lo'])).toBeUndefined();
  });

  it('prefers the allowed one of two interfaces sharing a subnet', () => {
    const veth = { tb1: [v4('198.18.0.2', '255.255.255.0')], tb0: [v4('198.18.0.1', '255.255.255.0')] };
    expect(chooseBaseHost('198.18.0.2', veth, ['tb0'])).toBe('198.18.0.1');
    expect(chooseBaseHost('198.18.0.2', veth, ['198.18.0.1'])).toBe('198.18.0.1');
  });

  it('handles IPv4-mapped requesters and rejects garbage', () => {
    expect(chooseBaseHost('::ffff:192.168.1.9', host, [])).toBe('192.168.1.50');
    expect(chooseBaseHost('not-an-ip', host, [])).toBeUndefined();
    expect(sameSubnet('1.2.3.4', '1.2.3.999', '255.255.255.0')).toBe(false);
  });
});

describe('advertisedAddresses', () => {
  it('lists allowed IPv4 addresses, loopback only when named', () => {
    const addrs = (allowed: string[]) => advertisedAddresses(host, allowed).map((a) => a.address);
    expect(addrs([])).toEqual(['192.168.1.50', '172.17.0.1', '10.0.0.7']);
    expect(addrs(['eth0'])).toEqual(['192.168.1.50']);
    expect(addrs(['eth0', 'lo'])).toEqual(['127.0.0.1', '192.168.1.50']);
    expect(addrs(['127.0.0.1', '10.0.0.7'])).toEqual(['127.0.0.1', '10.0.0.7']);
  });
});
