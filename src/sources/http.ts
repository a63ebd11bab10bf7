// One GET against a provider: timeouts on headers and body, redirects followed by hand so every
// hop carries the source's User-Agent and headers (panels filter on it) and the final URL is known
// (relative playlist entries resolve against it). Errors never carry the request URL.
import { request } from 'undici';
import { redact } from '../util/redact.js';

export interface UpstreamRequest {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Applies to connecting, to the response headers and to each gap in the body. */
  readonly timeoutMs: number;
  readonly maxRedirects?: number;
  readonly signal?: AbortSignal;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly contentType: string;
  /** Announced body size (Content-Length), if any. */
  readonly contentLength?: number;
  /** URL after redirects. May carry credentials: never log it. */
  readonly finalUrl: string;
  readonly body: AsyncIterable<Buffer>;
  text(): Promise<string>;
  /** Discard the rest of the body. */
  dump(): Promise<void>;
}

export type UpstreamErrorKind = 'timeout' | 'network' | 'redirects' | 'aborted';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export async function upstreamGet(req: UpstreamRequest): Promise<UpstreamResponse> {
  let url = req.url;
  const max = req.maxRedirects ?? 5;
  for (let hop = 0; ; hop++) {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method: 'GET',
        headers: { 'accept-encoding': 'identity', ...req.headers },
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
        signal: req.signal,
      });
    } catch (err) {
      throw toUpstreamError(err, req.timeoutMs);
    }
    const location = res.headers.location;
    if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
      await res.body.dump().catch(() => undefined);
      if (hop >= max) throw new UpstreamError('redirects', `more than ${max} redirects`);
      url = new URL(location, url).href;
      continue;
    }
    const body = res.body;
    const ct = res.headers['content-type'];
    const len = Number(res.headers['content-length']);
    return {
      status: res.statusCode,
      contentType: (Array.isArray(ct) ? ct[0] : ct) ?? '',
      contentLength: Number.isFinite(len) && len > 0 ? len : undefined,
      finalUrl: url,
      body: wrapBody(body, req.timeoutMs),
      text: async () => {
        try {
          return await body.text();
        } catch (err) {
          throw toUpstreamError(err, req.timeoutMs);
        }
      },
      dump: () => body.dump().catch(() => undefined),
    };
  }
}

async function* wrapBody(body: AsyncIterable<Buffer>, timeoutMs: number): AsyncIterable<Buffer> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (err) {
    throw toUpstreamError(err, timeoutMs);
  }
}

function toUpstreamError(err: unknown, timeoutMs: number): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (/TIMEOUT/i.test(code) || e.name === 'TimeoutError') {
    return new UpstreamError(
      'timeout',
      `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`,
    );
  }
  if (e.name === 'AbortError' || code === 'UND_ERR_ABORTED')
    return new UpstreamError('aborted', 'request aborted');
  const reason = code || (e.message ?? String(err)).split('\n')[0]!;
  return new UpstreamError('network', `connection failed (${redact(reason)})`);
}
