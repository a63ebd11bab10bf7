// SSDP message building and parsing (UPnP Device Architecture 1.1 §1), pure over strings/Buffers.
import { MEDIA_SERVER_TYPE } from './device-xml.js';

export const SSDP_GROUP = '239.255.255.250';
export const SSDP_PORT = 1900;
export const ROOT_DEVICE = 'upnp:rootdevice';

/** One advertised notification type and its unique service name. */
export interface Advertisement {
  readonly nt: string;
  readonly usn: string;
}

/** Root device, bare UDN, and MediaServer:1 (reference §7.1). `uuid` has no `uuid:` prefix. */
export function advertisementsFor(uuid: string): Advertisement[] {
  const udn = `uuid:${uuid}`;
  return [
    { nt: ROOT_DEVICE, usn: `${udn}::${ROOT_DEVICE}` },
    { nt: udn, usn: udn },
    { nt: MEDIA_SERVER_TYPE, usn: `${udn}::${MEDIA_SERVER_TYPE}` },
  ];
}

export interface SsdpMessage {
  /** Request method (`M-SEARCH`, `NOTIFY`) upper-cased, or `RESPONSE` for a status line. */
  readonly method: string;
  /** Header names upper-cased; values trimmed. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Parse one datagram; undefined when it is not an HTTPU message. */
export function parseSsdp(buf: Buffer): SsdpMessage | undefined {
  const text = buf.toString('latin1');
  const lines = text.split(/\r?\n/);
  const start = lines.shift() ?? '';
  let method: string;
  if (/^HTTP\/1\.[01] \d{3}/i.test(start)) method = 'RESPONSE';
  else {
    const m = /^([A-Z-]+) \S+ HTTP\/1\.[01]$/i.exec(start.trim());
    if (!m) return undefined;
    method = m[1]!.toUpperCase();
  }
  const headers: Record<string, string> = {};
  for (const line of lines) {
    if (line === '') break;
    const i = line.indexOf(':');
    if (i <= 0) continue;
    headers[line.slice(0, i).trim().toUpperCase()] = line.slice(i + 1).trim();
  }
  return { method, headers };
}

export type SearchCheck = { ok: true; st: string; mx: number } | { ok: false; reason: string };

/**
 * A well-formed M-SEARCH: MAN "ssdp:discover" and ST are required; MX is required for multicast
 * searches only (UDA 1.1 allows unicast searches without it). MX is capped at 5 as UDA says.
 */
export function checkSearch(msg: SsdpMessage, multicast: boolean): SearchCheck {
  if (msg.method !== 'M-SEARCH') return { ok: false, reason: 'not an M-SEARCH' };
  if (msg.headers.MAN?.replace(/"/g, '') !== 'ssdp:discover') return { ok: false, reason: 'missing MAN' };
  const st = msg.headers.ST?.replace(/^"(.*)"$/, '$1');
  if (!st) return { ok: false, reason: 'missing ST' };
  const mxText = msg.headers.MX;
  const mx = mxText === undefined ? 0 : Number.parseInt(mxText, 10);
  if (multicast && (mxText === undefined || !Number.isFinite(mx) || mx < 0))
    return { ok: false, reason: 'bad MX' };
  return { ok: true, st, mx: Number.isFinite(mx) ? Math.min(Math.max(mx, 0), 5) : 0 };
}

/** The advertisements answering a search target, each with the ST to put in its response. */
export function matchSearch(st: string, ads: readonly Advertisement[]): { st: string; usn: string }[] {
  if (st === 'ssdp:all') return ads.map((a) => ({ st: a.nt, usn: a.usn }));
  return ads.filter((a) => a.nt === st).map((a) => ({ st, usn: a.usn }));
}

export interface CommonFields {
  readonly location: string;
  /** SERVER header: `OS/version UPnP/1.1 product/version`. */
  readonly server: string;
  /** Seconds. */
  readonly maxAge: number;
}

const message = (startLine: string, headers: [string, string][]): Buffer =>
  Buffer.from(`${startLine}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1');

export function buildNotifyAlive(
  ad: Advertisement,
  f: CommonFields,
  host = `${SSDP_GROUP}:${SSDP_PORT}`,
): Buffer {
  return message('NOTIFY * HTTP/1.1', [
    ['HOST', host],
    ['CACHE-CONTROL', `max-age=${f.maxAge}`],
    ['LOCATION', f.location],
    ['NT', ad.nt],
    ['NTS', 'ssdp:alive'],
    ['SERVER', f.server],
    ['USN', ad.usn],
  ]);
}

export function buildNotifyByebye(ad: Advertisement, host = `${SSDP_GROUP}:${SSDP_PORT}`): Buffer {
  return message('NOTIFY * HTTP/1.1', [
    ['HOST', host],
    ['NT', ad.nt],
    ['NTS', 'ssdp:byebye'],
    ['USN', ad.usn],
  ]);
}

export function buildSearchResponse(match: { st: string; usn: string }, f: CommonFields, date: Date): Buffer {
  return message('HTTP/1.1 200 OK', [
    ['CACHE-CONTROL', `max-age=${f.maxAge}`],
    ['DATE', date.toUTCString()],
    ['EXT', ''],
    ['LOCATION', f.location],
    ['SERVER', f.server],
    ['ST', match.st],
    ['USN', match.usn],
  ]);
}
