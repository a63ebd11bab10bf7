import { describe, expect, it } from 'vitest';
import {
  afcOf,
  ccOf,
  hasPayload,
  isRandomAccess,
  nullPackets,
  packetValid,
  payloadOffset,
  pidOf,
  pusiOf,
  readPcr,
  setCc,
  setPid,
  writePcr,
} from '../../src/ts/packet.js';
import { PCR_WRAP } from '../../src/ts/constants.js';

// First PCR-carrying video packet of an ffmpeg 5.1 mpegts mux (header + AF + start of PES).
const FFMPEG_PCR_PACKET = Buffer.from('47410030075000007b0c7e00000001e0000080c00a31000910a1110007d8', 'hex');

function packetFrom(prefix: Buffer): Buffer {
  const p = Buffer.alloc(188, 0xff);
  prefix.copy(p);
  return p;
}

describe('packet header accessors', () => {
  it('reads the fields of a real ffmpeg packet', () => {
    const p = packetFrom(FFMPEG_PCR_PACKET);
    expect(pidOf(p, 0)).toBe(0x100);
    expect(pusiOf(p, 0)).toBe(true);
    expect(afcOf(p, 0)).toBe(3);
    expect(ccOf(p, 0)).toBe(0);
    expect(hasPayload(p, 0)).toBe(true);
    expect(payloadOffset(p, 0)).toBe(4 + 1 + 7);
    expect(isRandomAccess(p, 0)).toBe(true);
    // base 0x7b0c << 1 = 63000 (0.7 s at 90 kHz), extension 0
    expect(readPcr(p, 0)).toBe(63000 * 300);
  });

  it('works at a non-zero offset and rewrites PID/CC without touching other bits', () => {
    const buf = Buffer.concat([Buffer.alloc(188 * 2, 0), packetFrom(FFMPEG_PCR_PACKET)]);
    const off = 376;
    setPid(buf, off, 0x1abc);
    setCc(buf, off, 0x1f); // only the low nibble may be used
    expect(pidOf(buf, off)).toBe(0x1abc);
    expect(ccOf(buf, off)).toBe(0xf);
    expect(pusiOf(buf, off)).toBe(true);
    expect(afcOf(buf, off)).toBe(3);
    expect(buf.subarray(off, off + 4).toString('hex')).toBe('475abc3f');
  });

  it('PCR encode/decode round-trips, including extension and the 2^33 wrap', () => {
    const p = packetFrom(FFMPEG_PCR_PACKET);
    for (const v of [0, 299, 300, 27_000_000 * 3600 + 123, 2 ** 33 * 300 - 1, 2 ** 32 * 300 + 7]) {
      expect(writePcr(p, 0, v)).toBe(true);
      expect(readPcr(p, 0)).toBe(v);
      expect(p[10]! & 0x7e).toBe(0x7e); // reserved bits stay 1
    }
    writePcr(p, 0, PCR_WRAP + 600); // wraps
    expect(readPcr(p, 0)).toBe(600);
    writePcr(p, 0, -300); // negative wraps to the top
    expect(readPcr(p, 0)).toBe(PCR_WRAP - 300);
  });

  it('encodes a PCR byte-exactly', () => {
    const p = packetFrom(FFMPEG_PCR_PACKET);
    // base 2^32 + 5 (needs bit 32), ext 299 (needs bit 8)
    writePcr(p, 0, (2 ** 32 + 5) * 300 + 299);
    expect(p.subarray(6, 12).toString('hex')).toBe('80000002' + 'ff' + '2b');
  });

  it('reports no PCR / no payload for packets without them, and rejects bad AF lengths', () => {
    const payloadOnly = packetFrom(Buffer.from('47010011', 'hex'));
    expect(readPcr(payloadOnly, 0)).toBeUndefined();
    expect(writePcr(payloadOnly, 0, 1)).toBe(false);
    expect(payloadOffset(payloadOnly, 0)).toBe(4);
    expect(isRandomAccess(payloadOnly, 0)).toBe(false);

    const afOnly = packetFrom(Buffer.from('47010020b740', 'hex'));
    expect(hasPayload(afOnly, 0)).toBe(false);
    expect(payloadOffset(afOnly, 0)).toBe(-1);
    expect(isRandomAccess(afOnly, 0)).toBe(true);
    expect(packetValid(afOnly, 0)).toBe(true);

    const overlong = packetFrom(Buffer.from('47010030c8', 'hex')); // AF length 200
    expect(payloadOffset(overlong, 0)).toBe(-1);
    expect(readPcr(overlong, 0)).toBeUndefined();
    expect(packetValid(overlong, 0)).toBe(false);

    const shortAf = packetFrom(Buffer.from('470100300310', 'hex')); // PCR flag but AF too short
    expect(readPcr(shortAf, 0)).toBeUndefined();

    expect(packetValid(packetFrom(Buffer.from('47010001', 'hex')), 0)).toBe(false); // AFC 00
    expect(packetValid(packetFrom(Buffer.from('47810010', 'hex')), 0)).toBe(false); // TEI
    expect(packetValid(packetFrom(Buffer.from('46010010', 'hex')), 0)).toBe(false); // sync
  });

  it('builds canonical null packets', () => {
    const n = nullPackets(3);
    expect(n.length).toBe(564);
    for (let o = 0; o < n.length; o += 188) {
      expect(n.subarray(o, o + 4).toString('hex')).toBe('471fff10');
      expect(n.subarray(o + 4, o + 188).every((b) => b === 0xff)).toBe(true);
    }
    expect(nullPackets(0).length).toBe(0);
  });
});
