// Server-sent events for the UI: every bus event (and, with ?logs=1, every log entry) as it happens.
// A browser that reconnects sends Last-Event-ID and gets the bus events it missed. A client that stops
// reading is dropped rather than buffered without bound, so a stalled tab cannot grow our memory.
import type { RequestHandler } from 'express';
import type { BusEvent, EventBus } from '../events/bus.js';
import type { LogsPort } from './ports.js';
import { sanitize } from './sanitize.js';

export interface EventStreamOptions {
  readonly bus: EventBus;
  readonly logs: LogsPort;
  readonly heartbeatMs?: number;
  readonly maxClients?: number;
  /** Bytes buffered for one client before it is dropped. */
  readonly maxBuffered?: number;
  /** Adds what the UI needs to an event before it is sanitised and sent (e.g. a switch's source ids). */
  readonly enrich?: (e: BusEvent) => unknown;
}

export function createEventStream(opts: EventStreamOptions): RequestHandler {
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const maxClients = opts.maxClients ?? 50;
  const maxBuffered = opts.maxBuffered ?? 1 << 20;
  let clients = 0;
  const enrich = opts.enrich ?? ((e: BusEvent) => e);
  const frame = (e: BusEvent): string =>
    `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(sanitize(enrich(e)))}\n\n`;

  return (req, res) => {
    if (clients >= maxClients) {
      res.status(503).json({ error: 'too many live-update connections' });
      return;
    }
    clients++;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    let closed = false;
    const send = (text: string): void => {
      if (closed) return;
      res.write(text);
      if (res.writableLength > maxBuffered) close();
    };
    const unsubs: (() => void)[] = [];
    const close = (): void => {
      if (closed) return;
      closed = true;
      clients--;
      clearInterval(timer);
      for (const u of unsubs) u();
      res.end();
    };

    send('retry: 3000\n\n');
    const last = Number(req.headers['last-event-id']);
    if (Number.isInteger(last) && last > 0) {
      for (const e of opts.bus.since(last)) send(frame(e));
    }
    unsubs.push(opts.bus.subscribe((e) => send(frame(e))));
    if (req.query.logs === '1') {
      unsubs.push(opts.logs.subscribe((l) => send(`event: log\ndata: ${JSON.stringify(sanitize(l))}\n\n`)));
    }
    const timer = setInterval(() => send(': ping\n\n'), heartbeatMs);
    timer.unref();
    req.on('close', close);
    res.on('error', close);
  };
}
