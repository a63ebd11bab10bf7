import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUi, findStaticDir } from '../../src/ui/router.js';
import { adminAuth } from '../../src/api/auth.js';
import { createAdminApi } from '../../src/api/router.js';
import { call, harness, serve, type Harness, type Served } from '../api/fakes.js';

let h: Harness;
let open: Served;
let locked: Served;

beforeAll(async () => {
  h = await harness();
  const mk = (token: string) => {
    const app = express();
    app.use('/api', adminAuth(token), createAdminApi(h.ports));
    app.use(createUi({ ports: h.ports, token }));
    app.get('/discover.json', (_req, res) => {
      res.json({ hdhr: true });
    });
    return app;
  };
  open = await serve(mk(''));
  locked = await serve(mk('ui-token-42'));
});
afterAll(async () => {
  await open.close();
  await locked.close();
  await h.cleanup();
});

describe('web UI server', () => {
  it('serves the page with CSP, frame denial, nosniff and referrer policy', async () => {
    const r = await call(`${open.url}/`, 'GET');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.text).toContain('<script type="module" src="/static/app.js"></script>');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    const js = await call(`${open.url}/static/app.js`, 'GET');
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await call(`${open.url}/static/nope.js`, 'GET')).status).toBe(404);
    expect((await call(`${open.url}/static/../router.ts`, 'GET')).status).toBe(404);
  });

  it('does not shadow the HDHomeRun routes mounted after it, even when locked', async () => {
    expect((await call(`${locked.url}/discover.json`, 'GET')).json).toEqual({ hdhr: true });
  });

  it('sends a browser to the login form when a token is set, and lets it in after signing in', async () => {
    const r = await call(`${locked.url}/`, 'GET', undefined, { accept: 'text/html' });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/login');
    const login = await call(`${locked.url}/login`, 'GET', undefined, { accept: 'text/html' });
    expect(login.text).toContain('action="/login"');
    // Assets stay reachable for the login page.
    expect((await call(`${locked.url}/static/style.css`, 'GET')).status).toBe(200);
    const res = await fetch(`${locked.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=ui-token-42',
      redirect: 'manual',
    });
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    expect((await call(`${locked.url}/`, 'GET', undefined, { cookie, accept: 'text/html' })).status).toBe(
      200,
    );
    expect((await call(`${locked.url}/api/status`, 'GET', undefined, { cookie })).status).toBe(200);
    expect((await call(`${locked.url}/api/status`, 'GET')).status).toBe(401);
  });

  it('ships only same-origin scripts and styles (nothing inline that the CSP would block)', async () => {
    const dir = findStaticDir();
    for (const f of await readdir(dir)) {
      const text = await readFile(path.join(dir, f), 'utf8');
      expect(text, f).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(text, f).not.toMatch(/\sstyle\s*=/i);
      expect(text, f).not.toMatch(/\son[a-z]+\s*=\s*["']/i);
      expect(text, f).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|eval\(/);
    }
    // The module must at least parse.
    await promisify(execFile)(process.execPath, ['--check', path.join(dir, 'app.js')]);
  });
});
