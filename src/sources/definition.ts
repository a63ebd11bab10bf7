// One tuners/<id>.json file → a validated SourceDefinition, or problems naming file, field and
// reason. `${ENV_VAR}` references keep secrets out of the file; every secret is registered for
// redaction the moment it is read.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { registerSecret } from '../util/redact.js';

export interface Problem {
  /** Display path, e.g. `tuners/acme.json`. */
  readonly file: string;
  /** Field path, e.g. `password`, `filters.excludeNames[1]`; empty for the whole file. */
  readonly field: string;
  readonly reason: string;
  /** A warning does not stop the source from loading (e.g. an unknown field). */
  readonly warning?: boolean;
}

export interface SourceFilters {
  /** Group names (case-insensitive) or `/regex/` strings. Empty = all groups. */
  readonly includeGroups: readonly RegExp[];
  readonly excludeGroups: readonly RegExp[];
  /** Case-insensitive regexes on the stream name. */
  readonly includeNames: readonly RegExp[];
  readonly excludeNames: readonly RegExp[];
  /** Case-insensitive regexes on the stream URL. */
  readonly includeUrls: readonly RegExp[];
  readonly excludeUrls: readonly RegExp[];
}

interface CommonDefinition {
  /** File name without `.json`. */
  readonly id: string;
  /** Display path of the definition file, e.g. `tuners/acme.json`. */
  readonly definitionFile: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly priority: number;
  /** Configured limit; Xtream also caps it by the provider's max_connections. */
  readonly maxConnections?: number;
  readonly userAgent: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Milliseconds; undefined = the service default. */
  readonly refreshInterval?: number;
  readonly timeoutMs: number;
  readonly filters: SourceFilters;
  readonly epgUrls: readonly string[];
  readonly timeShiftMinutes: number;
  /** Ask the streaming core to pass this source's streams through the ffmpeg normaliser. */
  readonly normalise: boolean;
  /** Secret values of this definition, for redaction and for sealing the on-disk cache. */
  readonly secrets: readonly string[];
}

export interface XtreamDefinition extends CommonDefinition {
  readonly type: 'xtream';
  /** Panel base URL: scheme, host, port and sub-path, without `*.php`, query or trailing slash. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly output: 'ts' | 'm3u8';
}

export interface M3uDefinition extends CommonDefinition {
  readonly type: 'm3u';
  readonly url?: string;
  /** Local playlist path (absolute, or relative to the tuners directory). */
  readonly file?: string;
}

export type SourceDefinition = XtreamDefinition | M3uDefinition;

export const DEFAULT_USER_AGENT = 'VLC/3.0.20 LibVLC/3.0.20';
const KNOWN = new Set([
  'type',
  'name',
  'url',
  'file',
  'username',
  'password',
  'maxConnections',
  'priority',
  'enabled',
  'output',
  'userAgent',
  'headers',
  'refreshInterval',
  'filters',
  'epgUrl',
  'timeShiftMinutes',
  'normalise',
  'timeout',
  '$schema',
  'comment',
]);
const FILTER_KEYS = [
  'includeGroups',
  'excludeGroups',
  'includeNames',
  'excludeNames',
  'includeUrls',
  'excludeUrls',
] as const;
const ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/i;

export interface ParseResult {
  readonly definition?: SourceDefinition;
  readonly problems: readonly Problem[];
}

/**
 * Validate the JSON text of one definition file. `file` is the path (its base name gives the id),
 * `display` how to name it in problems.
 */
