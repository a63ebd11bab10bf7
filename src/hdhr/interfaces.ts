// Which local IPv4 address to advertise to a given requester. Node's dgram does not say which
// local address a datagram arrived on, so it is inferred from subnets (reference §3.5).
import type { NetworkInterfaceInfo } from 'node:os';

export type InterfaceMap = NodeJS.Dict<NetworkInterfaceInfo[]>;

export interface LocalAddress {
  readonly name: string;
  readonly address: string;
  readonly netmask: string;
  readonly internal: boolean;
}

function ipv4ToInt(ip: string): number | undefined {
  const m = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** `a` and `b` are in the same subnet under `netmask`. */
export function sameSubnet(a: string, b: string, netmask: string): boolean {
  const x = ipv4ToInt(a);
  const y = ipv4ToInt(b);
  const m = ipv4ToInt(netmask);
  if (x === undefined || y === undefined || m === undefined) return false;
  return (x & m) >>> 0 === (y & m) >>> 0;
}

/** Every IPv4 address of the host, in `os.networkInterfaces()` order. */
export function localIpv4(interfaces: InterfaceMap): LocalAddress[] {
  const out: LocalAddress[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const i of infos ?? []) {
      if (i.family === 'IPv4')
        out.push({ name, address: i.address, netmask: i.netmask, internal: i.internal });
    }
  }
  return out;
}

/**
 * `allowed` lists interface names or IPv4 addresses. An empty list allows every interface
 * (loopback included, so local tools such as `hdhomerun_config discover 127.0.0.1` work).
 */
export function isAllowed(a: LocalAddress, allowed: readonly string[]): boolean {
  return allowed.length === 0 || allowed.includes(a.name) || allowed.includes(a.address);
}

/**
 * Addresses to advertise on (SSDP): allowed non-loopback addresses, plus loopback ones only when
 * named explicitly (advertising on loopback reaches no one but ourselves and local tests).
 */
export function advertisedAddresses(interfaces: InterfaceMap, allowed: readonly string[]): LocalAddress[] {
  return localIpv4(interfaces).filter((a) =>
    a.internal ? allowed.includes(a.name) || allowed.includes(a.address) : isAllowed(a, allowed),
  );
}

/**
 * Host for the BaseURL given to `requesterIp`, or undefined to stay silent:
 * 1. the requester is on a local subnet → the first allowed address of that subnet
 *    (none allowed → undefined: the request came in on an interface we must not serve);
 * 2. otherwise (routed requester) → `advertiseAddress`, else the first allowed non-loopback address.
 */
export function chooseBaseHost(
  requesterIp: string,
  interfaces: InterfaceMap,
  allowed: readonly string[],
  advertiseAddress?: string,
): string | undefined {
  const local = localIpv4(interfaces);
  // Loopback always exists even when an injected/odd interface map omits it.
  if (!local.some((a) => a.address.startsWith('127.'))) {
    local.push({ name: 'lo', address: '127.0.0.1', netmask: '255.0.0.0', internal: true });
  }
  const onLink = local.filter((a) => sameSubnet(a.address, requesterIp, a.netmask));
  if (onLink.length > 0) return onLink.find((a) => isAllowed(a, allowed))?.address;
  if (ipv4ToInt(requesterIp) === undefined) return undefined;
  return advertiseAddress ?? local.find((a) => !a.internal && isAllowed(a, allowed))?.address;
}
