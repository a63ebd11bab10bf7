// Prometheus metrics (/metrics). Gauges are read from the services at scrape time; counters of things that
// happen (failovers, probes, sessions) come from the event bus. Byte counters are derived from the live
// sessions' running totals plus the totals a session reports when it stops, so they only ever go up.
import type { RequestHandler } from 'express';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { SourceLimit } from '../model.js';
import type { EventBus } from '../events/bus.js';
import type { GuideStatus, SessionView } from '../api/ports.js';
import { guideSummary } from '../api/guide-summary.js';

export interface MetricsPorts {
  readonly sessions: { sessions(): readonly SessionView[] };
  readonly lineup: { sourceLimits(): readonly SourceLimit[] };
  readonly guide: { status(): GuideStatus };
}

export interface Metrics {
  readonly registry: Registry;
  readonly handler: RequestHandler;
  /** Count bus events; returns the unsubscribe function. */
  bindBus(bus: EventBus): () => void;
}

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event-loop lag, GC). Default true. */
  readonly processMetrics?: boolean;
}

const sessionKey = (s: SessionView): string => `${s.guideNumber}@${String(s.startedAt ?? '')}`;

/**
 * Turns per-session running byte totals into monotonic deltas. A session that vanished from the list is
 * remembered for a minute, so a late 'session-stop' carrying final totals only adds what was not yet counted.
 */
class ByteTracker {
  private last = new Map<string, { in: number; out: number }>();
  private retired = new Map<string, { in: number; out: number; at: number }>();

  delta(sessions: readonly SessionView[], now = Date.now()): { in: number; out: number } {
    const next = new Map<string, { in: number; out: number }>();
    const d = { in: 0, out: 0 };
    for (const s of sessions) {
      const cur = { in: s.bytesIn ?? 0, out: s.bytesOut ?? 0 };
      const prev = this.last.get(sessionKey(s)) ?? { in: 0, out: 0 };
      d.in += Math.max(0, cur.in - prev.in);
      d.out += Math.max(0, cur.out - prev.out);
      next.set(sessionKey(s), cur);
    }
    for (const [k, v] of this.last) if (!next.has(k)) this.retired.set(k, { ...v, at: now });
    for (const [k, v] of this.retired) if (now - v.at > 60_000) this.retired.delete(k);
    this.last = next;
    return d;
  }

  /** A stopped session's final totals: returns the part not counted yet. */
  stopped(guideNumber: string, total: { in?: number; out?: number }): { in: number; out: number } {
    for (const map of [this.last, this.retired]) {
      for (const [k, prev] of map) {
        if (!k.startsWith(`${guideNumber}@`)) continue;
        map.delete(k);
        return { in: Math.max(0, (total.in ?? 0) - prev.in), out: Math.max(0, (total.out ?? 0) - prev.out) };
      }
    }
    return { in: total.in ?? 0, out: total.out ?? 0 };
  }
}

function ageSeconds(t: string | number | undefined, now: number): number | undefined {
  if (t === undefined) return undefined;
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return Number.isFinite(ms) ? Math.max(0, (now - ms) / 1000) : undefined;
}

