import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { EventBus } from '../../src/events/bus.js';
import { SIGNATURE_HEADER, WebhookDispatcher } from '../../src/events/webhooks.js';

interface Hit {
  headers: http.IncomingHttpHeaders;
  body: string;
}

const servers: http.Server[] = [];
const dispatchers: WebhookDispatcher[] = [];
afterEach(async () => {
  for (const d of dispatchers.splice(0)) d.stop();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A receiver answering each request with the next status of `statuses` (last one repeats); 0 = never answer. */
async function receiver(statuses: number[]): Promise<{ url: string; hits: Hit[]; next: () => Promise<Hit> }> {
  const hits: Hit[] = [];
  const waiters: ((h: Hit) => void)[] = [];
  let i = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const hit = { headers: req.headers, body };
      hits.push(hit);
      waiters.shift()?.(hit);
      const status = statuses[Math.min(i++, statuses.length - 1)]!;
      if (status > 0) res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=abc`;
  let seen = 0;
  const next = () =>
    new Promise<Hit>((resolve) => {
      if (hits.length > seen) resolve(hits[seen++]!);
      else
        waiters.push((h) => {
          seen++;
          resolve(h);
        });
    });
  return { url, hits, next };
}

function recordingLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) =>
    lines.push({ level, obj, msg });
  return { lines, logger: { warn: at('warn'), debug: at('debug'), info: at('info') } as unknown as Logger };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WebhookDispatcher', () => {
  it('POSTs only the selected events, in order, with a verifiable HMAC signature', async () => {
    const rx = await receiver([200]);
    const bus = new EventBus();
    const { logger } = recordingLogger();
    dispatchers.push(
      new WebhookDispatcher(
        bus,
        [{ url: rx.url, events: ['failover', 'all-failed'], secret: 'shh' }],
        logger,
      ),
    );
    bus.publish('session-start', { guideNumber: '1' });
    bus.publish('failover', { guideNumber: '1', from: 'a', to: 'b', reason: 'stall', gapMs: 40 });
    bus.publish('all-failed', { guideNumber: '2' });
    const a = await rx.next();
    const b = await rx.next();
    expect(JSON.parse(a.body)).toMatchObject({
      type: 'failover',
      data: { from: 'a', to: 'b', reason: 'stall' },
    });
    expect(JSON.parse(b.body)).toMatchObject({ type: 'all-failed', data: { guideNumber: '2' } });
    expect(a.headers['content-type']).toBe('application/json');
    expect(a.headers['x-tunerbridge-event']).toBe('failover');
    const expected = `sha256=${createHmac('sha256', 'shh').update(a.body).digest('hex')}`;
    expect(a.headers[SIGNATURE_HEADER]).toBe(expected);
    await wait(30);
    expect(rx.hits).toHaveLength(2);
  });

  it('sends no signature without a secret and sends every non-noisy event for "*"', async () => {
    const rx = await receiver([204]);
    const bus = new EventBus();
    dispatchers.push(new WebhookDispatcher(bus, [{ url: rx.url, events: ['*'] }], recordingLogger().logger));
    bus.publish('guide-progress', { progress: 5 });
    bus.publish('guide-refreshed', { channels: 1 });
    const hit = await rx.next();
    expect(JSON.parse(hit.body).type).toBe('guide-refreshed');
    expect(hit.headers[SIGNATURE_HEADER]).toBeUndefined();
  });

  it('retries server errors with back-off and stops at the first success', async () => {
    const rx = await receiver([500, 503, 200]);
    const bus = new EventBus();
    dispatchers.push(
      new WebhookDispatcher(bus, [{ url: rx.url, events: ['recovered'] }], recordingLogger().logger, {
        backoffMs: 20,
      }),
    );
    bus.publish('recovered', { guideNumber: '7' });
    const t0 = Date.now();
    await rx.next();
    await rx.next();
    await rx.next();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40); // ~20 ms then ~40 ms of back-off
    await wait(100);
    expect(rx.hits).toHaveLength(3);
    expect(new Set(rx.hits.map((h) => h.body)).size).toBe(1);
  });

  it('does not retry a 4xx refusal, and logs the failure with the URL masked', async () => {
    const rx = await receiver([400]);
    const bus = new EventBus();
    const { lines, logger } = recordingLogger();
    dispatchers.push(
      new WebhookDispatcher(bus, [{ url: rx.url, events: ['failover'] }], logger, { backoffMs: 10 }),
    );
    bus.publish('failover', { guideNumber: '1', reason: 'x' });
    await rx.next();
    await wait(80);
    expect(rx.hits).toHaveLength(1);
    expect(lines.some((l) => l.msg.includes('refused'))).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('token=abc');
  });

  it('times out a hanging receiver without ever blocking the publisher, then gives up after the retries', async () => {
    const rx = await receiver([0]);
    const bus = new EventBus();
    const { lines, logger } = recordingLogger();
    dispatchers.push(
      new WebhookDispatcher(bus, [{ url: rx.url, events: ['failover'] }], logger, {
        timeoutMs: 100,
        retries: 1,
        backoffMs: 10,
      }),
    );
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) bus.publish('failover', { guideNumber: String(i), reason: 'x' });
    expect(performance.now() - t0).toBeLessThan(50);
    await rx.next();
    await rx.next();
    await wait(150);
    const failed = lines.find((l) => l.msg === 'webhook delivery failed');
    expect(failed?.obj).toMatchObject({ attempts: 2, problem: 'timed out after 100 ms' });
  });

  it('bounds the queue and stops cleanly', async () => {
    const rx = await receiver([0]);
    const bus = new EventBus();
    const { lines, logger } = recordingLogger();
    const d = new WebhookDispatcher(bus, [{ url: rx.url, events: ['failover'] }], logger, {
      timeoutMs: 10_000,
      queueSize: 3,
    });
    for (let i = 0; i < 10; i++) bus.publish('failover', { guideNumber: String(i), reason: 'x' });
    await rx.next();
    expect(lines.filter((l) => l.msg.includes('queue full'))).toHaveLength(6);
    d.stop();
    expect(bus.listenerCount).toBe(0);
    await wait(50);
    expect(rx.hits).toHaveLength(1);
  });
});
