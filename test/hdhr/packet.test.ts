import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  decodeTlvs,
  encodeFrame,
  encodeTlvs,
  FrameReader,
  PacketType,
  stringTlv,
  Tag,
  type Tlv,
  u32Tlv,
  u8Tlv,
} from '../../src/hdhr/packet.js';
import { bytes, V } from './vectors.js';

const W = 0xffffffff;
const expected: Record<string, { type: number; tlvs: Tlv[] }> = {
  A: { type: 2, tlvs: [u32Tlv(Tag.DEVICE_TYPE, 1), u32Tlv(Tag.DEVICE_ID, W)] },
  B: { type: 2, tlvs: [u32Tlv(Tag.DEVICE_TYPE, W), u32Tlv(Tag.DEVICE_ID, W)] },
  C: { type: 2, tlvs: [u32Tlv(Tag.DEVICE_TYPE, W)] },
  D: { type: 2, tlvs: [{ tag: Tag.MULTI_TYPE, value: bytes('00 00 00 01 00 00 00 05') }] },
  E: { type: 2, tlvs: [u32Tlv(Tag.DEVICE_TYPE, W), u32Tlv(Tag.DEVICE_ID, 0x1053c0ca)] },
  F: { type: 2, tlvs: [u32Tlv(Tag.DEVICE_TYPE, 1)] },
  G: {
    type: 3,
    tlvs: [
      u32Tlv(Tag.DEVICE_TYPE, 1),
      u32Tlv(Tag.DEVICE_ID, 0x1053c0ca),
      u8Tlv(Tag.TUNER_COUNT, 2),
      stringTlv(Tag.BASE_URL, 'http://192.168.1.50:5004'),
      stringTlv(Tag.LINEUP_URL, 'http://192.168.1.50:5004/lineup.json'),
    ],
  },
  getModel: { type: 4, tlvs: [stringTlv(Tag.GETSET_NAME, '/sys/model', true)] },
  modelReply: {
    type: 5,
    tlvs: [
      stringTlv(Tag.GETSET_NAME, '/sys/model', true),
      stringTlv(Tag.GETSET_VALUE, 'hdhomerun4_atsc', true),
    ],
  },
  versionError: {
    type: 5,
    tlvs: [
      stringTlv(Tag.GETSET_NAME, '/sys/version', true),
      stringTlv(Tag.ERROR_MESSAGE, 'ERROR: unknown getset variable', true),
    ],
  },
};

describe('reference vectors (§3.6 A–G, §5.3)', () => {
  for (const [name, { type, tlvs }] of Object.entries(expected)) {
    const wire = V[name as keyof typeof V];
    it(`${name}: encodes byte-exact`, () => {
      expect(encodeFrame(type, tlvs).toString('hex')).toBe(wire.toString('hex'));
    });
    it(`${name}: decodes to the same type and TLVs`, () => {
      const f = decodeFrame(wire);
      expect(f.ok).toBe(true);
      if (!f.ok) return;
      expect(f.type).toBe(type);
      expect(f.tlvs.map((t) => [t.tag, t.value.toString('hex')])).toEqual(
        tlvs.map((t) => [t.tag, t.value.toString('hex')]),
      );
    });
  }
  it('G is 87 bytes with a little-endian CRC over header+payload', () => {
    expect(V.G.length).toBe(87);
    expect(V.G.readUInt32LE(83)).toBe(0xd350ee5f);
    expect(crc32(V.G.subarray(0, 83))).toBe(0xd350ee5f);
  });
});

describe('TLV lengths', () => {
  it('uses one length byte up to 127 and two from 128 (200 → C8 01)', () => {
    expect(
      encodeTlvs([{ tag: 0x27, value: Buffer.alloc(127) }])
        .subarray(0, 2)
        .toString('hex'),
    ).toBe('277f');
    expect(
      encodeTlvs([{ tag: 0x27, value: Buffer.alloc(128) }])
        .subarray(0, 3)
        .toString('hex'),
    ).toBe('278001');
    expect(
      encodeTlvs([{ tag: 0x27, value: Buffer.alloc(200) }])
        .subarray(0, 3)
        .toString('hex'),
    ).toBe('27c801');
  });

  it('round-trips long values and keeps unknown tags in order', () => {
    const tlvs = [
      { tag: 0x99, value: Buffer.from('future') },
      { tag: 0x27, value: Buffer.alloc(300, 0x61) },
      { tag: 0x00, value: Buffer.alloc(0) },
    ];
    const d = decodeTlvs(encodeTlvs(tlvs));
    expect(d.ok && d.tlvs.map((t) => [t.tag, t.value.length])).toEqual([
      [0x99, 6],
      [0x27, 300],
      [0x00, 0],
    ]);
  });

  it.each([
    ['tag without length', '01'],
    ['two-byte length cut', '01 80'],
    ['value overruns', '01 04 00 00 00'],
    ['two-byte length overruns', '27 c8 01 41 42'],
  ])('rejects %s', (_n, hex) => {
    const d = decodeTlvs(bytes(hex));
    expect(d.ok).toBe(false);
  });

  it('refuses to encode a value longer than a two-byte length allows', () => {
    expect(() => encodeTlvs([{ tag: 1, value: Buffer.alloc(0x8000) }])).toThrow(RangeError);
  });
});

