import { describe, expect, it } from 'vitest';
import { MAX_RESYNC_BYTES, PacketAligner } from '../../src/ts/aligner.js';

/** n distinct packets: byte 4 carries the index so reordering or loss is visible. */
function packets(n: number, first = 0): Buffer {
  const b = Buffer.alloc(n * 188, 0xaa);
  for (let i = 0; i < n; i++) {
    b[i * 188] = 0x47;
    b[i * 188 + 1] = 0x01;
    b[i * 188 + 2] = 0x00;
    b[i * 188 + 3] = 0x10 | ((first + i) & 15);
    b[i * 188 + 4] = (first + i) & 0xff;
  }
  return b;
}

function feed(aligner: PacketAligner, data: Buffer, sizes: number[]): Buffer {
  const out: Buffer[] = [];
  let o = 0;
  let k = 0;
  while (o < data.length) {
    const n = sizes[k++ % sizes.length]!;
    out.push(aligner.push(data.subarray(o, o + n)));
    o += n;
  }
  return Buffer.concat(out);
}

describe('PacketAligner', () => {
  it('passes aligned input through as a zero-copy view', () => {
    const a = new PacketAligner();
    const data = packets(10);
    const out = a.push(data);
    expect(out.buffer).toBe(data.buffer);
    expect(out.length).toBe(data.length);
    expect(a.droppedBytes).toBe(0);
  });

  it('reassembles arbitrarily split input, copying only the tail', () => {
    const data = packets(200);
    for (const sizes of [[1], [7, 300, 188, 1000], [187], [189], [4096, 13]]) {
      const input = sizes[0] === 1 ? data.subarray(0, 188 * 30) : data; // byte-by-byte is slow: keep it short
      const a = new PacketAligner();
      const out = feed(a, input, sizes);
      // The last packet is held back only when sync could not be confirmed; here all are whole.
      expect(out.length % 188).toBe(0);
      expect(out).toEqual(input.subarray(0, out.length));
      expect(out.length).toBeGreaterThanOrEqual(input.length - 188);
      expect(a.droppedBytes).toBe(0);
    }
    const parts = new PacketAligner();
    expect(parts.push(data.subarray(0, 476)).length).toBe(376); // in sync, 100-byte tail kept
    const p = parts.pushParts(data.subarray(476, 1400));
    expect(p.map((b) => b.length)).toEqual([188, 188 * 4]);
    expect(p[1]!.buffer).toBe(data.buffer); // the rest is a view, not a copy
  });

  it('skips leading garbage and resyncs after mid-stream garbage', () => {
    const garbage = Buffer.from('<html><body>oops 47 G G G</body></html>'.repeat(5));
    garbage[10] = 0x47; // a lone sync byte that must not fool it
    const a = new PacketAligner();
    const data = Buffer.concat([garbage, packets(5), garbage.subarray(0, 77), packets(5, 5)]);
    const out = feed(a, data, [100, 33, 512]);
    // Packet 4 is not followed by a sync byte, so it cannot be trusted and is dropped with the garbage.
    expect(a.droppedBytes).toBe(garbage.length + 188 + 77);
    expect(out).toEqual(Buffer.concat([packets(4), packets(5, 5)]));
  });

  it('recovers when a packet is truncated (bytes missing) mid-stream', () => {
    const whole = packets(6);
    const cut = Buffer.concat([whole.subarray(0, 188 * 2 + 50), whole.subarray(188 * 3)]); // packet 2 loses 138 bytes
    const a = new PacketAligner();
    const out = a.push(cut);
    // The damaged packet is recognised (no sync byte 188 bytes later) and dropped; 3, 4, 5 survive.
    expect(out).toEqual(Buffer.concat([whole.subarray(0, 376), whole.subarray(188 * 3)]));
    expect(a.droppedBytes).toBe(50);
  });

  it('gives up after 64 KiB of non-TS but keeps scanning; reset drops the tail', () => {
    const a = new PacketAligner();
    const junk = Buffer.alloc(MAX_RESYNC_BYTES + 1000, 0x20);
    expect(a.push(junk).length).toBe(0);
    expect(a.gaveUp).toBe(true);
    expect(a.push(packets(3)).length).toBe(188 * 3);
    expect(a.gaveUp).toBe(false);
    a.push(packets(1).subarray(0, 100));
    a.reset();
    expect(a.push(packets(2)).equals(packets(2))).toBe(true);
  });
});
