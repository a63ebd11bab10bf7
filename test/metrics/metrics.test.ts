import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createHealthHandler } from '../../src/metrics/health.js';
import { EventBus } from '../../src/events/bus.js';
import { FakeGuide, FakeLineup, FakeSessions, call, serve, type Served } from '../api/fakes.js';

const sessions = new FakeSessions();
const lineup = new FakeLineup();
const guide = new FakeGuide();
const bus = new EventBus();
let srv: Served;
let healthy = true;

beforeAll(async () => {
  const m = createMetrics({ sessions, lineup, guide });
  m.bindBus(bus);
  const app = express();
  app.get('/metrics', m.handler);
  app.get(
    '/health',
    createHealthHandler({ startedAt: Date.now() - 3000, version: '1.2.3', check: () => healthy }),
  );
  srv = await serve(app);
});
afterAll(() => srv.close());

function value(text: string, metric: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
  return line === undefined ? undefined : Number(line.slice(metric.length + 1));
}

describe('/metrics', () => {
  it('exposes sessions, clients, tuner use per source, bitrate, guide age/size and process stats', async () => {
    sessions.list = [];
    sessions.start('101', 'a');
    sessions.start('102', 'a');
    const r = await call(`${srv.url}/metrics`, 'GET');
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(value(r.text, 'tunerbridge_sessions')).toBe(2);
    expect(value(r.text, 'tunerbridge_clients')).toBe(2);
    expect(value(r.text, 'tunerbridge_tuners_in_use{source="a"}')).toBe(2);
    expect(value(r.text, 'tunerbridge_tuners_in_use{source="b"}')).toBe(0);
    expect(value(r.text, 'tunerbridge_tuner_limit{source="a"}')).toBe(2);
    expect(value(r.text, 'tunerbridge_session_bitrate_bits{guide_number="101",source="a"}')).toBe(4_000_000);
    expect(value(r.text, 'tunerbridge_guide_programmes')).toBe(120);
    expect(value(r.text, 'tunerbridge_guide_age_seconds')).toBeGreaterThanOrEqual(59);
    expect(r.text).toContain('process_resident_memory_bytes');
    expect(r.text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts bytes monotonically across scrapes and stopped sessions', async () => {
    sessions.list = [];
    sessions.start('201', 'b');
    const before = value((await call(`${srv.url}/metrics`, 'GET')).text, 'tunerbridge_bytes_out_total')!;
    sessions.list[0] = { ...sessions.list[0]!, bytesOut: 2000 + 5000 };
    const mid = value((await call(`${srv.url}/metrics`, 'GET')).text, 'tunerbridge_bytes_out_total')!;
    expect(mid - before).toBe(5000);
    // Session ends; the stop event reports 1000 more bytes than the last scrape saw.
    sessions.list = [];
    await call(`${srv.url}/metrics`, 'GET');
    bus.publish('session-stop', { guideNumber: '201', bytesOut: 8000 });
    const after = value((await call(`${srv.url}/metrics`, 'GET')).text, 'tunerbridge_bytes_out_total')!;
    expect(after - mid).toBe(1000);
  });

  it('counts failovers by reason, recoveries, all-failed and probe results from the bus', async () => {
    bus.publish('failover', { guideNumber: '101', reason: 'stall' });
    bus.publish('failover', { guideNumber: '101', reason: 'stall' });
    bus.publish('failover', { guideNumber: '102', reason: 'http-error' });
    bus.publish('recovered', { guideNumber: '101' });
    bus.publish('all-failed', { guideNumber: '103' });
    bus.publish('probe', { sourceId: 'a', ok: false });
    const t = (await call(`${srv.url}/metrics`, 'GET')).text;
    expect(value(t, 'tunerbridge_failovers_total{reason="stall"}')).toBe(2);
    expect(value(t, 'tunerbridge_failovers_total{reason="http-error"}')).toBe(1);
    expect(value(t, 'tunerbridge_recoveries_total')).toBe(1);
    expect(value(t, 'tunerbridge_all_failed_total')).toBe(1);
    expect(value(t, 'tunerbridge_probes_total{source="a",result="fail"}')).toBe(1);
  });
});

describe('/health', () => {
  it('answers 200 with uptime, and 503 when the readiness check fails', async () => {
    const ok = await call(`${srv.url}/health`, 'GET');
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ status: 'ok', version: '1.2.3' });
    expect((ok.json as { uptimeSec: number }).uptimeSec).toBeGreaterThanOrEqual(3);
    healthy = false;
    const bad = await call(`${srv.url}/health`, 'GET');
    expect(bad.status).toBe(503);
    expect(bad.json).toMatchObject({ status: 'unhealthy' });
    healthy = true;
  });
});
