// Network allow-list matching: pure functions over addresses, no sockets. Addresses are compared as
// 128-bit BigInts; IPv4 (and IPv4-mapped IPv6, as Node reports on dual-stack sockets) maps into ::ffff:0:0/96.
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  readonly text: string;
  readonly base: bigint;
  readonly mask: bigint;
}

const ALL = (1n << 128n) - 1n;
const V4_PREFIX = 0xffffn << 32n;

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

/** 128-bit value of an IPv4/IPv6 address; IPv4 becomes ::ffff:a.b.c.d. Undefined when not an address. */
export function addressToBigInt(addr: string): bigint | undefined {
  const a = addr.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(a)) return V4_PREFIX | v4ToBig(a);
  if (!isIPv6(a)) return undefined;
  let text = a;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (isIPv4(maybeV4)) {
    const v = v4ToBig(maybeV4);
    tail = [v >> 16n, v & 0xffffn];
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head = '', rest] = text.split('::');
  const hs = head ? head.split(':') : [];
  const rs = rest === undefined ? [] : rest ? rest.split(':') : [];
  const fill = rest === undefined ? 0 : 8 - hs.length - rs.length;
  const groups = [...hs, ...Array<string>(fill).fill('0'), ...rs].map((g) => BigInt(parseInt(g, 16)));
  if (tail.length) groups.splice(6, 2, ...tail);
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parse "10.0.0.0/8", "192.168.1.5", "fd00::/8". Throws a message naming the bad entry. */
export function parseCidr(text: string): Cidr {
  const t = text.trim();
  const [addr = '', bitsText, extra] = t.split('/');
  const base = addressToBigInt(addr);
  if (base === undefined || extra !== undefined)
    throw new Error(`allowNetworks: "${text}" is not an address or CIDR`);
  const v4 = isIPv4(addr);
  const max = v4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!/^\d{1,3}$/.test(bitsText ?? String(max)) || bits > max)
    throw new Error(`allowNetworks: "${text}" has an invalid prefix length`);
  const prefix = v4 ? bits + 96 : bits;
  const mask = prefix === 0 ? 0n : (ALL >> BigInt(128 - prefix)) << BigInt(128 - prefix);
  return { text: t, base: base & mask, mask };
}

export function cidrContains(c: Cidr, addr: string): boolean {
  const v = addressToBigInt(addr);
  return v !== undefined && (v & c.mask) === c.base;
}
