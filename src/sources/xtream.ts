// Xtream Codes client: player_api.php authentication, live categories and live streams, with a
// clear outcome for every failure real panels produce (upstream-formats.md §1.2, §1.11): auth 0,
// expired/banned/disabled lines, HTML or plain text with 200, 401/403/404, 454/458/461/512/513/884,
// 5xx, redirects, timeouts. Numbers may arrive as strings and ids stay strings.
import type { XtreamDefinition } from './definition.js';
import { passesFilters } from './definition.js';
import { upstreamGet } from './http.js';
import { asSourceError } from './m3u.js';
import {
  SourceError,
  type ProviderInfo,
  type RefreshProgress,
  type SourceEntry,
  type SourceSnapshot,
} from './types.js';
import { redact } from '../util/redact.js';

/** The account as the provider reports it. */
export interface XtreamAccount extends ProviderInfo {
  readonly allowedFormats: readonly string[];
  /** Provider clock minus ours, ms (from server_info.timestamp_now). */
  readonly clockSkewMs?: number;
  readonly timezone?: string;
}

const XC_ERRORS =
  /\b(INVALID_CREDENTIALS|EXPIRED|BANNED|DISABLED|BLOCKED_USER_AGENT|EMPTY_USER_AGENT|NOT_IN_ALLOWED_UAS|NOT_IN_ALLOWED_IPS|NOT_IN_ALLOWED_COUNTRY|ISP_BLOCKED|ASN_BLOCKED|USER_ALREADY_CONNECTED|USER_DISALLOW_EXT|NOT_IN_BOUQUET|DOWNLOAD_LIMIT_REACHED|TOKEN_EXPIRED|LB_TOKEN_INVALID|IP_MISMATCH)\b/;

export class XtreamClient {
  private readonly where: string;

  constructor(private readonly def: XtreamDefinition) {
    this.where = def.definitionFile;
  }

  /** player_api.php with credentials (for the guide's get_short_epg). Never log it. */
  playerApiUrl(): string {
    return `${this.def.url}/player_api.php?${this.credQuery()}`;
  }

  xmltvUrl(): string {
    return `${this.def.url}/xmltv.php?${this.credQuery()}`;
  }

  streamUrl(streamId: string, ext: 'ts' | 'm3u8'): string {
    const u = encodeURIComponent(this.def.username);
    const p = encodeURIComponent(this.def.password);
    return `${this.def.url}/live/${u}/${p}/${encodeURIComponent(streamId)}.${ext}`;
  }

