// XMLTV times: `YYYYMMDDhhmmss` or an initial substring of it, optionally followed by a zone
// (`+0100`, `-04:00`, or a name like `BST`). No zone means UTC (DTD; Jellyfin and Dispatcharr agree).
import { detach } from './strings.js';

const TIME =
  /^\s*(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:([+-])(\d{2}):?(\d{2})|([A-Za-z]{1,5}))?\s*$/;

// Zone names seen in real feeds. Unknown names are read as UTC, as the DTD leaves them undefined.
const NAMED_ZONES: Readonly<Record<string, number>> = {
  UTC: 0,
  UT: 0,
  GMT: 0,
  Z: 0,
  WET: 0,
  BST: 60,
  WEST: 60,
  CET: 60,
  CEST: 120,
  MET: 60,
  MEST: 120,
  EET: 120,
  EEST: 180,
  MSK: 180,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
  AKST: -540,
  AKDT: -480,
  HST: -600,
  JST: 540,
  KST: 540,
  AEST: 600,
  AEDT: 660,
  ACST: 570,
  AWST: 480,
  NZST: 720,
  NZDT: 780,
};

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** Two decimal digits at `i` (validated by the caller). */
const two = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/** The common full form `YYYYMMDDhhmmss ±hhmm` without a regex (millions of calls per guide). */
function parseFull(s: string): number | undefined {
  if (s.length !== 20 || s.charCodeAt(14) !== 32) return undefined;
  const sign = s.charCodeAt(15);
  if (sign !== 43 && sign !== 45) return undefined;
  for (let i = 0; i < 20; i++) {
    if (i === 14) i = 16;
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const year = two(s, 0) * 100 + two(s, 2);
  const month = two(s, 4);
  const day = two(s, 6);
  const h = two(s, 8);
  const mi = two(s, 10);
  const se = two(s, 12);
  const off = (sign === 45 ? -1 : 1) * (two(s, 16) * 60 + two(s, 18));
  if (month < 1 || month > 12 || day < 1 || day > 31 || h > 24 || mi > 59 || se > 60) return undefined;
  return daysFromCivil(year, month, day) * 86_400_000 + ((h * 60 + mi - off) * 60 + se) * 1000;
}

// Guides repeat the same times across channels (the same slots): a lookup is cheaper than
// parsing. Bounded; only the full form is cached.
const parsed = new Map<string, number>();

/** Epoch ms of an XMLTV time, or undefined when it is not one. */
export function parseXmltvTime(s: string): number | undefined {
  let fast = parsed.get(s);
  if (fast !== undefined) return fast;
  fast = parseFull(s);
  if (fast !== undefined) {
    if (parsed.size >= 50_000) parsed.clear();
    // `s` is usually a slice of a whole decoded chunk: key a copy.
    parsed.set(detach(s), fast);
    return fast;
  }
  const m = TIME.exec(s);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = m[2] ? Number(m[2]) : 1;
  const day = m[3] ? Number(m[3]) : 1;
  const hour = m[4] ? Number(m[4]) : 0;
  const min = m[5] ? Number(m[5]) : 0;
  const sec = m[6] ? Number(m[6]) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || min > 59 || sec > 60) return undefined;
  let offsetMin = 0;
  if (m[7]) {
    offsetMin = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  } else if (m[10]) {
    offsetMin = NAMED_ZONES[m[10].toUpperCase()] ?? 0;
  }
  return Date.UTC(year, month - 1, day, hour, min, sec) - offsetMin * 60_000;
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

// Programme boundaries repeat across thousands of channels (whole hours), so formatted
// strings are memoised; the cache is dropped when it grows, which keeps it bounded.
const cache = new Map<number, string>();

// In front of the map, a direct-mapped cache by minute: no hashing for the common hit.
const SLOTS = 1024;
const slotMs = new Float64Array(SLOTS).fill(NaN);
const slotText: string[] = new Array<string>(SLOTS).fill('');

/** `YYYYMMDDhhmmss +0000` (always UTC, always with the zone, as clients parse it best). */
export function formatXmltvTime(ms: number): string {
  const slot = (ms / 60_000) & (SLOTS - 1);
  if (slotMs[slot] === ms) return slotText[slot] as string;
  let s = cache.get(ms);
  if (s === undefined) s = formatUncached(ms);
  slotMs[slot] = ms;
  slotText[slot] = s;
  return s;
}

function formatUncached(ms: number): string {
  const d = new Date(ms);
  const s =
    d.getUTCFullYear() +
    pad2(d.getUTCMonth() + 1) +
    pad2(d.getUTCDate()) +
    pad2(d.getUTCHours()) +
    pad2(d.getUTCMinutes()) +
    pad2(d.getUTCSeconds()) +
    ' +0000';
  if (cache.size >= 50_000) cache.clear();
  cache.set(ms, s);
  return s;
}

/**
 * `YYYY-MM-DD hh:mm:ss` as Xtream panels write it (server-local time), shifted by `offsetMinutes`
 * (the server's UTC offset, when known). Undefined for anything else.
 */
export function parseXtreamLocalTime(s: string, offsetMinutes = 0): number | undefined {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*$/.exec(s);
  if (!m) return undefined;
  const t = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? 0),
  );
  return Number.isNaN(t) ? undefined : t - offsetMinutes * 60_000;
}
