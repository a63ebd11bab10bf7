// A fast upstream (~200 Mbit/s, far above real time) through a session to real HTTP clients:
// the data path (raw bytes to the splicer, batched ring appends, merged writes, recycled output
// memory) must give a keeping-up client a clean stream and a slow one a stream that only ever
// skips forward. Throttled rather than unpaced so it does not starve tests running beside it.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { demoClips } from '../../src/media/assets.js';
import { parseClip } from '../../src/media/clip.js';
import { LoopCursor } from '../../src/media/loop-cursor.js';
import type { Channel } from '../../src/model.js';
import { DEFAULT_STREAMING, SessionManager } from '../../src/stream/session-manager.js';
import { RecyclingSlabs } from '../../src/stream/slab-pool.js';
import { TsChecker } from '../../src/ts/checker.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('session data path at full speed', () => {
  it('keeps a fast client clean and a slow one forward-only while recycling output memory', async () => {
    const clip = parseClip(await readFile(demoClips()[0]!.file), 'demo');
    const upstream = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      const cur = new LoopCursor(clip);
      let blocked = false;
      const t = setInterval(() => {
        if (!blocked) blocked = !res.write(cur.take(1400)); // 263 KB per 10 ms
      }, 10);
      res.on('drain', () => (blocked = false));
      res.on('close', () => clearInterval(t));
    });
    const memories: RecyclingSlabs[] = [];
    const recycle = RecyclingSlabs.prototype.recycle;
    vi.spyOn(RecyclingSlabs.prototype, 'recycle').mockImplementation(function (this: RecyclingSlabs, p) {
      if (!memories.includes(this)) memories.push(this);
      recycle.call(this, p);
    });
    const mgr = new SessionManager({
      options: { ...DEFAULT_STREAMING, ffmpegPath: '', lingerMs: 0, ringSeconds: 1, maxLagMs: 300 },
      limits: () => [
        {
          sourceId: 'up',
          name: 'up',
          accountKey: 'up',
          maxConnections: 2,
          enabled: true,
          status: 'ok',
          channelCount: 1,
        },
      ],
      tunerCount: () => 2,
      logger: silentLogger,
    });
    closers.push(() => mgr.close());
    const channel: Channel = {
      key: 'fast',
      guideNumber: '9',
      name: 'fast',
      hd: true,
      candidates: [
        {
          sourceId: 'up',
          accountKey: 'up',
          url: upstream,
          label: 'up',
          headers: {},
          priority: 0,
          name: 'up',
          streamId: '1',
          quality: 0,
          kind: 'ts',
        },
      ],
    };
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      void mgr.attach(channel, res, { client: 'c' });
    });
    /** A client that reads everything as it comes, or (slow) only during short bursts. */
    const client = (mode: 'fast' | 'slow') => {
      const fed = new TsChecker();
      let bytes = 0;
      const take = (d: Buffer): void => {
        bytes += d.length;
        fed.push(d);
      };
      let res: http.IncomingMessage | undefined;
      const req = http.get(url, (r) => {
        res = r;
        r.on('data', take);
        if (mode === 'slow') r.pause();
      });
      req.on('error', () => {});
      closers.push(() => void req.destroy());
      const burst = async (ms: number): Promise<void> => {
        res?.resume();
        await new Promise((r) => setTimeout(r, ms));
        res?.pause();
      };
      return { report: () => fed.report(), bytes: () => bytes, burst };
    };
    const fast = client('fast');
    const slow = client('slow');
    // The slow reader drains its socket for 10 ms every 250 ms.
    for (let t = 0; t < 8; t++) {
      await new Promise((r) => setTimeout(r, 250));
      await slow.burst(10);
    }
    const f = fast.report();
    const s = slow.report();
    // It really ran far above real time, and the slow client did not hold the fast one back.
    expect(fast.bytes()).toBeGreaterThan(20 << 20);
    expect(slow.bytes()).toBeLessThan(fast.bytes());
    expect(f.ccErrors + f.pcrViolations.length + f.dtsViolations + f.syncLossBytes).toBe(0);
    expect(f.unexpectedPids).toEqual([]);
    // The slow client was skipped to keyframes (CC jumps there) and, lagging on, disconnected;
    // whatever it got never went back in time (memory reused under it would).
    expect(s.packets).toBeGreaterThan(0);
    expect(s.pcrViolations).toEqual([]);
    expect(s.dtsViolations + s.syncLossBytes).toBe(0);
    expect(memories.reduce((a, m) => a + m.reused, 0)).toBeGreaterThan(0);
  });
});
