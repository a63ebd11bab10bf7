// The BaseURL clients must use. An explicit `baseUrl` setting wins (reverse proxies); then the configured
// advertise address; otherwise the local address the request arrived on — the one address we know the
// client can reach (advertising a Docker-bridge or VPN address is a classic emulator bug).

export interface BaseUrlConfig {
  readonly baseUrl?: string;
  readonly advertiseAddress?: string;
  readonly port: number;
}

export function hostForUrl(address: string): string {
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  return plain.includes(':') ? `[${plain}]` : plain;
}

export function baseUrlFor(cfg: BaseUrlConfig, localAddress: string | undefined): string {
  if (cfg.baseUrl) return cfg.baseUrl.replace(/\/+$/, '');
  const host = cfg.advertiseAddress || (localAddress ? hostForUrl(localAddress) : '127.0.0.1');
  return `http://${host}:${cfg.port}`;
}
