// The web UI: a static single page (src/ui/static, plain HTML/CSS/ES module, no build step) that talks to
// the admin API and listens to /api/events. Only its own paths are routed here (/, /index.html, /static/*,
// /login, /logout), so mounting it at `/` never shadows the HDHomeRun endpoints.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { AdminPorts } from '../api/ports.js';
import type { EventBus } from '../events/bus.js';
import { adminGuard, loginRoutes } from '../api/auth.js';
import { securityHeaders } from '../api/headers.js';

export interface UiOptions {
  readonly ports: AdminPorts;
  /** Kept for the wiring contract; live updates use `ports.bus` through /api/events. */
  readonly bus?: EventBus;
  /** Admin token; empty or absent = open. */
  readonly token?: string;
  /** Directory of the static files (default: found next to this module or in src/ui/static). */
  readonly staticDir?: string;
}

/** Static assets are not compiled by tsc: find them beside the module (src/) or in the source tree (dist/). */
export function findStaticDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'static'), path.resolve(here, '../../../src/ui/static')];
  const found = candidates.find((d) => existsSync(path.join(d, 'index.html')));
  if (!found) throw new Error(`web UI files not found (looked in ${candidates.join(', ')})`);
  return found;
}

export function createUi(opts: UiOptions): express.Router {
  const token = opts.token ?? '';
  const dir = opts.staticDir ?? findStaticDir();
  const r = express.Router();
  r.use(loginRoutes(token));
  const page: express.RequestHandler = (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(dir, 'index.html'));
  };
  r.get(['/', '/index.html'], securityHeaders, adminGuard(token, '/login'), page);
  // Assets hold no data (everything comes from the authenticated API), so the login page can use them.
  r.use(
    '/static',
    securityHeaders,
    express.static(dir, { index: false, maxAge: '5m', dotfiles: 'ignore' }),
    (_req: express.Request, res: express.Response) => {
      res.status(404).type('text/plain').send('Not found\n');
    },
  );
  return r;
}