/** Build a frame with a correct CRC over arbitrary header+payload bytes. */
function seal(headerAndPayload: Buffer): Buffer {
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(headerAndPayload));
  return Buffer.concat([headerAndPayload, crc]);
}

describe('decodeFrame rejects malformed input', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['zero-length buffer', Buffer.alloc(0), /too short/],
    ['truncated (header only)', V.C.subarray(0, 4), /too short/],
    ['truncated (CRC cut)', V.C.subarray(0, V.C.length - 1), /does not match/],
    ['trailing garbage', Buffer.concat([V.C, Buffer.of(0)]), /does not match/],
    ['bad CRC', Buffer.concat([V.C.subarray(0, 10), Buffer.from('00000000', 'hex')]), /CRC/],
    ['flipped payload bit', Buffer.from(V.E.map((b, i) => (i === 13 ? b ^ 1 : b))), /CRC/],
    ['oversized datagram', seal(Buffer.concat([bytes('00 02 05 B1'), Buffer.alloc(1457)])), /too long/],
    ['length field above 1452', seal(Buffer.concat([bytes('00 02 05 AD'), Buffer.alloc(12)])), /exceeds/],
    ['bad TLV length inside a good CRC', seal(bytes('00 02 00 03 01 04 00')), /overruns/],
    ['garbage', Buffer.from('GET / HTTP/1.1\r\n\r\n'), /exceeds/],
  ];
  it.each(cases)('%s', (_n, buf, reason) => {
    const d = decodeFrame(buf);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason).toMatch(reason);
  });

  it('accepts an empty payload and the largest payload', () => {
    const empty = encodeFrame(PacketType.DISCOVER_REQ, []);
    expect(empty.toString('hex')).toBe(seal(bytes('00 02 00 00')).toString('hex'));
    expect(decodeFrame(empty)).toMatchObject({ ok: true, type: 2, tlvs: [] });
    const max = encodeFrame(5, [{ tag: 4, value: Buffer.alloc(1452 - 3) }]);
    expect(max.length).toBe(1460);
    expect(decodeFrame(max).ok).toBe(true);
    expect(() => encodeFrame(5, [{ tag: 4, value: Buffer.alloc(1452 - 2) }])).toThrow(RangeError);
  });
});

describe('FrameReader', () => {
  it('yields whole frames however the stream is cut', () => {
    const stream = Buffer.concat([V.getModel, V.modelReply, V.versionError]);
    for (const step of [1, 3, 7, stream.length]) {
      const r = new FrameReader();
      const got: number[] = [];
      for (let i = 0; i < stream.length; i += step) {
        const out = r.push(stream.subarray(i, i + step));
        expect(out.error).toBeUndefined();
        got.push(...out.frames.map((f) => f.type));
      }
      expect(got).toEqual([4, 5, 5]);
      expect(r.pending).toBe(0);
    }
  });

  it('keeps a partial frame pending', () => {
    const r = new FrameReader();
    expect(r.push(V.getModel.subarray(0, 10)).frames).toEqual([]);
    expect(r.pending).toBe(10);
    const out = r.push(V.getModel.subarray(10));
    expect(out.frames).toHaveLength(1);
  });

  it('reports a bad CRC after earlier good frames, then stays failed', () => {
    const bad = Buffer.from(V.getModel);
    bad[bad.length - 1]! ^= 0xff;
    const r = new FrameReader();
    const out = r.push(Buffer.concat([V.getModel, bad, V.getModel]));
    expect(out.frames).toHaveLength(1);
    expect(out.error).toMatch(/CRC/);
    expect(r.push(V.getModel)).toEqual({ frames: [], error: out.error });
  });

  it('fails immediately on an oversized length without waiting for the bytes', () => {
    const out = new FrameReader().push(bytes('00 04 FF FF'));
    expect(out.error).toMatch(/exceeds/);
  });

  it('fails on garbage such as an HTTP request', () => {
    const out = new FrameReader().push(Buffer.from('GET /sys/model HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(out.error).toBeDefined();
  });
});