export function parseDefinition(
  text: string,
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  display = path.join(path.basename(path.dirname(file)), path.basename(file)),
): ParseResult {
  const problems: Problem[] = [];
  const fail = (field: string, reason: string) => problems.push({ file: display, field, reason });
  const id = path.basename(file).replace(/\.json$/i, '');
  if (!ID.test(id) || id === 'demo') {
    fail('', `file name must be letters, digits, "_", "-" or "." (and not "demo") to serve as the source id`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    fail('', `not valid JSON: ${(err as Error).message}`);
    return { problems };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail('', 'must be a JSON object');
    return { problems };
  }
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KNOWN.has(k))
      problems.push({ file: display, field: k, reason: 'unknown field (ignored)', warning: true });
  }

  const secrets: string[] = [];
  const keepSecret = (v: string) => {
    registerSecret(v);
    secrets.push(v);
  };
  const str = (field: string, required: boolean, secret = false): string | undefined => {
    const v = o[field];
    if (v === undefined || v === null || v === '') {
      if (required) fail(field, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      fail(field, 'must be a string');
      return undefined;
    }
    const out = expandEnv(v, env, (name) => fail(field, `environment variable ${name} is not set`));
    if (secret && out) keepSecret(out);
    return out;
  };

  const type = o.type;
  if (type !== 'xtream' && type !== 'm3u') fail('type', 'must be "xtream" or "m3u"');
  const name = str('name', false) ?? id;
  const enabled = bool(o.enabled, true, 'enabled', fail);
  const priority = int(o.priority, 100, 'priority', -1000, 1000, fail);
  const maxConnections =
    o.maxConnections === undefined ? undefined : int(o.maxConnections, 1, 'maxConnections', 1, 255, fail);
  const userAgent = str('userAgent', false) ?? DEFAULT_USER_AGENT;
  const headers = headerMap(o.headers, env, fail, keepSecret);
  const refreshInterval =
    o.refreshInterval === undefined ? undefined : duration(o.refreshInterval, 'refreshInterval', fail);
  const timeoutMs = (o.timeout === undefined ? 30 : int(o.timeout, 30, 'timeout', 1, 600, fail)) * 1000;
  const filters = parseFilters(o.filters, fail);
  const timeShiftMinutes =
    o.timeShiftMinutes === undefined ? 0 : int(o.timeShiftMinutes, 0, 'timeShiftMinutes', -1440, 1440, fail);
  const normalise = bool(o.normalise, false, 'normalise', fail);
  const epgUrls = urlList(o.epgUrl, env, fail);
  for (const u of epgUrls) urlSecrets(u).forEach(keepSecret);

  const common = {
    id,
    definitionFile: display,
    name,
    enabled,
    priority,
    maxConnections,
    userAgent,
    headers,
    refreshInterval,
    timeoutMs,
    filters,
    epgUrls,
    timeShiftMinutes,
    normalise,
    secrets,
  };

  if (type === 'xtream') {
    const rawUrl = str('url', true);
    let url: string | undefined;
    let fromUrl: { username?: string; password?: string } = {};
    if (rawUrl) {
      const n = normalizePanelUrl(rawUrl);
      if (!n) fail('url', 'must be an http(s) URL of the panel, e.g. http://provider.example:8080');
      else ({ url, credentials: fromUrl } = n);
    }
    // Users often paste a get.php/player_api.php URL that already carries the credentials.
    const username = str('username', !fromUrl.username, true) ?? fromUrl.username;
    const password = str('password', !fromUrl.password, true) ?? fromUrl.password;
    for (const s of [username, password]) if (s && !secrets.includes(s)) keepSecret(s);
    const output = o.output ?? 'ts';
    if (output !== 'ts' && output !== 'm3u8') fail('output', 'must be "ts" or "m3u8"');
    if (o.file !== undefined) fail('file', 'only m3u sources read a local file');
    if (problems.some((p) => !p.warning) || !url || !username || !password) return { problems };
    return {
      definition: { ...common, type, url, username, password, output: output as 'ts' | 'm3u8' },
      problems,
    };
  }

  const url = str('url', false);
  const localFile = str('file', false);
  if (!url && !localFile) fail('url', 'an m3u source needs "url" (playlist URL) or "file" (local playlist)');
  if (url && localFile) fail('file', 'give either "url" or "file", not both');
  if (url) {
    if (!/^https?:\/\//i.test(url)) fail('url', 'must be an http(s) URL (use "file" for a local playlist)');
    urlSecrets(url).forEach(keepSecret);
  }
  if (o.username !== undefined || o.password !== undefined)
    fail('username', 'm3u sources take credentials inside "url"');
  if (o.output !== undefined) fail('output', 'only xtream sources choose an output format');
  if (problems.some((p) => !p.warning) || type !== 'm3u') return { problems };
  const file2 = localFile ? path.resolve(path.dirname(file), localFile) : undefined;
  return { definition: { ...common, type, url, file: file2 }, problems };
}

/** Read every `*.json` in `dir`. Bad files are reported and left out; a missing dir is empty. */
export async function loadSourceDir(
  dir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ definitions: SourceDefinition[]; problems: Problem[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.json')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { definitions: [], problems: [] };
    throw err;
  }
  const definitions: SourceDefinition[] = [];
  const problems: Problem[] = [];
  for (const n of names) {
    const file = path.join(dir, n);
    const display = path.join(path.basename(dir), n);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push({
        file: display,
        field: '',
        reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`,
      });
      continue;
    }
    const r = parseDefinition(text, file, env, display);
    problems.push(...r.problems);
    if (r.definition) definitions.push(r.definition);
  }
  return { definitions, problems };
}

/** For `tunerbridge check`: every problem of every file in `dir`. */
export async function validateSourceDir(dir: string): Promise<Problem[]> {
  return (await loadSourceDir(dir)).problems;
}

/** Replace `${NAME}` with the environment value; report missing names. */
export function expandEnv(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
  missing: (name: string) => void,
): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) {
      missing(name);
      return '';
    }
    return v;
  });
}

/**
 * Xtream base URL normalisation (upstream-formats.md §1.1): drop a trailing `*.php` segment and the
 * query, keep any sub-path, drop the trailing slash. Credentials found in the query are returned.
 */
export function normalizePanelUrl(
  raw: string,
): { url: string; credentials: { username?: string; password?: string } } | undefined {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  const credentials = {
    username: u.searchParams.get('username') ?? undefined,
    password: u.searchParams.get('password') ?? undefined,
  };
  const p = u.pathname.replace(/\/[^/]*\.php$/i, '').replace(/\/+$/, '');
  return { url: `${u.protocol}//${u.host}${p}`, credentials };
}

/** Stable, non-reversible connection-limiter key for an Xtream account. */
export function xtreamAccountKey(panelUrl: string, username: string): string {
  const origin = new URL(panelUrl).origin.toLowerCase();
  return `xtream:${createHash('sha256').update(`${origin}\n${username}`).digest('hex').slice(0, 16)}`;
}

/** Credentials that an M3U or EPG URL carries (query parameters, user-info, Xtream path). */
export function urlSecrets(url: string): string[] {
  const out: string[] = [];
  try {
    const u = new URL(url);
    for (const k of ['username', 'password', 'user', 'pass', 'token', 'auth', 'key', 'api_key', 'apikey']) {
      const v = u.searchParams.get(k);
      if (v) out.push(v);
    }
    if (u.username) out.push(decodeURIComponent(u.username));
    if (u.password) out.push(decodeURIComponent(u.password));
  } catch {
    /* not a URL: nothing to extract */
  }
  return out.filter((s) => s.length >= 3);
}

type Fail = (field: string, reason: string) => void;

function bool(v: unknown, dflt: boolean, field: string, fail: Fail): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') fail(field, 'must be true or false');
  return v === true;
}

function int(v: unknown, dflt: number, field: string, min: number, max: number, fail: Fail): number {
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    fail(field, `must be an integer from ${min} to ${max}`);
    return dflt;
  }
  return n;
}

/** Seconds as a number, or `"90s"`, `"30m"`, `"6h"`, `"1d"`. At least one minute. */
function duration(v: unknown, field: string, fail: Fail): number | undefined {
  let ms: number | undefined;
  if (typeof v === 'number' && Number.isFinite(v)) ms = v * 1000;
  else if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$/i.exec(v);
    if (m) ms = Number(m[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[(m[2] ?? 's').toLowerCase() as 's']!;
  }
  if (ms === undefined || ms < 60_000) {
    fail(field, 'must be a duration of at least one minute: seconds, or "30m", "6h", "1d"');
    return undefined;
  }
  return ms;
}

function headerMap(
  v: unknown,
  env: Readonly<Record<string, string | undefined>>,
  fail: Fail,
  keepSecret: (v: string) => void,
): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    fail('headers', 'must be an object of header name → value');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k)) fail(`headers.${k}`, 'is not a valid header name');
    else if (typeof val !== 'string') fail(`headers.${k}`, 'must be a string');
    else {
      out[k] = expandEnv(val, env, (name) => fail(`headers.${k}`, `environment variable ${name} is not set`));
      if (/^(authorization|cookie|x-api-key)$/i.test(k)) keepSecret(out[k]);
    }
  }
  return out;
}