export function createMetrics(ports: MetricsPorts, opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const bytes = new ByteTracker();
  const reg = [registry];

  const sessions = new Gauge({ name: 'tunerbridge_sessions', help: 'Live tuner sessions', registers: reg });
  const clients = new Gauge({
    name: 'tunerbridge_clients',
    help: 'Clients attached to live sessions',
    registers: reg,
  });
  const inUse = new Gauge({
    name: 'tunerbridge_tuners_in_use',
    help: 'Tuners in use per source',
    labelNames: ['source'] as const,
    registers: reg,
  });
  const limit = new Gauge({
    name: 'tunerbridge_tuner_limit',
    help: 'Connection limit per source',
    labelNames: ['source'] as const,
    registers: reg,
  });
  const sourceUp = new Gauge({
    name: 'tunerbridge_source_up',
    help: '1 when the source last refreshed successfully',
    labelNames: ['source'] as const,
    registers: reg,
  });
  const bitrate = new Gauge({
    name: 'tunerbridge_session_bitrate_bits',
    help: 'Recent bitrate of each live session, bits per second',
    labelNames: ['guide_number', 'source'] as const,
    registers: reg,
  });
  const bytesIn = new Counter({
    name: 'tunerbridge_bytes_in_total',
    help: 'Bytes received from upstreams',
    registers: reg,
  });
  const bytesOut = new Counter({
    name: 'tunerbridge_bytes_out_total',
    help: 'Bytes sent to clients',
    registers: reg,
  });
  const guideAge = new Gauge({
    name: 'tunerbridge_guide_age_seconds',
    help: 'Seconds since the last guide refresh',
    registers: reg,
  });
  const guideProgrammes = new Gauge({
    name: 'tunerbridge_guide_programmes',
    help: 'Programmes in the guide',
    registers: reg,
  });
  const guideChannels = new Gauge({
    name: 'tunerbridge_guide_channels',
    help: 'Channels in the guide',
    registers: reg,
  });
  const guideBytes = new Gauge({
    name: 'tunerbridge_guide_bytes',
    help: 'Size of the served guide in bytes',
    registers: reg,
  });

  const started = new Counter({
    name: 'tunerbridge_sessions_started_total',
    help: 'Sessions started',
    registers: reg,
  });
  const joins = new Counter({
    name: 'tunerbridge_client_joins_total',
    help: 'Clients that joined a session',
    registers: reg,
  });
  const failovers = new Counter({
    name: 'tunerbridge_failovers_total',
    help: 'Switches between streams, by reason',
    labelNames: ['reason'] as const,
    registers: reg,
  });
  const recoveries = new Counter({
    name: 'tunerbridge_recoveries_total',
    help: 'Switches back to a recovered source',
    registers: reg,
  });
  const allFailed = new Counter({
    name: 'tunerbridge_all_failed_total',
    help: 'Times every source of a channel failed',
    registers: reg,
  });
  const probes = new Counter({
    name: 'tunerbridge_probes_total',
    help: 'Source probes by result',
    labelNames: ['source', 'result'] as const,
    registers: reg,
  });

  // Refresh every scrape-time value once per scrape.
  const scrape = async (): Promise<void> => {
    const now = Date.now();
    const list = ports.sessions.sessions();
    sessions.set(list.length);
    clients.set(list.reduce((n, s) => n + (s.clients?.length ?? 0), 0));
    const d = bytes.delta(list, now);
    bytesIn.inc(d.in);
    bytesOut.inc(d.out);
    bitrate.reset();
    for (const s of list) {
      if (typeof s.bitrate === 'number')
        bitrate.set({ guide_number: s.guideNumber, source: s.sourceId ?? '' }, s.bitrate);
    }
    const use = new Map<string, number>();
    for (const s of list) if (s.sourceId) use.set(s.sourceId, (use.get(s.sourceId) ?? 0) + 1);
    inUse.reset();
    limit.reset();
    sourceUp.reset();
    for (const l of ports.lineup.sourceLimits()) {
      inUse.set({ source: l.sourceId }, use.get(l.sourceId) ?? 0);
      limit.set({ source: l.sourceId }, l.maxConnections);
      sourceUp.set({ source: l.sourceId }, l.status === 'ok' ? 1 : 0);
    }
    const g = guideSummary(ports.guide.status());
    const age = ageSeconds(g.lastRefresh ?? undefined, now);
    if (age !== undefined) guideAge.set(age);
    if (g.programmes !== undefined) guideProgrammes.set(g.programmes);
    if (g.channels !== undefined) guideChannels.set(g.channels);
    if (g.bytes !== undefined) guideBytes.set(g.bytes);
  };

  const handler: RequestHandler = async (_req, res) => {
    try {
      await scrape();
      res.setHeader('Content-Type', registry.contentType);
      res.send(await registry.metrics());
    } catch (err) {
      res
        .status(500)
        .type('text/plain')
        .send(`metrics unavailable: ${(err as Error).message}\n`);
    }
  };

  const bindBus = (bus: EventBus): (() => void) =>
    bus.subscribe((e) => {
      switch (e.type) {
        case 'session-start':
          started.inc();
          break;
        case 'session-stop': {
          const rest = bytes.stopped(e.data.guideNumber, { in: e.data.bytesIn, out: e.data.bytesOut });
          bytesIn.inc(rest.in);
          bytesOut.inc(rest.out);
          break;
        }
        case 'client-join':
          joins.inc();
          break;
        case 'failover':
          failovers.inc({ reason: e.data.reason });
          break;
        case 'recovered':
          recoveries.inc();
          break;
        case 'all-failed':
          allFailed.inc();
          break;
        case 'probe':
          probes.inc({ source: e.data.sourceId, result: e.data.ok ? 'ok' : 'fail' });
          break;
        default:
          break;
      }
    });

  return { registry, handler, bindBus };
}
