import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Ring } from '../../src/stream/ring.js';
import { ClientWriter, type ClientEndReason } from '../../src/stream/client.js';

const CHUNK = 188 * 348; // ~64 KiB

/** A real HTTP server whose responses are fed from one ring by ClientWriters. */
async function startServer(policy: { maxLagMs: number; maxSkips: number; skipWindowMs: number }) {
  const ring = new Ring({ maxAgeMs: 2000, maxBytes: 64 << 20 });
  const writers: ClientWriter[] = [];
  const ended: ClientEndReason[] = [];
  let maxBuffered = 0;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    const w = new ClientWriter(ring, res, req.socket.remoteAddress ?? '?', policy);
    writers.push(w);
    void w.done.then((r) => ended.push(r));
    w.pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let seq = 0;
  const produce = (): void => {
    const data = Buffer.alloc(CHUNK, seq % 251);
    data.writeUInt32BE(seq++, 0); // sequence stamp to check order on the client side
    ring.append(data, seq % 10 === 1 ? [0] : [], Date.now());
    for (const w of writers) w.pump();
  };
  const port = (server.address() as AddressInfo).port;
  const tick = setInterval(() => {
    produce();
    for (const w of writers)
      if (w.active)
        maxBuffered = Math.max(
          maxBuffered,
          (w as unknown as { sink: http.ServerResponse }).sink.writableLength,
        );
  }, 5);
  return {
    port,
    ring,
    writers,
    ended,
    maxBuffered: () => maxBuffered,
    close: async () => {
      clearInterval(tick);
      for (const w of writers) w.end();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('ClientWriter over real HTTP', () => {
  it('delivers every chunk in order to a keeping-up client, starting at a keyframe', async () => {
    const s = await startServer({ maxLagMs: 1000, maxSkips: 3, skipWindowMs: 10_000 });
    cleanup = s.close;
    await new Promise((r) => setTimeout(r, 60)); // let the ring hold a keyframe
    const stamps: number[] = [];
    await new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: s.port, path: '/' }, (res) => {
        let buf = Buffer.alloc(0);
        res.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          while (buf.length >= CHUNK) {
            stamps.push(buf.readUInt32BE(0));
            buf = buf.subarray(CHUNK);
          }
          if (stamps.length >= 40) {
            res.destroy();
            resolve();
          }
        });
        res.on('error', reject);
      });
    });
    expect(stamps[0]! % 10).toBe(0); // keyframes are at seq % 10 === 0
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBe(stamps[i - 1]! + 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.ended).toContain('closed');
  });

  it('skips a stalled client to the newest keyframe, then disconnects it, with bounded buffering', async () => {
    const s = await startServer({ maxLagMs: 150, maxSkips: 2, skipWindowMs: 10_000 });
    cleanup = s.close;
    const sock = net.connect(s.port, '127.0.0.1');
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    sock.pause(); // never read: the kernel buffers fill, then write() pushes back
    sock.on('error', () => {});
    while (s.ended.length === 0) await new Promise((r) => setTimeout(r, 20));
    sock.destroy();
    expect(s.ended).toEqual(['lagging']);
    expect(s.writers[0]!.stats.drops).toBe(3);
    // Never more than the socket's high-water mark plus one batch of chunks queued in user space.
    expect(s.maxBuffered()).toBeLessThan(2 * 1024 * 1024);
  });
});
