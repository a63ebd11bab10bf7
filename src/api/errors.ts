// JSON errors for the admin API: `{ error, field? }`. Messages pass through `redact` so a secret that
// slipped into an exception (a provider URL in a fetch error) is masked before it leaves the process.
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../log.js';
import { maskUrl } from '../util/redact.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A 400 naming the offending field. */
export function invalid(field: string, problem: string): HttpError {
  return new HttpError(400, `${field}: ${problem}`, field);
}

export function notFound(what: string): HttpError {
  return new HttpError(404, `${what} not found`);
}

/** Errors thrown by validators elsewhere (settings, source definitions) carry `field` or `path`. */
function fieldOf(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { field?: unknown; path?: unknown; problems?: unknown };
  if (Array.isArray(e.problems) && e.problems.length > 0) return fieldOf(e.problems[0]);
  if (typeof e.field === 'string') return e.field;
  if (typeof e.path === 'string') return e.path;
  if (Array.isArray(e.path)) return e.path.join('.');
  return undefined;
}

/** Wrap a validator's error as a 400 that names the field. */
export function asValidationError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const field = fieldOf(err);
  const first = (err as { problems?: { reason?: unknown }[] } | null)?.problems?.[0]?.reason;
  const msg = typeof first === 'string' ? first : err instanceof Error ? err.message : String(err);
  return new HttpError(400, field && !msg.startsWith(field) ? `${field}: ${msg}` : msg, field);
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = err as { status?: unknown; type?: unknown; message?: unknown };
    let status = 500;
    let body: { error: string; field?: string };
    if (err instanceof HttpError) {
      status = err.status;
      body = { error: err.message, ...(err.field ? { field: err.field } : {}) };
    } else if (fieldOf(err)) {
      // Domain validation errors (OverrideError, SettingsError, definition problems) name their field.
      const v = asValidationError(err);
      status = 400;
      body = { error: v.message, ...(v.field ? { field: v.field } : {}) };
    } else if (e.type === 'entity.parse.failed') {
      status = 400;
      body = { error: 'body: invalid JSON', field: 'body' };
    } else if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      status = e.status;
      body = { error: String(e.message ?? 'bad request') };
    } else {
      logger.error({ err: maskUrl(String(e.message ?? err)), path: req.path }, 'admin API error');
      body = { error: 'internal error' };
    }
    body.error = maskUrl(body.error);
    if (res.headersSent) return;
    res.status(status).json(body);
  };
}

// ---- tiny validators: each throws a 400 naming the field ----

export type Body = Record<string, unknown>;

export function bodyOf(raw: unknown): Body {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('body', 'must be a JSON object');
  return raw as Body;
}

export function optString(b: Body, field: string, pattern?: RegExp, hint?: string): string | undefined {
  const v = b[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(field, 'must be a string');
  if (pattern && !pattern.test(v)) throw invalid(field, hint ?? `must match ${pattern}`);
  return v;
}

export function optBool(b: Body, field: string): boolean | undefined {
  const v = b[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalid(field, 'must be true or false');
  return v;
}

export function stringArray(
  b: Body,
  field: string,
  opts: { min?: number; optional?: boolean } = {},
): string[] | undefined {
  const v = b[field];
  if (v === undefined && opts.optional) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0))
    throw invalid(field, 'must be an array of non-empty strings');
  if (opts.min !== undefined && v.length < opts.min)
    throw invalid(field, `needs at least ${opts.min} entries`);
  return v as string[];
}

/** Reject fields the endpoint does not know, so a typo is reported instead of silently ignored. */
export function onlyFields(b: Body, allowed: readonly string[]): void {
  for (const k of Object.keys(b)) if (!allowed.includes(k)) throw invalid(k, 'unknown field');
}
