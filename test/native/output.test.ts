import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { DATAGRAM_BYTES, DatagramPacker, rtpHeader } from '../../src/native/datagrams.js';
import { UdpOutput } from '../../src/native/udp-output.js';
import { esPacket, tick } from './helpers.js';

const packets = (n: number, from = 0): Buffer =>
  Buffer.concat(Array.from({ length: n }, (_, i) => esPacket(0x100, from + i, (from + i) & 0xff)));

describe('RTP header', () => {
  it('is version 2, payload type 33, with sequence, timestamp and SSRC big-endian', () => {
    expect(rtpHeader(0x1234, 0x01020304, 0xcafebabe).toString('hex')).toBe(
      '80211234' + '01020304' + 'cafebabe',
    );
    expect(rtpHeader(0x10001, 2 ** 32 + 5, 1).toString('hex')).toBe('80210001' + '00000005' + '00000001');
  });
});

describe('DatagramPacker', () => {
  it('cuts 7-packet datagrams and keeps the rest for later', () => {
    const p = new DatagramPacker();
    const input = packets(10);
    const out = p.push(input);
    expect(out.map((d) => d.length)).toEqual([DATAGRAM_BYTES]);
    expect(out[0]!.equals(input.subarray(0, DATAGRAM_BYTES))).toBe(true);
    expect(p.pending).toBe(3);
    const more = p.push(packets(4, 10));
    expect(more).toHaveLength(1);
    expect(more[0]!.equals(Buffer.concat([input.subarray(7 * 188), packets(4, 10)]))).toBe(true);
    expect(p.pending).toBe(0);
  });

  it('pads a partial datagram with null packets', () => {
    const p = new DatagramPacker();
    p.push(packets(2));
    const d = p.flush()!;
    expect(d.length).toBe(DATAGRAM_BYTES);
    expect(d.subarray(0, 376).equals(packets(2))).toBe(true);
    for (let o = 376; o < DATAGRAM_BYTES; o += 188) {
      expect(d.subarray(o, o + 4).toString('hex')).toBe('471fff10');
    }
    expect(p.flush()).toBeUndefined();
  });
});

describe('UdpOutput on 127.0.0.1', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length) cleanups.pop()!();
  });

  async function receiver(): Promise<{ port: number; got: { at: number; msg: Buffer }[] }> {
    const sock = dgram.createSocket('udp4');
    const got: { at: number; msg: Buffer }[] = [];
    sock.on('message', (msg) => got.push({ at: Date.now(), msg }));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    cleanups.push(() => sock.close());
    return { port: sock.address().port, got };
  }

  it('sends UDP datagrams of exactly 7 packets, flushing a partial one promptly', async () => {
    const rx = await receiver();
    const out = new UdpOutput({ protocol: 'udp', host: '127.0.0.1', port: rx.port });
    cleanups.push(() => out.close());
    const input = packets(9);
    out.write(input);
    await tick(120);
    expect(rx.got.map((g) => g.msg.length)).toEqual([1316, 1316]);
    expect(rx.got[0]!.msg.equals(input.subarray(0, 1316))).toBe(true);
    expect(rx.got[1]!.msg.subarray(0, 376).equals(input.subarray(1316))).toBe(true);
    expect(out.stats).toMatchObject({ datagrams: 2, bytes: 2632, overflows: 0 });
  });

  it('sends RTP with consecutive sequence numbers, PT 33 and one SSRC', async () => {
    const rx = await receiver();
    const out = new UdpOutput({ protocol: 'rtp', host: '127.0.0.1', port: rx.port });
    cleanups.push(() => out.close());
    out.write(packets(7 * 5));
    await tick(120);
    expect(rx.got.map((g) => g.msg.length)).toEqual([1328, 1328, 1328, 1328, 1328]);
    const seq = rx.got.map((g) => g.msg.readUInt16BE(2));
    expect(seq.map((s) => (s - seq[0]! + 0x10000) & 0xffff)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(rx.got.map((g) => g.msg.readUInt32BE(8))).size).toBe(1);
    expect(rx.got.every((g) => g.msg[0] === 0x80 && g.msg[1] === 33)).toBe(true);
    expect(rx.got[2]!.msg.subarray(12).equals(packets(7 * 5).subarray(2 * 1316, 3 * 1316))).toBe(true);
  });

  it('spreads a burst over time instead of sending it at once', async () => {
    const rx = await receiver();
    const out = new UdpOutput({ protocol: 'udp', host: '127.0.0.1', port: rx.port }, { maxPerTick: 16 });
    cleanups.push(() => out.close());
    const t0 = Date.now();
    out.write(packets(7 * 200));
    await tick(5);
    const early = rx.got.length;
    expect(early).toBeLessThanOrEqual(16 * 2);
    for (let i = 0; i < 100 && rx.got.length < 200; i++) await tick(20);
    expect(rx.got).toHaveLength(200);
    expect(rx.got.at(-1)!.at - t0).toBeGreaterThanOrEqual(100);
  });

  it('bounds its queue and counts what it dropped', () => {
    const out = new UdpOutput(
      { protocol: 'udp', host: '127.0.0.1', port: 9 },
      { maxQueue: 10, maxPerTick: 1 },
    );
    cleanups.push(() => out.close());
    out.write(packets(7 * 30));
    expect(out.stats.overflows).toBe(20); // 30 datagrams against a queue of 10
    expect(out.stats.datagrams).toBe(1); // one sent in the first tick
  });
});
