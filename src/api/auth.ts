// Admin protection and the LAN allow-list.
// adminAuth: when a token is configured, the admin API and UI need `Authorization: Bearer <token>`,
// HTTP Basic with any user and the token as password, or the session cookie the login form sets.
// The cookie is stateless (expiry + HMAC keyed by the token), so changing the token logs everyone out.
// allowNetworks: the HDHomeRun surface stays open to the LAN, optionally restricted to some networks.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { cidrContains, parseCidr } from './cidr.js';
import { securityHeaders } from './headers.js';

export const SESSION_COOKIE = 'tb_admin';
const SESSION_DAYS = 30;

/** Constant-time string comparison (hashes first so lengths do not leak either). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function sign(token: string, exp: number): string {
  return createHmac('sha256', token).update(`tunerbridge-session:${exp}`).digest('base64url');
}

export function sessionCookieValue(token: string, now = Date.now()): string {
  const exp = Math.floor(now / 1000) + SESSION_DAYS * 86400;
  return `${exp}.${sign(token, exp)}`;
}

export function validSessionCookie(token: string, value: string, now = Date.now()): boolean {
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return false;
  const exp = Number(m[1]);
  return exp > now / 1000 && safeEqual(m[2]!, sign(token, exp));
}

function cookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

type Credential = 'header' | 'cookie' | undefined;

function credentialOf(req: Request, token: string): Credential {
  const auth = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(auth);
  if (bearer && safeEqual(bearer[1]!.trim(), token)) return 'header';
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(auth);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0 && safeEqual(decoded.slice(colon + 1), token)) return 'header';
  }
  const c = cookie(req, SESSION_COOKIE);
  if (c && validSessionCookie(token, c)) return 'cookie';
  return undefined;
}

/** A cookie-authenticated write must come from our own pages (SameSite=Strict already blocks most). */
function crossSite(req: Request): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

function wantsHtml(req: Request): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(action: string, failed: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>tunerbridge — sign in</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/static/style.css"></head>
<body class="login"><main><h1>tunerbridge</h1>
<form method="post" action="${escapeHtml(action)}">
<label>Admin token <input type="password" name="token" autocomplete="current-password" autofocus required></label>
${failed ? '<p class="error" role="alert">Wrong token.</p>' : ''}
<button type="submit">Sign in</button></form></main></body></html>`;
}

/** Simple failure throttle per client address: slows guessing without any state on success. */
class Throttle {
  private readonly fails = new Map<string, { n: number; until: number }>();
  blocked(ip: string, now = Date.now()): boolean {
    const f = this.fails.get(ip);
    return !!f && f.n >= 10 && f.until > now;
  }
  fail(ip: string, now = Date.now()): void {
    const f = this.fails.get(ip);
    if (!f || f.until <= now) this.fails.set(ip, { n: 1, until: now + 60_000 });
    else f.n++;
    if (this.fails.size > 10_000) this.fails.clear();
  }
}

/**
 * `GET|POST /login` and `POST /logout` only (relative to where it is mounted); other paths fall through.
 * The UI mounts this at `/`; `adminAuth` includes it so the API also has `/api/login`.
 */
export function loginRoutes(token: string): express.Router {
  const r = express.Router();
  const throttle = new Throttle();
  const home = (req: Request): string => req.baseUrl || '/';

  r.get('/login', securityHeaders, (req, res) => {
    if (!token || credentialOf(req, token)) return res.redirect(303, home(req));
    res.type('html').send(loginPage(`${req.baseUrl}/login`, req.query.failed === '1'));
  });

  r.post(
    '/login',
    express.urlencoded({ extended: false, limit: '4kb' }),
    express.json({ limit: '4kb' }),
    (req, res) => {
      const ip = req.socket.remoteAddress ?? '';
      const body = (req.body ?? {}) as Record<string, unknown>;
      const given =
        typeof body.token === 'string' ? body.token : typeof body.password === 'string' ? body.password : '';
      const isForm = !!req.is('application/x-www-form-urlencoded');
      if (token && throttle.blocked(ip))
        return res.status(429).json({ error: 'too many failed attempts; wait a minute' });
      if (token && !safeEqual(given, token)) {
        throttle.fail(ip);
        if (isForm) return res.redirect(303, `${req.baseUrl}/login?failed=1`);
        return res.status(401).json({ error: 'token: wrong admin token', field: 'token' });
      }
      if (token) setSessionCookie(res, sessionCookieValue(token), req.secure);
      if (isForm) return res.redirect(303, home(req));
      res.json({ ok: true });
    },
  );

  r.post('/logout', (req, res) => {
    res.append('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    if (req.is('application/x-www-form-urlencoded')) return res.redirect(303, `${req.baseUrl}/login`);
    res.json({ ok: true });
  });
  return r;
}

/**
 * The check alone: passes authenticated requests (or everything when `token` is empty); otherwise 401 JSON,
 * or a redirect to the login form for a browser asking for a page.
 * `loginPath` is where the form lives (default: `<mount>/login`).
 */
export function adminGuard(token: string, loginPath?: string): RequestHandler {
  return (req, res, next) => {
    if (!token) return next();
    const cred = credentialOf(req, token);
    if (cred === 'cookie' && req.method !== 'GET' && req.method !== 'HEAD' && crossSite(req)) {
      res.status(403).json({ error: 'cross-site request refused' });
      return;
    }
    if (cred) return next();
    if (wantsHtml(req)) return res.redirect(302, loginPath ?? `${req.baseUrl}/login`);
    res.setHeader('WWW-Authenticate', 'Bearer realm="tunerbridge"');
    res.status(401).json({ error: 'authentication required: send the admin token' });
  };
}

/**
 * Protects everything behind it: mount it in front of the admin API (`app.use('/api', adminAuth(t),
 * createAdminApi(p))`). An empty token disables protection. Also serves `<mount>/login` and `/logout`.
 * Do not mount it at `/` in front of the HDHomeRun routes: `createUi` guards its own pages.
 */
export function adminAuth(token: string): express.Router {
  const r = express.Router();
  r.use(loginRoutes(token));
  r.use(adminGuard(token));
  return r;
}

function setSessionCookie(res: Response, value: string, secure: boolean): void {
  res.append(
    'Set-Cookie',
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_DAYS * 86400}${secure ? '; Secure' : ''}`,
  );
}

export interface AllowNetworksOptions {
  /** Loopback (127.0.0.0/8, ::1) is always allowed unless this is false: local health checks keep working. */
  readonly allowLoopback?: boolean;
}

/**
 * Refuses requests from addresses outside `cidrs` with 403. An empty list allows everyone.
 * Throws at construction when an entry is malformed, so a typo fails loudly at startup.
 */
export function allowNetworks(cidrs: readonly string[], opts: AllowNetworksOptions = {}): RequestHandler {
  const nets = cidrs.filter((c) => c.trim() !== '').map(parseCidr);
  if (nets.length === 0) return (_req, _res, next) => next();
  if (opts.allowLoopback !== false) nets.push(parseCidr('127.0.0.0/8'), parseCidr('::1/128'));
  return (req, res, next) => {
    const addr = req.socket.remoteAddress ?? '';
    if (nets.some((n) => cidrContains(n, addr))) return next();
    res.status(403).type('text/plain').send('Forbidden: this network is not allowed\n');
  };
}
