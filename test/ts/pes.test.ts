import { describe, expect, it } from 'vitest';
import {
  add33,
  diff33,
  encodeTimestamp,
  pesPayloadIndex,
  ptsDtsFlags,
  readDts,
  readPts,
  readTimestamp,
  shiftPesTimestamps,
  writeTimestamp,
} from '../../src/ts/pes.js';

const WRAP = 2 ** 33;
// PES header of ffmpeg's first H.264 frame: PTS 133200 (1.48 s), DTS 126000 (1.4 s).
const FFMPEG_PES = Buffer.from('000001e0000080c00a31000910a1110007d861', 'hex');

describe('PES timestamps', () => {
  it('reads PTS and DTS from a real ffmpeg PES header', () => {
    const b = Buffer.concat([FFMPEG_PES, Buffer.alloc(20)]);
    expect(ptsDtsFlags(b, 0, b.length)).toBe(3);
    expect(readPts(b, 0, b.length)).toBe(133200);
    expect(readDts(b, 0, b.length)).toBe(126000);
    expect(pesPayloadIndex(b, 0, b.length)).toBe(19);
  });

  it('encodes byte-exactly with prefix and marker bits', () => {
    const b = Buffer.alloc(5);
    encodeTimestamp(b, 0, 133200, 0b0011);
    expect(b.toString('hex')).toBe('31000910a1');
    encodeTimestamp(b, 0, WRAP - 1, 0b0010);
    expect(b.toString('hex')).toBe('2fffffffff');
  });

  it('round-trips values across the whole 33-bit range and wraps modulo 2^33', () => {
    const b = Buffer.alloc(5);
    for (const v of [0, 1, 2 ** 30 - 1, 2 ** 30, 2 ** 32, 2 ** 32 + 12345, WRAP - 1]) {
      encodeTimestamp(b, 0, v, 2);
      expect(readTimestamp(b, 0)).toBe(v);
    }
    writeTimestamp(b, 0, WRAP + 90);
    expect(readTimestamp(b, 0)).toBe(90);
    writeTimestamp(b, 0, -90);
    expect(readTimestamp(b, 0)).toBe(WRAP - 90);
    expect(b[0]! >> 4).toBe(2); // prefix preserved
  });

  it('add33 / diff33 handle wrap', () => {
    expect(add33(WRAP - 10, 25)).toBe(15);
    expect(add33(5, -10)).toBe(WRAP - 5);
    expect(diff33(15, WRAP - 10)).toBe(25); // forward across the wrap
    expect(diff33(WRAP - 10, 15)).toBe(-25);
    expect(diff33(1000, 400)).toBe(600);
    expect(diff33(400, 1000)).toBe(-600);
  });

  it('shifts PTS and DTS in place across the wrap', () => {
    const b = Buffer.from(FFMPEG_PES);
    shiftPesTimestamps(b, 0, b.length, WRAP - 126000 + 10);
    expect(readDts(b, 0, b.length)).toBe(10);
    expect(readPts(b, 0, b.length)).toBe(7210);
    expect(b.subarray(0, 9).equals(FFMPEG_PES.subarray(0, 9))).toBe(true);
  });

  it('ignores malformed or truncated headers', () => {
    const b = Buffer.from(FFMPEG_PES);
    expect(ptsDtsFlags(b, 0, 16)).toBe(0); // DTS would run past the end
    expect(readPts(b, 1, b.length)).toBeUndefined(); // no start code
    const pad = Buffer.from('000001be0004ffffffff', 'hex'); // padding stream has no PES header fields
    expect(ptsDtsFlags(pad, 0, pad.length)).toBe(0);
    const badLen = Buffer.from(FFMPEG_PES);
    badLen[8] = 3; // header length too short for PTS+DTS
    expect(readPts(badLen, 0, badLen.length)).toBeUndefined();
    const before = Buffer.from(b);
    shiftPesTimestamps(b, 0, 16, 1000);
    expect(b.equals(before)).toBe(true);
  });
});
