// Xtream per-stream EPG (`get_short_epg` / `get_simple_data_table`) → programmes.
// Shapes vary by panel (upstream-formats §1.5): titles and descriptions are usually base64,
// sometimes plain; the end time may be `end` or `stop`, and `end` may even hold a Unix
// timestamp; `epg_listings` may be an array, an object keyed by stream id, or the root may be
// a bare array. Unix timestamps are preferred; local-time strings are the fallback.
import { parseXtreamLocalTime } from './xmltv-time.js';
import type { Programme } from './types.js';

const B64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Decode standard or URL-safe base64, padded or not. Returns the input unchanged when it is not
 * base64 or does not decode to valid UTF-8 (some panels send plain text).
 */
export function decodeBase64Lenient(s: string): string {
  const t = s.trim();
  if (!t || t.length % 4 === 1 || !B64.test(t)) return s;
  const buf = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!buf.length) return s;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    // Plain words that happen to be valid base64 ("News", "Film") decode to control bytes.
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text) ? s : text;
  } catch {
    return s;
  }
}

export interface ShortEpgOptions {
  /** Channel id to put on the programmes. */
  readonly channel: string;
  /** Minutes added to every time (GuideInput.timeShiftMinutes). */
  readonly timeShiftMinutes?: number;
  /** The panel's UTC offset in minutes, for local-time strings when no timestamp is given. */
  readonly serverOffsetMinutes?: number;
}

export interface ShortEpgResult {
  readonly programmes: Programme[];
  /** Listings dropped and why (no credentials: nothing from the request is included). */
  readonly problems: string[];
}

function listings(json: unknown): unknown[] | undefined {
  if (Array.isArray(json)) return json;
  if (!json || typeof json !== 'object') return undefined;
  const l = (json as Record<string, unknown>).epg_listings;
  if (Array.isArray(l)) return l;
  if (l && typeof l === 'object') return Object.values(l).flatMap((v) => (Array.isArray(v) ? v : [v]));
  return undefined;
}

function unix(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{9,11}\s*$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n * 1000 : undefined;
}

/** The timestamp field if usable, else the first of `fields` holding a timestamp or a local time. */
function pickTime(
  l: Record<string, unknown>,
  offsetMin: number,
  ts: string,
  ...fields: string[]
): number | undefined {
  const direct = unix(l[ts]);
  if (direct !== undefined) return direct;
  for (const f of fields) {
    const v = l[f];
    const t = unix(v) ?? (typeof v === 'string' ? parseXtreamLocalTime(v, offsetMin) : undefined);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** Parse a get_short_epg / get_simple_data_table response. Never throws. */
export function parseShortEpg(json: unknown, opts: ShortEpgOptions): ShortEpgResult {
  const list = listings(json);
  const problems: string[] = [];
  if (!list) return { programmes: [], problems: ['response has no epg_listings'] };
  const shift = (opts.timeShiftMinutes ?? 0) * 60_000;
  const offset = opts.serverOffsetMinutes ?? 0;
  const programmes: Programme[] = [];
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    const l = item as Record<string, unknown>;
    const start = pickTime(l, offset, 'start_timestamp', 'start');
    const stop = pickTime(l, offset, 'stop_timestamp', 'stop', 'end');
    const title = typeof l.title === 'string' ? decodeBase64Lenient(l.title).trim() : '';
    if (start === undefined || stop === undefined || stop <= start || !title) {
      if (problems.length < 5) problems.push(`listing dropped: ${!title ? 'no title' : 'bad times'}`);
      continue;
    }
    const desc = typeof l.description === 'string' ? decodeBase64Lenient(l.description).trim() : '';
    const lang = typeof l.lang === 'string' && /^[a-z]{2,3}$/i.test(l.lang) ? l.lang : undefined;
    programmes.push({
      channel: opts.channel,
      start: start + shift,
      stop: stop + shift,
      titles: [lang ? { text: title, lang } : { text: title }],
      ...(desc ? { descs: [lang ? { text: desc, lang } : { text: desc }] } : {}),
    });
  }
  programmes.sort((a, b) => a.start - b.start);
  return { programmes, problems };
}
