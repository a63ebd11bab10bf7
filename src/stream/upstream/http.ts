// One provider connection's HTTP plumbing: an undici Agent of its own (keep-alive, one socket
// per origin, redirects followed with the source's headers) whose sockets we track, so close()
// resolves only when every socket has emitted 'close'. One HttpConnection = one limiter slot.
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { UpstreamError, toUpstreamError } from './types.js';

export interface HttpTimeouts {
  /** TCP/TLS connect (ms). */
  readonly connectMs: number;
  /** Time from request to response headers (ms), slow-header servers fail here. */
  readonly headersMs: number;
  /** Gap between body chunks (ms); a backstop behind the session watchdog. */
  readonly bodyMs: number;
}

export interface HttpResponse {
  readonly status: number;
  /** Final URL after redirects (relative playlist URIs resolve against it). */
  readonly url: string;
  readonly contentType: string;
  readonly body: Readable;
}

const DEFAULT_UA = 'tunerbridge';
const MAX_REDIRECTS = 5;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

export class HttpConnection {
  private readonly agent: Agent;
  private readonly sockets = new Set<Socket>();
  private closing?: Promise<void>;

  constructor(private readonly timeouts: HttpTimeouts) {
    const connector = buildConnector({ timeout: timeouts.connectMs });
    this.agent = new Agent({
      connections: 1,
      keepAliveTimeout: 10_000,
      connect: (opts, cb) =>
        connector(opts, (err, socket) => {
          if (err || !socket) return cb(err, null);
          const s = socket as Socket;
          this.sockets.add(s);
          s.once('close', () => this.sockets.delete(s));
          if (this.closing) s.destroy();
          cb(null, socket);
        }),
    });
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  /**
   * GET `url`; resolves at response headers. Redirects are followed here (not by an interceptor)
   * so the final URL is known, with the source's headers kept on every hop (tokens in the
   * Location are used once, never cached). Non-2xx answers become UpstreamErrors.
   */
  async get(
    url: string,
    headers: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    const hdrs: Record<string, string> = { 'user-agent': DEFAULT_UA, ...lowerKeys(headers) };
    let current = url;
    for (let hop = 0; ; hop++) {
      if (this.closing) throw new UpstreamError('aborted', 'connection closed');
      let res: Dispatcher.ResponseData;
      try {
        res = await request(current, {
          dispatcher: this.agent,
          method: 'GET',
          headers: hdrs,
          signal,
          headersTimeout: this.timeouts.headersMs,
          bodyTimeout: this.timeouts.bodyMs,
        });
      } catch (err) {
        throw toUpstreamError(err);
      }
      const location = header(res.headers, 'location');
      if (REDIRECT.has(res.statusCode) && location) {
        await res.body.dump().catch(() => {});
        if (hop >= MAX_REDIRECTS)
          throw new UpstreamError('http-status', 'too many redirects', res.statusCode);
        const next = new URL(location, current);
        if (next.origin !== new URL(current).origin) {
          delete hdrs.authorization;
          delete hdrs.cookie;
        }
        current = next.href;
        continue;
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        discard(res.body);
        throw new UpstreamError('http-status', `HTTP ${res.statusCode}`, res.statusCode);
      }
      return {
        status: res.statusCode,
        url: current,
        contentType: header(res.headers, 'content-type') ?? '',
        body: res.body,
      };
    }
  }

  /** GET a small text/binary document (playlist, key, segment) in full. */
  async getBuffer(
    url: string,
    headers: Readonly<Record<string, string>>,
    signal?: AbortSignal,
    maxBytes = 64 << 20,
  ): Promise<{ url: string; contentType: string; data: Buffer }> {
    const res = await this.get(url, headers, signal);
    const parts: Buffer[] = [];
    let n = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        n += chunk.length;
        if (n > maxBytes) throw new UpstreamError('error', 'response too large');
        parts.push(chunk);
      }
    } catch (err) {
      discard(res.body);
      throw toUpstreamError(err);
    }
    return { url: res.url, contentType: res.contentType, data: Buffer.concat(parts) };
  }

  /** Destroy every socket; resolves when all of them have closed. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.agent.destroy().catch(() => {});
      for (const s of this.sockets) s.destroy();
      await Promise.all(
        [...this.sockets].map((s) =>
          s.closed ? undefined : new Promise<void>((r) => s.once('close', () => r())),
        ),
      );
    })();
    return this.closing;
  }
}

/** Destroy a body we no longer want; its abort error is expected and swallowed. */
export function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

function header(h: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function lowerKeys(h: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
