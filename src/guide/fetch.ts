// HTTP for guide inputs: streamed bodies (xmltv.php can be hundreds of MB) and small JSON
// (short EPG). Errors never carry a URL with credentials.
import { Agent, interceptors, request } from 'undici';
import { maskUrl } from '../util/redact.js';

const agent = new Agent({ connections: 8 }).compose(interceptors.redirect({ maxRedirections: 5 }));

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    /** From Retry-After, when the server sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${status}`);
  }
}

export interface FetchOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** For the response headers and for each gap between body chunks. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** A message safe for logs and status: credential-looking URL parts masked. */
export function safeMessage(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const msg = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return maskUrl(typeof e?.code === 'string' && !msg.includes(e.code) ? `${msg} (${e.code})` : msg);
}

function retryAfter(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  const secs = Number(s);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** GET `url` and return its body as a byte stream; non-2xx statuses throw `HttpStatusError`. */
export async function openUrl(url: string, opts: FetchOptions): Promise<AsyncIterable<Buffer>> {
  const res = await request(url, {
    method: 'GET',
    headers: { 'user-agent': 'tunerbridge', accept: '*/*', ...opts.headers },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    dispatcher: agent,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (res.statusCode < 200 || res.statusCode >= 300) {
    res.body.resume();
    throw new HttpStatusError(res.statusCode, retryAfter(res.headers['retry-after']));
  }
  return res.body as AsyncIterable<Buffer>;
}

/** GET and parse a small JSON document (at most `maxBytes`). */
export async function fetchJson(
  url: string,
  opts: FetchOptions,
  maxBytes = 8 * 1024 * 1024,
): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of await openUrl(url, opts)) {
    size += c.length;
    if (size > maxBytes) throw new Error(`response larger than ${maxBytes} bytes`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error('response is not JSON');
  }
}
