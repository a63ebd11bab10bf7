// Polite per-channel Xtream EPG fetching: a few requests at a time, answers cached, and a
// shared pause after 429/5xx/network errors so one struggling panel is not hammered (panels
// have flood protection; thousands of get_short_epg calls are a known way to get banned).
import type { Logger } from '../log.js';
import { maskUrl } from '../util/redact.js';
import { HttpStatusError, fetchJson, safeMessage } from './fetch.js';
import { parseShortEpg } from './short-epg.js';
import type { Programme } from './types.js';

export interface ShortEpgRequest {
  /** Cache key: source and stream. */
  readonly key: string;
  /** player_api.php URL with credentials (never logged). */
  readonly playerApiUrl: string;
  readonly streamId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeShiftMinutes: number;
}

export interface ShortEpgClientOptions {
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** How long an answer (even an empty one) is reused. */
  readonly ttlMs: number;
  readonly logger: Logger;
  readonly retries?: number;
  /** First back-off delay; doubles per retry, capped at a minute. */
  readonly backoffMs?: number;
  readonly maxCacheEntries?: number;
}

/** The get_simple_data_table URL for one stream (past and future listings). */
export function shortEpgUrl(playerApiUrl: string, streamId: string): string {
  const u = new URL(playerApiUrl);
  u.searchParams.set('action', 'get_simple_data_table');
  u.searchParams.set('stream_id', streamId);
  return u.toString();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export class ShortEpgClient {
  private readonly cache = new Map<string, { at: number; programmes: Programme[] }>();
  /** Shared by all workers: nobody sends before this time. */
  private pauseUntil = 0;
  /** Requests actually sent (for tests and status). */
  requests = 0;

  constructor(private readonly opts: ShortEpgClientOptions) {}

  /**
   * Fetch every request (cached answers reused), at most `concurrency` at a time. Programmes
   * carry the request key as their channel. Never rejects: failures go to `onError`.
   */
  async fetchAll(
    reqs: readonly ShortEpgRequest[],
    onResult: (req: ShortEpgRequest, programmes: Programme[]) => void,
    onError: (req: ShortEpgRequest, message: string) => void,
  ): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < reqs.length) {
        const req = reqs[next++] as ShortEpgRequest;
        try {
          onResult(req, await this.get(req));
        } catch (err) {
          onError(req, safeMessage(err));
        }
      }
    };
    const n = Math.max(1, Math.min(this.opts.concurrency, reqs.length));
    await Promise.all(Array.from({ length: n }, worker));
  }

  private async get(req: ShortEpgRequest): Promise<Programme[]> {
    const hit = this.cache.get(req.key);
    if (hit && Date.now() - hit.at < this.opts.ttlMs) return hit.programmes;
    const url = shortEpgUrl(req.playerApiUrl, req.streamId);
    const retries = this.opts.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      const wait = this.pauseUntil - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        this.requests++;
        const json = await fetchJson(url, { headers: req.headers, timeoutMs: this.opts.timeoutMs });
        const { programmes } = parseShortEpg(json, {
          channel: req.key,
          timeShiftMinutes: req.timeShiftMinutes,
        });
        this.remember(req.key, programmes);
        return programmes;
      } catch (err) {
        const status = err instanceof HttpStatusError ? err.status : undefined;
        const transient =
          status === undefined
            ? !(err instanceof Error && /not JSON/.test(err.message))
            : status === 429 || status >= 500;
        if (!transient || attempt >= retries) {
          // Remember failures too, so the next refresh does not retry a dead stream at once.
          if (status !== undefined && !transient) this.remember(req.key, []);
          throw err;
        }
        const base = (this.opts.backoffMs ?? 1000) * 2 ** attempt;
        const delay = Math.min(
          60_000,
          Math.max(base, err instanceof HttpStatusError ? (err.retryAfterMs ?? 0) : 0),
        );
        this.pauseUntil = Math.max(this.pauseUntil, Date.now() + delay);
        this.opts.logger.debug({ url: maskUrl(url), status, delay }, 'short EPG: backing off');
      }
    }
  }

  private remember(key: string, programmes: Programme[]): void {
    this.cache.delete(key);
    this.cache.set(key, { at: Date.now(), programmes });
    const max = this.opts.maxCacheEntries ?? 5000;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value as string);
  }
}
