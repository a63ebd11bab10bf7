// Text values of the tuner variables: parsing what clients set and formatting what they read,
// in the shapes libhdhomerun and TVHeadend use. Pure functions.
import { channelByNumber, type ChannelMapName } from './channel-maps.js';

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

// ---- channel ----

export interface Tune {
  /** As the client sent it (auto, auto6t, qam256, a8qam256-6900, …), lower-case. */
  readonly modulation: string;
  readonly frequency: number;
}

/** Values below this are physical channel numbers of the tuner's channel map, not Hz. */
const CHANNEL_NUMBER_LIMIT = 1000;
const MIN_HZ = 40_000_000;
const MAX_HZ = 1_100_000_000;

/** `none`, `<modulation>:<Hz>`, `<modulation>:<channel>` or a bare number (auto). */
export function parseChannel(text: string, map: ChannelMapName): Parsed<Tune | null> {
  const s = text.trim().toLowerCase();
  if (s === 'none') return ok(null);
  const m = /^(?:([a-z0-9]+(?:-\d+)?):)?(\d{1,10})$/.exec(s);
  if (!m) return fail('ERROR: invalid channel');
  const modulation = m[1] ?? 'auto';
  const n = Number(m[2]);
  if (n < CHANNEL_NUMBER_LIMIT) {
    const c = channelByNumber(map, n);
    return c ? ok({ modulation, frequency: c.frequency }) : fail('ERROR: invalid channel');
  }
  if (n < MIN_HZ || n > MAX_HZ) return fail('ERROR: invalid channel');
  return ok({ modulation, frequency: n });
}

export const formatTune = (t: Tune | null): string => (t ? `${t.modulation}:${t.frequency}` : 'none');

/** What a locked demodulator reports for a request: an explicit modulation, else the map's. */
export function lockModulation(requested: string, fallback: '8vsb' | 'qam256'): string {
  if (requested.includes('qam256')) return 'qam256';
  if (requested.includes('qam64')) return 'qam64';
  if (requested.includes('8vsb') || /^auto\dt$/.test(requested)) return '8vsb';
  return fallback;
}

/** Nominal payload rate of a locked mux, bit/s. */
export function nominalBitrate(lock: string): number {
  return lock === '8vsb' ? 19_392_658 : lock === 'qam64' ? 26_970_350 : 38_810_700;
}

// ---- PID filter ----

export const PID_COUNT = 0x2000;

/** A PID set as 8192 flags. */
export type PidSet = Uint8Array;

export function allPids(): PidSet {
  return new Uint8Array(PID_COUNT).fill(1);
}

/** `0x0000-0x1fff 0x1ffb …` (hex or decimal, ranges inclusive); empty text = no PIDs. */
export function parseFilter(text: string): Parsed<PidSet> {
  const set = new Uint8Array(PID_COUNT);
  for (const token of text.trim().split(/\s+/)) {
    if (token === '') continue;
    const m = /^(0x[0-9a-f]{1,4}|\d{1,4})(?:-(0x[0-9a-f]{1,4}|\d{1,4}))?$/i.exec(token);
    if (!m) return fail('ERROR: invalid pid filter');
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > 0x1fff || b > 0x1fff || b < a) return fail('ERROR: invalid pid filter');
    set.fill(1, a, b + 1);
  }
  return ok(set);
}

export function formatFilter(set: PidSet): string {
  const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
  const out: string[] = [];
  for (let p = 0; p < PID_COUNT; p++) {
    if (!set[p]) continue;
    let q = p;
    while (q + 1 < PID_COUNT && set[q + 1]) q++;
    out.push(p === q ? hex(p) : `${hex(p)}-${hex(q)}`);
    p = q;
  }
  return out.join(' ');
}

// ---- target ----

export interface Target {
  readonly protocol: 'udp' | 'rtp';
  readonly host: string;
  readonly port: number;
}

/** `udp://ip:port`, `rtp://ip:port`, plain `ip:port` (UDP) or `none`. IPv4 only, as on the device. */
export function parseTarget(text: string): Parsed<Target | null> {
  const s = text.trim().toLowerCase();
  if (s === 'none') return ok(null);
  const m = /^(?:(udp|rtp):\/\/)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})\/?$/.exec(s);
  if (!m) return fail('ERROR: invalid target');
  const octets = [m[2], m[3], m[4], m[5]].map(Number);
  const port = Number(m[6]);
  if (octets.some((o) => o > 255) || port === 0 || port > 65535) return fail('ERROR: invalid target');
  return ok({ protocol: (m[1] ?? 'udp') as 'udp' | 'rtp', host: octets.join('.'), port });
}

export const formatTarget = (t: Target | null): string =>
  t ? `${t.protocol}://${t.host}:${t.port}` : 'none';

// ---- read-only reports ----

export interface TunerReport {
  readonly tune: Tune | null;
  /** Demodulator lock (modulation name) or undefined when there is no signal. */
  readonly lock?: string;
  readonly bps: number;
  readonly pps: number;
}

/** `/tunerN/status`: libhdhomerun treats ss ≥ 35 as signal present and lock ≠ none as locked. */
export function formatStatus(r: TunerReport): string {
  const q = r.lock ? 100 : 0;
  return `ch=${formatTune(r.tune)} lock=${r.lock ?? 'none'} ss=${q} snq=${q} seq=${q} bps=${r.bps} pps=${r.pps}`;
}

export interface StreamInfoProgram {
  readonly program: number;
  readonly guideNumber: string;
  readonly name: string;
  /** The program's upstream could not be opened (tuners or connections exhausted, no source). */
  readonly noData?: boolean;
}

/**
 * `/tunerN/streaminfo`: one `<program>: <virtual number> <name>` line per program, then the
 * TSID. Every line ends in a newline (libhdhomerun's scan ignores an unterminated last line).
 */
export function formatStreamInfo(programs: readonly StreamInfoProgram[], tsid: number | undefined): string {
  if (tsid === undefined) return 'none\n';
  const lines = programs.map(
    (p) => `${p.program}: ${p.guideNumber} ${oneLine(p.name)}${p.noData ? ' (no data)' : ''}\n`,
  );
  return `${lines.join('')}tsid=0x${tsid.toString(16).toUpperCase().padStart(4, '0')}\n`;
}

/** `/tunerN/vstatus`, in the shape libhdhomerun parses (vch=, name=, auth=, cci=, cgms=). */
export function formatVstatus(v: { guideNumber: string; name: string } | undefined): string {
  if (!v) return 'vch=none';
  return `vch=${v.guideNumber} name=${oneLine(v.name).replace(/\s+/g, '_')} auth=unspecified cci=unrestricted cgms=unrestricted`;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\0]+/g, ' ').trim();
}

/** The packets of `packets` (188-aligned) whose PID is in `set`; the input itself when all pass. */
export function applyFilter(packets: Buffer, set: PidSet): Buffer {
  let drop = 0;
  for (let off = 0; off + 188 <= packets.length; off += 188) {
    if (!set[((packets[off + 1]! & 0x1f) << 8) | packets[off + 2]!]) drop++;
  }
  if (drop === 0) return packets;
  const out = Buffer.allocUnsafe(packets.length - drop * 188);
  let n = 0;
  for (let off = 0; off + 188 <= packets.length; off += 188) {
    if (set[((packets[off + 1]! & 0x1f) << 8) | packets[off + 2]!]) n += packets.copy(out, n, off, off + 188);
  }
  return out.subarray(0, n);
}
