import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OutputBatcher } from '../../src/stream/batcher.js';
import { ClientWriter } from '../../src/stream/client.js';
import { Ring } from '../../src/stream/ring.js';
import { RecyclingSlabs } from '../../src/stream/slab-pool.js';
import { SLAB_BYTES } from '../../src/ts/slab.js';

describe('OutputBatcher', () => {
  it('merges output that sits side by side in memory into one view, keeping join offsets', () => {
    const slab = Buffer.alloc(188 * 10);
    const b = new OutputBatcher();
    b.add(slab.subarray(0, 376), [0]);
    b.add(slab.subarray(376, 940), [188]);
    b.add(Buffer.alloc(188, 1), []); // elsewhere: a batch of its own
    b.add(slab.subarray(1128, 1316), [0]); // not adjacent to the first run either
    expect(b.bytes).toBe(376 + 564 + 188 + 188);
    const out = b.take();
    expect(out.map((x) => [x.data.length, x.rapOffsets])).toEqual([
      [940, [0, 564]],
      [188, []],
      [188, [0]],
    ]);
    expect(out[0]!.data.buffer).toBe(slab.buffer); // a view, not a copy
    expect(out[0]!.data.byteOffset).toBe(slab.byteOffset);
    expect(b.take()).toEqual([]);
  });
});

describe('RecyclingSlabs', () => {
  it('hands a slab out again only once the ring and every queued write are past it', () => {
    const m = new RecyclingSlabs();
    const first = m.take(SLAB_BYTES / 2);
    m.appended(first, SLAB_BYTES / 2);
    const second = m.take(SLAB_BYTES / 2 + 188); // does not fit: the first slab is retired
    m.appended(second, SLAB_BYTES + 188);
    m.recycle(SLAB_BYTES / 2 - 1); // a reader is still inside it
    const third = m.take(SLAB_BYTES); // so this is new memory
    expect(third.buffer === first.buffer).toBe(false);
    m.recycle(SLAB_BYTES / 2); // the first slab is free, the second is not
    const again = m.take(SLAB_BYTES);
    expect(again.buffer === first.buffer).toBe(true);
    expect(m.reused).toBe(1);
  });

  it('stops reusing for good once disabled', () => {
    const m = new RecyclingSlabs();
    const a = m.take(SLAB_BYTES);
    m.appended(a, SLAB_BYTES);
    m.disable();
    m.take(SLAB_BYTES);
    m.recycle(Infinity);
    expect(m.take(SLAB_BYTES).buffer === a.buffer).toBe(false);
    expect(m.reused).toBe(0);
  });
});

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('recycled output memory over real sockets', () => {
  it('never overwrites bytes a slow client still has queued, while a fast one keeps memory turning over', async () => {
    // The session's fan-out loop by hand: stamped records carved from recycled slabs, a small
    // ring, a reader that keeps up and one that reads in rare bursts (its socket pushes back).
    const REC = 188 * 100;
    const ring = new Ring({ maxAgeMs: 60_000, maxBytes: 8 * SLAB_BYTES });
    const mem = new RecyclingSlabs();
    const policy = { maxLagMs: 60_000, maxSkips: 1000, skipWindowMs: 60_000 };
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const writers = new Map<number, ClientWriter>(); // by the client's local port
    server.on('connection', (sock) => {
      sock.on('error', () => {});
      writers.set(sock.remotePort!, new ClientWriter(ring, sock, 'c', policy));
    });
    const received = (sock: net.Socket): Buffer[] => {
      const parts: Buffer[] = [];
      sock.on('data', (d: Buffer) => parts.push(d));
      return parts;
    };
    const fastSock = net.connect(port, '127.0.0.1');
    const slowSock = net.connect(port, '127.0.0.1');
    const fast = received(fastSock);
    const slow = received(slowSock);
    slowSock.pause();
    cleanup = () => {
      fastSock.destroy();
      slowSock.destroy();
      server.close();
    };
    while (writers.size < 2) await new Promise((r) => setTimeout(r, 5));
    const fastWriter = writers.get(fastSock.localPort!)!;
    const slowWriter = writers.get(slowSock.localPort!)!;
    let pinnedBehindRing = false;

    let seq = 0;
    for (let round = 0; round < 100; round++) {
      // Produce only as fast as the fast reader takes it, so it never has to skip.
      while (fastWriter.backlog > SLAB_BYTES) await new Promise((r) => setTimeout(r, 1));
      for (let k = 0; k < 56; k++) {
        const rec = mem.take(REC);
        rec.fill(seq & 0xff);
        rec.writeUInt32BE(seq++, 0);
        ring.append(rec, [0], round);
        mem.appended(rec, ring.endPos);
      }
      let safe = ring.firstPos;
      for (const w of writers.values()) {
        w.pump();
        safe = Math.min(safe, w.pinnedPos);
      }
      mem.recycle(safe);
      if (slowWriter.pinnedPos < ring.firstPos) pinnedBehindRing = true;
      if (round % 10 === 9) slowSock.resume();
      if (round % 10 === 0) slowSock.pause();
      await new Promise((r) => setImmediate(r));
    }
    slowSock.resume();
    await new Promise((r) => setTimeout(r, 300));
    for (const w of writers.values()) w.pump();
    await new Promise((r) => setTimeout(r, 300));

    expect(pinnedBehindRing).toBe(true); // the slow reader did hold memory the ring had let go
    expect(mem.reused).toBeGreaterThan(5);
    const check = (parts: Buffer[]): number[] => {
      const all = Buffer.concat(parts);
      const seqs: number[] = [];
      for (let o = 0; o + REC <= all.length; o += REC) {
        const s = all.readUInt32BE(o);
        // Every byte after the stamp belongs to the same record: nothing was overwritten in flight.
        const want = Buffer.alloc(REC, s & 0xff);
        want.writeUInt32BE(s, 0);
        if (!all.subarray(o, o + REC).equals(want)) throw new Error(`record ${s} at ${o} was overwritten`);
        seqs.push(s);
      }
      return seqs;
    };
    const f = check(fast);
    const s = check(slow);
    expect(f).toEqual(Array.from({ length: seq }, (_, i) => i)); // kept up: everything, in order
    // The slow reader may have skipped ahead (lag), but only ever forward.
    expect(s.length).toBeGreaterThan(0);
    for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThan(s[i - 1]!);
  });
});
