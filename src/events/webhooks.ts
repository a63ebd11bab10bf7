// Webhooks: selected bus events are POSTed as JSON to configured URLs. Each hook has its own bounded queue
// and delivers one event at a time in order, with a timeout and exponential back-off retries. The bus
// listener only enqueues, so a slow or dead receiver can never delay streaming.
// With a secret, `X-Tunerbridge-Signature: sha256=<hex HMAC-SHA256 of the raw body>` lets the receiver
// verify the sender; the body carries the event id and time, so a replay is recognisable.
import { createHmac } from 'node:crypto';
import type { Logger } from '../log.js';
import { maskUrl } from '../util/redact.js';
import { NOISY, type BusEvent, type EventBus } from './bus.js';

export interface WebhookConfig {
  readonly url: string;
  /** Event types to send (`failover`, `all-failed`, …); `*` or an empty list = every event except noisy ones. */
  readonly events: readonly string[];
  readonly secret?: string;
}

export interface WebhookOptions {
  readonly timeoutMs?: number;
  /** Retries after the first attempt. */
  readonly retries?: number;
  /** First retry delay; doubles each time (with jitter), capped at `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Pending events per hook; the oldest is dropped beyond this. */
  readonly queueSize?: number;
}

export const SIGNATURE_HEADER = 'x-tunerbridge-signature';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

class Delivery {
  private readonly queue: BusEvent[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly hook: WebhookConfig,
    private readonly opts: Required<WebhookOptions>,
    private readonly logger: Logger,
    private readonly stopSignal: AbortSignal,
  ) {}

  wants(e: BusEvent): boolean {
    const ev = this.hook.events;
    if (ev.includes(e.type)) return true;
    return (ev.length === 0 || ev.includes('*')) && !NOISY.has(e.type);
  }

  push(e: BusEvent): void {
    this.queue.push(e);
    if (this.queue.length > this.opts.queueSize) {
      const dropped = this.queue.shift()!;
      this.logger.warn(
        { webhook: maskUrl(this.hook.url), event: dropped.type },
        'webhook queue full; oldest event dropped',
      );
    }
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.stopSignal.aborted) {
        await this.deliver(this.queue.shift()!);
      }
    } finally {
      this.running = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.wake?.();
    this.queue.length = 0;
  }

  private async deliver(e: BusEvent): Promise<void> {
    const body = JSON.stringify({ id: e.id, type: e.type, time: e.time, data: e.data });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'tunerbridge-webhooks',
      'x-tunerbridge-event': e.type,
      'x-tunerbridge-delivery': String(e.id),
    };
    if (this.hook.secret) headers[SIGNATURE_HEADER] = signBody(this.hook.secret, body);
    const url = maskUrl(this.hook.url);
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      if (this.stopSignal.aborted) return;
      let problem: string;
      try {
        const res = await fetch(this.hook.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.any([this.stopSignal, AbortSignal.timeout(this.opts.timeoutMs)]),
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.status < 300) return;
        problem = `HTTP ${res.status}`;
        // The receiver understood and refused: retrying the same body will not help.
        if (res.status < 500 && res.status !== 408 && res.status !== 429) {
          this.logger.warn(
            { webhook: url, event: e.type, status: res.status },
            'webhook refused; not retried',
          );
          return;
        }
      } catch (err) {
        if (this.stopSignal.aborted) return;
        const name = (err as Error).name;
        problem =
          name === 'TimeoutError'
            ? `timed out after ${this.opts.timeoutMs} ms`
            : maskUrl((err as Error).message);
      }
      if (attempt === this.opts.retries) {
        this.logger.warn(
          { webhook: url, event: e.type, attempts: attempt + 1, problem },
          'webhook delivery failed',
        );
        return;
      }
      const base = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** attempt);
      this.logger.debug(
        { webhook: url, event: e.type, attempt: attempt + 1, problem },
        'webhook delivery retry',
      );
      await this.sleep(base * (0.8 + Math.random() * 0.4));
    }
  }
}

export class WebhookDispatcher {
  private readonly deliveries: Delivery[];
  private readonly abort = new AbortController();
  private readonly unsubscribe: () => void;

  constructor(bus: EventBus, hooks: readonly WebhookConfig[], logger: Logger, opts: WebhookOptions = {}) {
    const o: Required<WebhookOptions> = {
      timeoutMs: opts.timeoutMs ?? 5000,
      retries: opts.retries ?? 4,
      backoffMs: opts.backoffMs ?? 1000,
      maxBackoffMs: opts.maxBackoffMs ?? 60_000,
      queueSize: opts.queueSize ?? 100,
    };
    this.deliveries = hooks.filter((h) => h.url).map((h) => new Delivery(h, o, logger, this.abort.signal));
    this.unsubscribe =
      this.deliveries.length === 0
        ? () => {}
        : bus.subscribe((e) => {
            for (const d of this.deliveries) if (d.wants(e)) d.push(e);
          });
  }

  /** Stop listening, abort requests in flight and drop pending events. */
  stop(): void {
    this.unsubscribe();
    this.abort.abort();
    for (const d of this.deliveries) d.cancel();
  }
}
