// A fake Xtream Codes panel on 127.0.0.1:0 for integration tests. It behaves like the panels in
// the field (see shared/reference/upstream-formats.md Part 1): string/number quirks, auth failures
// in every shape, connection limits, redirects to a "load balancer" with a token, slow headers.
// Tests mutate `state` between requests to change the catalogue or inject faults.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How one endpoint misbehaves. All fields are optional and combine. */
export interface Fault {
  /** Answer with this HTTP status (e.g. 401, 404, 454, 458, 884). */
  status?: number;
  /** Body to send instead of the real answer (e.g. an nginx 404 page, `blocked`). */
  body?: string;
  contentType?: string;
  /** Shorthand: HTTP 200 with an HTML debug page naming an XC error code. */
  html200?: string;
  /** Wait this long before sending headers (timeouts). */
  delayMs?: number;
  /** Send headers, then stall this long before the body. */
  bodyDelayMs?: number;
  /** Drop the connection without an answer. */
  destroy?: boolean;
}

export interface FakeEpgItem {
  title: string;
  description?: string;
  /** Unix seconds. */
  start: number;
  stop: number;
}

export interface StreamInfo {
  username: string;
  password: string;
  streamId: string;
  ext: string;
}

export interface FakeProviderOptions {
  username?: string;
  password?: string;
  /** Raw objects sent as-is by get_live_categories. */
  categories?: unknown[];
  /** Raw objects sent as-is by get_live_streams (quirks included). */
  streams?: Record<string, unknown>[];
  /** user_info overrides: auth, status, exp_date, max_connections, active_cons, allowed_output_formats… */
  userInfo?: Record<string, unknown>;
  /** Replace the whole authentication answer (e.g. `{}` or `[]`). */
  authBody?: unknown;
  /** XMLTV document served by xmltv.php. */
  xmltv?: string;
  /** EPG listings by stream id, for get_short_epg / get_simple_data_table. */
  epg?: Record<string, FakeEpgItem[]>;
  /** get.php body; default: an m3u_plus playlist generated from `streams`. */
  m3u?: string;
  /** Faults per endpoint: `player_api` (any action), `player_api:<action>`, `get.php`, `xmltv.php`, `live`. */
  faults?: Record<string, Fault>;
  /** player_api.php and get.php answer 302 to /lb/… with a token first (load-balancer hop). */
  redirectWithToken?: boolean;
  /** /live/… answer 302 to /sauth/ID.ext?token=… first, like XC panels. */
  streamRedirect?: boolean;
  /** Refuse /live/… opens beyond max_connections with this status (default: no enforcement). */
  overLimitStatus?: number;
  /** Only this User-Agent is accepted (others get 461, as some providers do). */
  requireUserAgent?: string;
  /** Serves /live/… requests; default: 200 video/mp2t with a few null TS packets. */
  onStream?: (req: http.IncomingMessage, res: http.ServerResponse, info: StreamInfo) => void;
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly userAgent?: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly time: number;
}

export interface FakeProviderState extends Required<Pick<FakeProviderOptions, 'username' | 'password'>> {
  categories: unknown[];
  streams: Record<string, unknown>[];
  userInfo: Record<string, unknown>;
  authBody?: unknown;
  xmltv?: string;
  epg: Record<string, FakeEpgItem[]>;
  m3u?: string;
  faults: Record<string, Fault>;
  redirectWithToken: boolean;
  streamRedirect: boolean;
  overLimitStatus?: number;
  requireUserAgent?: string;
  onStream?: FakeProviderOptions['onStream'];
  /** Every request received, oldest first. */
  requests: RequestRecord[];
  /** /live/… responses currently open. */
  activeStreams: number;
}

export interface FakeProvider {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly state: FakeProviderState;
  close(): Promise<void>;
}

const NGINX_404 =
  '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** A few MPEG-TS null packets: enough for a client to see a 200 video/mp2t answer. */
function nullPackets(count: number): Buffer {
  const buf = Buffer.alloc(188 * count, 0xff);
  for (let i = 0; i < count; i++) buf.set([0x47, 0x1f, 0xff, 0x10], i * 188);
  return buf;
}

export function defaultUserInfo(username: string, password: string): Record<string, unknown> {
  return {
    username,
    password,
    message: 'Welcome',
    auth: 1,
    status: 'Active',
    exp_date: '4102444800',
    is_trial: '0',
    active_cons: '0',
    created_at: '1519083710',
    max_connections: '2',
    allowed_output_formats: ['m3u8', 'ts', 'rtmp'],
  };
}

