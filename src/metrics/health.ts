// /health for Docker and orchestrator health checks: cheap, unauthenticated, no details worth hiding.
import type { RequestHandler } from 'express';

export interface HealthOptions {
  readonly startedAt: number;
  readonly version?: string;
  /** Extra readiness check; a thrown error or `false` answers 503. */
  readonly check?: () => boolean | Promise<boolean>;
}

export function createHealthHandler(opts: HealthOptions): RequestHandler {
  return async (_req, res) => {
    let ok = true;
    try {
      if (opts.check) ok = (await opts.check()) !== false;
    } catch {
      ok = false;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'unhealthy',
      uptimeSec: Math.round((Date.now() - opts.startedAt) / 1000),
      ...(opts.version ? { version: opts.version } : {}),
    });
  };
}
