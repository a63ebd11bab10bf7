import { afterEach, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { SessionManager, DEFAULT_STREAMING } from '../../src/stream/session-manager.js';
import { silentLogger } from '../../src/log.js';
import type { Channel, SourceLimit } from '../../src/model.js';
import { PacketAligner } from '../../src/ts/aligner.js';
import { StreamAnalyzer } from '../../src/ts/analyzer.js';
import { probe } from '../media/ffprobe.js';

const demoLimit: SourceLimit = {
  sourceId: 'demo',
  name: 'Demo',
  accountKey: 'demo',
  maxConnections: 2,
  enabled: true,
  status: 'ok',
  channelCount: 3,
};

function demoChannel(n: number, id: string): Channel {
  return {
    key: id,
    guideNumber: String(n),
    name: id,
    hd: true,
    candidates: [
      {
        sourceId: 'demo',
        accountKey: 'demo',
        url: `demo:${id}`,
        label: `demo:${id}`,
        headers: {},
        priority: 0,
        name: id,
        streamId: id,
        quality: 0,
        kind: 'loop',
      },
    ],
  };
}

/** A sink that records bytes and when they came. */
function recorder() {
  const sink = new PassThrough({ highWaterMark: 1 << 20 });
  const chunks: Buffer[] = [];
  const t0 = performance.now();
  let firstAt: number | undefined;
  sink.on('data', (b: Buffer) => {
    firstAt ??= performance.now() - t0;
    chunks.push(b);
  });
  return { sink, chunks, firstMs: () => firstAt, bytes: () => Buffer.concat(chunks) };
}

let mgr: SessionManager | undefined;
afterEach(async () => {
  await mgr?.close();
  mgr = undefined;
});

describe('SessionManager with the built-in demo channels', () => {
  it('plays a demo channel: fast first byte, decodable H.264/AAC, shared by a warm joiner', async () => {
    mgr = new SessionManager({
      options: { ...DEFAULT_STREAMING, lingerMs: 200 },
      limits: () => [demoLimit],
      tunerCount: () => 2,
      logger: silentLogger,
    });
    const a = recorder();
    const ra = await mgr.attach(demoChannel(1, 'test-pattern'), a.sink, { client: 'a' });
    expect(ra.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(a.firstMs()).toBeLessThan(100);
    const b = recorder();
    const rb = await mgr.attach(demoChannel(1, 'test-pattern'), b.sink, { client: 'b' });
    expect(rb.ok && rb.tuner).toBe(ra.ok && ra.tuner);
    expect(mgr.tunersInUse()).toBe(1);
    expect(mgr.connections().find((u) => u.accountKey === 'demo')?.inUse).toBe(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(b.firstMs()).toBeLessThan(50);
    // The joiner starts at a keyframe: its stream is decodable on its own.
    const an = new StreamAnalyzer();
    an.push(new PacketAligner().push(b.bytes()));
    expect(an.ready()).toBe(true);
    const p = await probe(a.bytes());
    const v = p.streams.find((s) => s.codec_type === 'video');
    expect(v?.codec_name).toBe('h264');
    expect(Number(v?.nb_read_frames)).toBeGreaterThan(60);
    expect(p.streams.some((s) => s.codec_type === 'audio')).toBe(true);
    const info = mgr.sessions()[0]!;
    expect(info).toMatchObject({ guideNumber: '1', state: 'live', tuner: 0, sourceId: 'demo' });
    expect(info.clients).toHaveLength(2);
  });

  it('refuses a third channel with 805 when both tuners are busy, and frees the tuner after linger', async () => {
    mgr = new SessionManager({
      options: { ...DEFAULT_STREAMING, lingerMs: 200 },
      limits: () => [{ ...demoLimit, maxConnections: 5 }],
      tunerCount: () => 2,
      logger: silentLogger,
    });
    const sinks = [recorder(), recorder()];
    await mgr.attach(demoChannel(1, 'test-pattern'), sinks[0]!.sink, { client: 'a' });
    await mgr.attach(demoChannel(2, 'colour-bars'), sinks[1]!.sink, { client: 'b' });
    const third = recorder();
    const r = await mgr.attach(demoChannel(3, 'demo-card'), third.sink, { client: 'c' });
    expect(r).toEqual({ ok: false, status: 503, code: 805, text: 'All Tuners In Use' });
    sinks[1]!.sink.destroy(); // client of channel 2 leaves; its session lingers
    await new Promise((r) => setTimeout(r, 20));
    const again = await mgr.attach(demoChannel(3, 'demo-card'), third.sink, { client: 'c' });
    expect(again.ok).toBe(true); // the idle session was evicted for it
    expect(
      mgr
        .sessions()
        .map((s) => s.guideNumber)
        .sort(),
    ).toEqual(['1', '3']);
  });
});

describe('busy response', () => {
  it("serves the short 'all tuners in use' slate instead of a 503 when configured", async () => {
    mgr = new SessionManager({
      options: { ...DEFAULT_STREAMING, busyResponse: 'slate' },
      limits: () => [{ ...demoLimit, maxConnections: 1 }],
      tunerCount: () => 1,
      logger: silentLogger,
      busySlateMs: 1200,
    });
    await mgr.attach(demoChannel(1, 'test-pattern'), recorder().sink, { client: 'a' });
    const busy = recorder();
    const ended = new Promise<void>((r) => busy.sink.on('finish', () => r()));
    const r = await mgr.attach(demoChannel(2, 'colour-bars'), busy.sink, { client: 'b' });
    expect(r).toMatchObject({ ok: true, tuner: -1, session: { state: 'slate' } });
    await ended;
    expect(mgr.tunersInUse()).toBe(1);
    const p = await probe(busy.bytes());
    expect(p.streams.find((s) => s.codec_type === 'video')?.codec_name).toBe('h264');
    expect(Number(p.streams.find((s) => s.codec_type === 'video')?.nb_read_frames)).toBeGreaterThan(10);
  });
});
