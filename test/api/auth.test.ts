import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminAuth,
  allowNetworks,
  safeEqual,
  sessionCookieValue,
  validSessionCookie,
} from '../../src/api/auth.js';
import { call, serve, type Served } from './fakes.js';

const TOKEN = 's3cret-admin-token';
let srv: Served;

beforeAll(async () => {
  const app = express();
  app.use('/api', adminAuth(TOKEN), (_req, res) => {
    res.json({ inside: true });
  });
  app.use('/open', adminAuth(''), (_req, res) => {
    res.json({ inside: true });
  });
  srv = await serve(app);
});
afterAll(() => srv.close());

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('adminAuth', () => {
  it('refuses anonymous API calls with 401 JSON and redirects browsers to the login form', async () => {
    const r = await call(`${srv.url}/api/status`, 'GET');
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ error: expect.stringContaining('authentication required') });
    expect(r.headers.get('www-authenticate')).toContain('Bearer');
    const page = await call(`${srv.url}/api/x`, 'GET', undefined, { accept: 'text/html' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/api/login');
  });

  it('accepts a Bearer token or Basic with any user, and rejects wrong ones', async () => {
    expect(
      (await call(`${srv.url}/api/s`, 'GET', undefined, { authorization: `Bearer ${TOKEN}` })).status,
    ).toBe(200);
    expect(
      (await call(`${srv.url}/api/s`, 'GET', undefined, { authorization: basic('anyone', TOKEN) })).status,
    ).toBe(200);
    expect((await call(`${srv.url}/api/s`, 'GET', undefined, { authorization: 'Bearer nope' })).status).toBe(
      401,
    );
    expect(
      (await call(`${srv.url}/api/s`, 'GET', undefined, { authorization: basic(TOKEN, 'x') })).status,
    ).toBe(401);
    expect(
      (await call(`${srv.url}/api/s`, 'GET', undefined, { authorization: `Bearer ${TOKEN}x` })).status,
    ).toBe(401);
  });

  it('logs in through the form, sets an HttpOnly SameSite cookie that then authenticates, and logs out', async () => {
    const form = (token: string) =>
      fetch(`${srv.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(token)}`,
        redirect: 'manual',
      });
    const wrong = await form('bad');
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toBe('/api/login?failed=1');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const good = await form(TOKEN);
    expect(good.status).toBe(303);
    const set = good.headers.get('set-cookie')!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).not.toContain(TOKEN);
    const cookie = set.split(';')[0]!;
    expect((await call(`${srv.url}/api/s`, 'GET', undefined, { cookie })).status).toBe(200);
    // A cookie-authenticated write from another site is refused.
    const cross = await call(`${srv.url}/api/s`, 'POST', {}, { cookie, origin: 'http://evil.invalid' });
    expect(cross.status).toBe(403);
    expect((await call(`${srv.url}/api/s`, 'POST', {}, { cookie, origin: srv.url })).status).toBe(200);
    const out = await call(`${srv.url}/api/logout`, 'POST', {});
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    const loginJson = await call(`${srv.url}/api/login`, 'POST', { token: 'bad' });
    expect(loginJson.status).toBe(401);
    expect(loginJson.json).toMatchObject({ field: 'token' });
  });

  it('serves a login page with security headers and no secrets', async () => {
    const r = await call(`${srv.url}/api/login`, 'GET', undefined, { accept: 'text/html' });
    expect(r.status).toBe(200);
    expect(r.text).toContain('<form method="post" action="/api/login">');
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.text).not.toContain(TOKEN);
  });

  it('leaves everything open when no token is set', async () => {
    expect((await call(`${srv.url}/open/x`, 'GET')).json).toEqual({ inside: true });
  });

  it('signs session cookies with expiry; tampering or another token invalidates them', () => {
    const now = 1_700_000_000_000;
    const v = sessionCookieValue(TOKEN, now);
    expect(validSessionCookie(TOKEN, v, now)).toBe(true);
    expect(validSessionCookie('other', v, now)).toBe(false);
    expect(validSessionCookie(TOKEN, v, now + 31 * 86400_000)).toBe(false);
    const [exp, mac] = v.split('.');
    expect(validSessionCookie(TOKEN, `${Number(exp) + 1}.${mac}`, now)).toBe(false);
    expect(validSessionCookie(TOKEN, 'garbage', now)).toBe(false);
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
  });

  it('throttles repeated wrong logins', async () => {
    const app = express();
    app.use(adminAuth(TOKEN));
    const s = await serve(app);
    let last = 0;
    for (let i = 0; i < 11; i++) last = (await call(`${s.url}/login`, 'POST', { token: 'nope' })).status;
    expect(last).toBe(429);
    await s.close();
  });
});

describe('allowNetworks', () => {
  it('allows listed networks and loopback, refuses others with 403', async () => {
    const handler = (_req: express.Request, res: express.Response) => {
      res.send('ok');
    };
    const app = express();
    app.get('/lan', allowNetworks(['192.168.0.0/16']), handler);
    app.get('/strict', allowNetworks(['192.168.0.0/16'], { allowLoopback: false }), handler);
    app.get('/local', allowNetworks(['127.0.0.1/32'], { allowLoopback: false }), handler);
    app.get('/all', allowNetworks([]), handler);
    const s = await serve(app);
    expect((await call(`${s.url}/lan`, 'GET')).status).toBe(200);
    const refused = await call(`${s.url}/strict`, 'GET');
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('not allowed');
    expect((await call(`${s.url}/local`, 'GET')).status).toBe(200);
    expect((await call(`${s.url}/all`, 'GET')).status).toBe(200);
    await s.close();
  });

  it('fails at startup on a malformed entry', () => {
    expect(() => allowNetworks(['192.168.1.0/24', '300.1.1.1'])).toThrow(/300\.1\.1\.1/);
  });
});