function urlList(v: unknown, env: Readonly<Record<string, string | undefined>>, fail: Fail): string[] {
  if (v === undefined || v === null || v === '') return [];
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  list.forEach((u, i) => {
    const field = Array.isArray(v) ? `epgUrl[${i}]` : 'epgUrl';
    if (typeof u !== 'string' || !/^https?:\/\//i.test(u)) return fail(field, 'must be an http(s) URL');
    out.push(expandEnv(u, env, (name) => fail(field, `environment variable ${name} is not set`)));
  });
  return out;
}

function parseFilters(v: unknown, fail: Fail): SourceFilters {
  const out: Record<string, RegExp[]> = {};
  for (const k of FILTER_KEYS) out[k] = [];
  if (v === undefined) return out as unknown as SourceFilters;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    fail('filters', `must be an object with any of ${FILTER_KEYS.join(', ')}`);
    return out as unknown as SourceFilters;
  }
  for (const [k, list] of Object.entries(v)) {
    if (!(FILTER_KEYS as readonly string[]).includes(k)) {
      fail(`filters.${k}`, `unknown filter (use ${FILTER_KEYS.join(', ')})`);
      continue;
    }
    const items = typeof list === 'string' ? [list] : list;
    if (!Array.isArray(items)) {
      fail(`filters.${k}`, 'must be a list of strings');
      continue;
    }
    items.forEach((item, i) => {
      if (typeof item !== 'string') return fail(`filters.${k}[${i}]`, 'must be a string');
      try {
        out[k]!.push(k.endsWith('Groups') ? groupPattern(item) : new RegExp(item, 'i'));
      } catch (err) {
        fail(`filters.${k}[${i}]`, `invalid regular expression: ${(err as Error).message}`);
      }
    });
  }
  return out as unknown as SourceFilters;
}

/** A group filter is an exact, case-insensitive name, or `/regex/flags`. */
function groupPattern(s: string): RegExp {
  const m = /^\/(.*)\/([a-z]*)$/.exec(s);
  if (m) return new RegExp(m[1]!, m[2]!.includes('i') ? m[2] : `${m[2]}i`);
  return new RegExp(`^${s.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'i');
}

/** True when an entry passes the source's filters. */
export function passesFilters(
  f: SourceFilters,
  name: string,
  group: string | undefined,
  url: string,
): boolean {
  const g = group ?? '';
  if (f.includeGroups.length > 0 && !f.includeGroups.some((r) => r.test(g))) return false;
  if (f.excludeGroups.some((r) => r.test(g))) return false;
  if (f.includeNames.length > 0 && !f.includeNames.some((r) => r.test(name))) return false;
  if (f.excludeNames.some((r) => r.test(name))) return false;
  if (f.includeUrls.length > 0 && !f.includeUrls.some((r) => r.test(url))) return false;
  if (f.excludeUrls.some((r) => r.test(url))) return false;
  return true;
}