  /** Authenticate; resolves only when the line is usable (auth 1, not expired/banned/disabled). */
  async authenticate(signal?: AbortSignal): Promise<XtreamAccount> {
    const body = await this.call({}, 'authentication', signal);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw this.fail(
        'provider answered JSON without user_info (not a player_api answer)',
        'format',
        'no-user-info',
      );
    }
    const o = body as Record<string, unknown>;
    const ui = o.user_info;
    if (typeof ui !== 'object' || ui === null || Array.isArray(ui)) {
      const err = typeof o.error === 'string' ? `: ${redact(o.error).slice(0, 200)}` : '';
      throw this.fail(`provider answered JSON without user_info${err}`, 'auth', 'no-user-info');
    }
    const u = ui as Record<string, unknown>;
    const status = typeof u.status === 'string' ? u.status : undefined;
    const authed = u.auth === 1 || u.auth === '1' || u.auth === true;
    const statusProblem = status && !/^active$/i.test(status) ? status.toLowerCase() : undefined;
    if (!authed || statusProblem) {
      if (statusProblem && ['expired', 'banned', 'disabled'].includes(statusProblem)) {
        throw this.fail(`account is ${statusProblem} (status "${status}")`, 'auth', statusProblem);
      }
      if (!authed)
        throw this.fail('provider rejected the username or password (auth: 0)', 'auth', 'auth-rejected');
      throw this.fail(`account status is "${redact(status ?? '')}", not Active`, 'auth', 'status');
    }
    const expSec = flexInt(u.exp_date);
    const expires = expSec ? new Date(expSec * 1000).toISOString() : undefined;
    if (expSec && expSec * 1000 < Date.now()) {
      throw this.fail(`account expired on ${expires!.slice(0, 10)}`, 'auth', 'expired');
    }
    const si = (typeof o.server_info === 'object' && o.server_info) || {};
    const now = flexInt((si as Record<string, unknown>).timestamp_now);
    const formats = Array.isArray(u.allowed_output_formats)
      ? u.allowed_output_formats.filter((f): f is string => typeof f === 'string').map((f) => f.toLowerCase())
      : [];
    const max = flexInt(u.max_connections);
    const tz = (si as Record<string, unknown>).timezone;
    return {
      status: status ?? 'Active',
      maxConnections: max && max > 0 ? max : undefined,
      activeConnections: flexInt(u.active_cons),
      expires,
      allowedFormats: formats,
      message: typeof u.message === 'string' && u.message ? redact(u.message).slice(0, 200) : undefined,
      clockSkewMs: now ? now * 1000 - Date.now() : undefined,
      timezone: typeof tz === 'string' ? tz : undefined,
    };
  }

  /** category_id → category_name. */
  async liveCategories(signal?: AbortSignal): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const c of asList(await this.call({ action: 'get_live_categories' }, 'live categories', signal))) {
      const id = flexId(c.category_id);
      if (id !== undefined && typeof c.category_name === 'string') out.set(id, c.category_name);
    }
    return out;
  }

  /** Raw live-stream objects (array, or an object keyed by id on some panels). */
  async liveStreams(signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    return asList(await this.call({ action: 'get_live_streams' }, 'live streams', signal));
  }

  private credQuery(): string {
    return new URLSearchParams({ username: this.def.username, password: this.def.password }).toString();
  }

  private async call(params: Record<string, string>, what: string, signal?: AbortSignal): Promise<unknown> {
    const url = `${this.def.url}/player_api.php?${this.credQuery()}${params.action ? `&action=${params.action}` : ''}`;
    let text: string;
    let status: number;
    try {
      const res = await upstreamGet({
        url,
        headers: { 'User-Agent': this.def.userAgent, Accept: 'application/json', ...this.def.headers },
        timeoutMs: this.def.timeoutMs,
        signal,
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const e = asSourceError(this.where, err);
      throw new SourceError(`${e.message} (${what})`, e.kind, e.status, e.code);
    }
    const excerpt = redact(text.slice(0, 500));
    if (status < 200 || status > 299) throw this.httpFailure(status, text, excerpt);
    const head = text.trimStart().slice(0, 1);
    if (head === '<') {
      const code = XC_ERRORS.exec(text)?.[1];
      throw this.fail(
        `provider answered HTML with status ${status} (not a player_api JSON)${code ? `: ${code}` : ''}`,
        code ? 'auth' : 'provider',
        'html',
        status,
        excerpt,
      );
    }
    if (head !== '{' && head !== '[') {
      const word = /^\s*(blocked|forbidden|access denied|unauthorized|expired|banned)/i.exec(text)?.[1];
      if (word)
        throw this.fail(`provider answered "${word}" instead of JSON`, 'auth', 'blocked', status, excerpt);
      throw this.fail(
        `provider answered something that is not JSON (${what})`,
        'format',
        'not-json',
        status,
        excerpt,
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      throw this.fail(`provider answered malformed JSON (${what})`, 'format', 'bad-json', status, excerpt);
    }
  }

  private httpFailure(status: number, body: string, excerpt: string): SourceError {
    const html = /^\s*</.test(body) ? ' (HTML page)' : '';
    const code = XC_ERRORS.exec(body)?.[1];
    const tail = code ? `: ${code}` : '';
    const f = (msg: string, kind: SourceError['kind'], c: string) =>
      this.fail(msg + tail, kind, c, status, excerpt);
    if (status === 401 || status === 403)
      return f(`provider refused access (HTTP ${status})${html}`, 'auth', 'refused');
    if (status === 404) {
      return f(
        `provider answered HTTP 404${html}: wrong username/password, expired or banned line, blocked User-Agent, or wrong panel URL`,
        'auth',
        'not-found',
      );
    }
    if (status === 458) return f('account is at its connection limit (HTTP 458)', 'provider', 'over-limit');
    if (status === 461) {
      return f(
        'provider rejected the User-Agent (HTTP 461): set "userAgent" in the source',
        'auth',
        'user-agent',
      );
    }
    if (status === 429) return f('provider is rate-limiting requests (HTTP 429)', 'provider', 'rate-limited');
    if (status === 454 || status === 512 || status === 513) {
      return f(`provider refused the line (HTTP ${status}, non-standard)`, 'auth', 'refused');
    }
    if (status >= 500 && status <= 599)
      return f(`provider server error (HTTP ${status})`, 'provider', 'server-error');
    return f(
      `provider answered HTTP ${status}${status >= 600 ? ' (non-standard)' : ''}${html}`,
      'provider',
      'http-status',
    );
  }

  private fail(
    msg: string,
    kind: SourceError['kind'],
    code: string,
    status?: number,
    excerpt?: string,
  ): SourceError {
    return new SourceError(`${this.where}: ${msg}`, kind, status, code, excerpt);
  }
}

export interface XtreamReadOptions {
  readonly signal?: AbortSignal;
  /** Called after each phase (authentication, categories, streams). */
  readonly onProgress?: (p: RefreshProgress) => void;
}

/** Authenticate, then read categories and live streams into a snapshot. */
export async function readXtreamSource(
  def: XtreamDefinition,
  opts: XtreamReadOptions = {},
): Promise<SourceSnapshot> {
  const client = new XtreamClient(def);
  const account = await client.authenticate(opts.signal);
  opts.onProgress?.({ entries: 0, fraction: 0.1 });
  const warnings: string[] = [];
  let ext = def.output;
  if (account.allowedFormats.length > 0 && !account.allowedFormats.includes(ext)) {
    const other = ext === 'ts' ? 'm3u8' : 'ts';
    if (account.allowedFormats.includes(other)) {
      warnings.push(`output "${ext}" is not allowed for this line; using "${other}"`);
      ext = other;
    }
  }
  let categories = new Map<string, string>();
  try {
    categories = await client.liveCategories(opts.signal);
  } catch (err) {
    warnings.push(`categories unavailable: ${(err as Error).message}`);
  }
  opts.onProgress?.({ entries: 0, fraction: 0.2 });
  const raw = await client.liveStreams(opts.signal);
  opts.onProgress?.({ entries: 0, fraction: 0.9 });
  const entries: SourceEntry[] = [];
  const seen = new Set<string>();
  const headers: Record<string, string> = { 'User-Agent': def.userAgent, ...def.headers };
  let skipped = 0;
  for (const s of raw) {
    const id = flexId(s.stream_id);
    const type = typeof s.stream_type === 'string' ? s.stream_type : 'live';
    // Radio has no picture for an HDHomeRun client; VOD does not belong in a live lineup.
    if (id === undefined || /radio|movie|series/i.test(type)) {
      skipped++;
      continue;
    }
    // A stream in several categories is listed once per category: it passes if any listing passes.
    if (seen.has(id)) continue;
    const name = (typeof s.name === 'string' ? s.name.trim() : '') || `Stream ${id}`;
    const catId =
      flexId(s.category_id) ?? (Array.isArray(s.category_ids) ? flexId(s.category_ids[0]) : undefined);
    const group = catId !== undefined ? categories.get(catId) : undefined;
    const url = client.streamUrl(id, ext);
    if (!passesFilters(def.filters, name, group, url)) {
      skipped++;
      continue;
    }
    seen.add(id);
    const epg = typeof s.epg_channel_id === 'string' ? s.epg_channel_id.trim() : '';
    const logo =
      typeof s.stream_icon === 'string' && /^https?:\/\//i.test(s.stream_icon) ? s.stream_icon : undefined;
    const num = flexInt(s.num);
    entries.push({
      streamId: id,
      name,
      url,
      epgId: epg || undefined,
      logo,
      group,
      number: num !== undefined ? String(num) : undefined,
      headers,
      kind: ext === 'ts' ? 'ts' : 'hls',
    });
  }
  opts.onProgress?.({ entries: entries.length, fraction: 1 });
  return { entries, tvgUrls: [], provider: account, skipped, warnings };
}

/** Number or numeric string → number; `""`, `null`, `"N/A"` → undefined. */
export function flexInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Math.trunc(Number(v));
  return undefined;
}

/** Ids stay strings (some exceed 2^31; some arrive as numbers). */
export function flexId(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  return undefined;
}

function asList(v: unknown): Record<string, unknown>[] {
  const list = Array.isArray(v) ? v : typeof v === 'object' && v !== null ? Object.values(v) : [];
  return list.filter(
    (x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x),
  );
}