export async function startFakeProvider(opts: FakeProviderOptions = {}): Promise<FakeProvider> {
  const username = opts.username ?? 'user';
  const password = opts.password ?? 'pass';
  const state: FakeProviderState = {
    username,
    password,
    categories: opts.categories ?? [],
    streams: opts.streams ?? [],
    userInfo: { ...defaultUserInfo(username, password), ...opts.userInfo },
    authBody: opts.authBody,
    xmltv: opts.xmltv,
    epg: opts.epg ?? {},
    m3u: opts.m3u,
    faults: opts.faults ?? {},
    redirectWithToken: opts.redirectWithToken ?? false,
    streamRedirect: opts.streamRedirect ?? false,
    overLimitStatus: opts.overLimitStatus,
    requireUserAgent: opts.requireUserAgent,
    onStream: opts.onStream,
    requests: [],
    activeStreams: 0,
  };
  const tokens = new Map<string, StreamInfo | null>();
  let tokenSeq = 0;
  let base = '';

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(u.searchParams);
    state.requests.push({
      method: req.method ?? 'GET',
      path: u.pathname,
      query,
      userAgent: req.headers['user-agent'],
      headers: req.headers,
      time: Date.now(),
    });
    void route(req, res, u, query).catch(() => res.destroy());
  });

  async function route(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    u: URL,
    query: Record<string, string>,
  ): Promise<void> {
    if (state.requireUserAgent !== undefined && req.headers['user-agent'] !== state.requireUserAgent) {
      return send(res, 461, 'text/plain', 'User-Agent not allowed');
    }
    let path = u.pathname;
    if (path.startsWith('/lb/')) {
      if (!tokens.has(query.token ?? '')) return send(res, 403, 'text/html', '<html>EC: 4004</html>');
      path = path.slice(3);
    }
    if (path === '/player_api.php') {
      if (state.redirectWithToken && !u.pathname.startsWith('/lb/')) return redirectLb(res, u);
      const action = query.action ?? '';
      if (await applyFault(res, `player_api:${action}`)) return;
      if (await applyFault(res, 'player_api')) return;
      return playerApi(res, query);
    }
    if (path === '/get.php') {
      if (state.redirectWithToken && !u.pathname.startsWith('/lb/')) return redirectLb(res, u);
      if (await applyFault(res, 'get.php')) return;
      if (!credsOk(query)) return send(res, 404, 'text/html', NGINX_404);
      return send(
        res,
        200,
        'audio/x-mpegurl',
        state.m3u ?? playlist(query.output === 'm3u8' ? 'm3u8' : 'ts'),
      );
    }
    if (path === '/xmltv.php') {
      if (await applyFault(res, 'xmltv.php')) return;
      if (!credsOk(query)) return send(res, 404, 'text/html', NGINX_404);
      if (state.xmltv === undefined) return send(res, 404, 'text/html', NGINX_404);
      return send(res, 200, 'application/xml; charset=utf-8', state.xmltv);
    }
    const live = /^\/(?:live\/)?([^/]+)\/([^/]+)\/([^/.]+)(?:\.(\w+))?$/.exec(path);
    const sauth = /^\/sauth\/([^/.]+)\.(\w+)$/.exec(path);
    if (sauth) {
      const info = tokens.get(query.token ?? '');
      if (!info) return send(res, 403, 'text/html', '<html>EC: 4004</html>');
      tokens.delete(query.token ?? '');
      return serveStream(req, res, info);
    }
    if (live) {
      const info: StreamInfo = {
        username: decodeURIComponent(live[1]!),
        password: decodeURIComponent(live[2]!),
        streamId: live[3]!,
        ext: live[4] ?? 'ts',
      };
      if (info.username !== state.username || info.password !== state.password) {
        return send(res, 404, 'text/html', NGINX_404);
      }
      if (await applyFault(res, 'live')) return;
      if (state.streamRedirect) {
        const token = `t${++tokenSeq}`;
        tokens.set(token, info);
        res.writeHead(302, { location: `${base}/sauth/${info.streamId}.${info.ext}?token=${token}` });
        return void res.end();
      }
      return serveStream(req, res, info);
    }
    send(res, 404, 'text/html', NGINX_404);
  }

  function redirectLb(res: http.ServerResponse, u: URL): void {
    const token = `lb${++tokenSeq}`;
    tokens.set(token, null);
    const q = new URLSearchParams(u.search);
    q.set('token', token);
    res.writeHead(302, { location: `${base}/lb${u.pathname}?${q.toString()}` });
    res.end();
  }

  function serveStream(req: http.IncomingMessage, res: http.ServerResponse, info: StreamInfo): void {
    const limit = Number(state.userInfo.max_connections);
    if (state.overLimitStatus !== undefined && Number.isFinite(limit) && state.activeStreams >= limit) {
      return send(res, state.overLimitStatus, 'text/html', '<html>USER_ALREADY_CONNECTED</html>');
    }
    state.activeStreams++;
    let counted = true;
    const release = () => {
      if (counted) state.activeStreams--;
      counted = false;
    };
    res.on('close', release);
    if (state.onStream) return state.onStream(req, res, info);
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    res.end(nullPackets(10));
  }

  function credsOk(query: Record<string, string>): boolean {
    return query.username === state.username && query.password === state.password;
  }

  async function applyFault(res: http.ServerResponse, name: string): Promise<boolean> {
    const f = state.faults[name];
    if (!f) return false;
    if (f.delayMs) await sleep(f.delayMs);
    if (f.destroy) {
      res.destroy();
      return true;
    }
    if (f.html200 !== undefined) {
      send(res, 200, 'text/html', `<html><body><h1>Error</h1><p>${f.html200}</p></body></html>`);
      return true;
    }
    if (f.status === undefined && f.body === undefined && !f.bodyDelayMs) return false;
    if (f.bodyDelayMs) {
      res.writeHead(f.status ?? 200, { 'content-type': f.contentType ?? 'application/json' });
      res.flushHeaders();
      await sleep(f.bodyDelayMs);
      res.end(f.body ?? '');
      return true;
    }
    send(res, f.status ?? 200, f.contentType ?? 'text/html', f.body ?? (f.status === 404 ? NGINX_404 : ''));
    return true;
  }

  function playerApi(res: http.ServerResponse, query: Record<string, string>): void {
    if (!credsOk(query)) {
      // Classic panels: 200 with auth 0. XC_VM proper answers a 404 page (a fault can simulate it).
      return json(res, { user_info: { auth: 0 } });
    }
    const action = query.action ?? '';
    if (action === 'get_live_categories' || action === '201') return json(res, state.categories);
    if (action === 'get_live_streams' || action === '202') {
      const cat = query.category_id;
      const list = cat ? state.streams.filter((s) => String(s.category_id) === cat) : state.streams;
      return json(res, list);
    }
    if (
      action === 'get_short_epg' ||
      action === '205' ||
      action === 'get_simple_data_table' ||
      action === '207'
    ) {
      const all = state.epg[query.stream_id ?? ''] ?? [];
      const now = Date.now() / 1000;
      const short = action === 'get_short_epg' || action === '205';
      const limit = Number(query.limit ?? 4);
      const items = short ? all.filter((e) => e.stop > now).slice(0, limit) : all;
      return json(res, { epg_listings: items.map((e, i) => epgListing(e, i, query.stream_id ?? '', now)) });
    }
    // Unknown or missing action: the authentication object, as XC_VM does.
    if (state.authBody !== undefined) return json(res, state.authBody);
    const port = new URL(base).port;
    json(res, {
      user_info: state.userInfo,
      server_info: {
        url: '127.0.0.1',
        port,
        https_port: '',
        server_protocol: 'http',
        rtmp_port: '',
        timezone: 'UTC',
        timestamp_now: Math.floor(Date.now() / 1000),
        time_now: fmtTime(Date.now() / 1000),
        process: true,
      },
    });
  }

  function epgListing(e: FakeEpgItem, i: number, streamId: string, now: number): Record<string, unknown> {
    const stream = state.streams.find((s) => String(s.stream_id) === streamId);
    return {
      id: String(1000 + i),
      epg_id: '1',
      title: Buffer.from(e.title).toString('base64'),
      lang: 'en',
      start: fmtTime(e.start),
      end: fmtTime(e.stop),
      description: Buffer.from(e.description ?? '').toString('base64'),
      channel_id: stream?.epg_channel_id ?? '',
      start_timestamp: String(e.start),
      stop_timestamp: String(e.stop),
      now_playing: e.start <= now && now < e.stop ? 1 : 0,
      has_archive: 0,
    };
  }

  function playlist(ext: string): string {
    const cats = new Map<string, string>();
    for (const c of state.categories as Record<string, unknown>[]) {
      cats.set(String(c.category_id), String(c.category_name ?? ''));
    }
    const lines = ['#EXTM3U'];
    for (const s of state.streams) {
      const name = String(s.name ?? '');
      lines.push(
        `#EXTINF:-1 xui-id="{XUI_ID}" tvg-id="${s.epg_channel_id ?? ''}" tvg-name="${name}" tvg-logo="${s.stream_icon ?? ''}" group-title="${cats.get(String(s.category_id)) ?? ''}",${name}\r`,
      );
      lines.push(`${base}/${state.username}/${state.password}/${String(s.stream_id)}.${ext}`);
    }
    return lines.join('\n') + '\n';
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: http.ServerResponse, value: unknown): void {
  // Panels escape slashes (`\/`); standard parsers must cope.
  send(res, 200, 'application/json', JSON.stringify(value).replace(/\//g, '\\/'));
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function fmtTime(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Streams in the shape real panels send: numbers as numbers, ids in strings, nulls. */
export function makeStreams(
  count: number,
  opts: { prefix?: string; categoryId?: string; epg?: (i: number) => string | null } = {},
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 1; i <= count; i++) {
    out.push({
      num: i,
      name: `${opts.prefix ?? 'UK: '}Channel ${i} HD`,
      stream_type: 'live',
      stream_id: 1000 + i,
      stream_icon: '',
      epg_channel_id: opts.epg ? opts.epg(i) : `Channel${i}.uk`,
      added: '1529172862',
      category_id: opts.categoryId ?? '1',
      custom_sid: '',
      tv_archive: 0,
      direct_source: '',
      tv_archive_duration: 0,
    });
  }
  return out;
}
