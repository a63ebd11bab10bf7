import { describe, expect, it } from 'vitest';
import {
  buildDiscoverReply,
  oversizedReplyFields,
  parseDiscoverRequest,
  shouldAnswer,
} from '../../src/hdhr/discover.js';
import { decodeFrame, encodeFrame, type Frame, PacketType, Tag, u32Tlv } from '../../src/hdhr/packet.js';
import { V } from './vectors.js';

const OUR_ID = 0x1053c0ca;

function frameOf(buf: Buffer): Frame {
  const f = decodeFrame(buf);
  if (!f.ok) throw new Error(f.reason);
  return f;
}

describe('parseDiscoverRequest + shouldAnswer on every request variant of §3.3', () => {
  it.each([
    ['A classic tuner + wildcard id', V.A, { types: [1], deviceId: 0xffffffff }, true],
    ['B Jellyfin/Emby wildcard + wildcard', V.B, { types: [0xffffffff], deviceId: 0xffffffff }, true],
    ['C modern hdhomerun_config', V.C, { types: [0xffffffff] }, true],
    ['D multi-type tuner + storage', V.D, { types: [1, 5] }, true],
    ['E looking for us', V.E, { types: [0xffffffff], deviceId: OUR_ID }, true],
    ['F modern, tuner only', V.F, { types: [1] }, true],
  ] as const)('%s', (_n, wire, req, answer) => {
    const parsed = parseDiscoverRequest(frameOf(wire));
    expect(parsed).toEqual(req);
    expect(shouldAnswer(parsed!, OUR_ID)).toBe(answer);
  });

  it('stays silent for another device, a storage-only request, and non-requests', () => {
    const other = encodeFrame(PacketType.DISCOVER_REQ, [
      u32Tlv(Tag.DEVICE_TYPE, 1),
      u32Tlv(Tag.DEVICE_ID, 0x12345674),
    ]);
    expect(shouldAnswer(parseDiscoverRequest(frameOf(other))!, OUR_ID)).toBe(false);
    const storage = encodeFrame(PacketType.DISCOVER_REQ, [u32Tlv(Tag.DEVICE_TYPE, 5)]);
    expect(shouldAnswer(parseDiscoverRequest(frameOf(storage))!, OUR_ID)).toBe(false);
    expect(parseDiscoverRequest(frameOf(V.G))).toBeUndefined();
    expect(parseDiscoverRequest(frameOf(V.getModel))).toBeUndefined();
  });

  it('answers a request with no type tag, and ignores tags with wrong lengths like libhdhomerun', () => {
    const bare = encodeFrame(PacketType.DISCOVER_REQ, []);
    expect(shouldAnswer(parseDiscoverRequest(frameOf(bare))!, OUR_ID)).toBe(true);
    const odd = encodeFrame(PacketType.DISCOVER_REQ, [
      { tag: Tag.DEVICE_ID, value: Buffer.from('123456', 'hex') }, // 3 bytes: ignored
      { tag: Tag.MULTI_TYPE, value: Buffer.from('000000050000', 'hex') }, // not ×4: ignored
      { tag: 0x77, value: Buffer.from('future') },
      u32Tlv(Tag.DEVICE_TYPE, 1),
    ]);
    expect(parseDiscoverRequest(frameOf(odd))).toEqual({ types: [1] });
  });
});

describe('buildDiscoverReply', () => {
  it('reproduces vector G byte-exact', () => {
    const reply = buildDiscoverReply({
      deviceId: '1053C0CA',
      tunerCount: 2,
      baseUrl: 'http://192.168.1.50:5004',
      lineupUrl: 'http://192.168.1.50:5004/lineup.json',
    });
    expect(reply.toString('hex')).toBe(V.G.toString('hex'));
  });

  it('appends DEVICE_AUTH_STR last when given', () => {
    const f = frameOf(
      buildDiscoverReply({
        deviceId: OUR_ID,
        tunerCount: 3,
        baseUrl: 'http://a:1',
        lineupUrl: 'http://a:1/l',
        deviceAuth: 'tok',
      }),
    );
    expect(f.tlvs.map((t) => t.tag)).toEqual([0x01, 0x02, 0x10, 0x2a, 0x27, 0x2b]);
    expect(f.tlvs[5]!.value.toString()).toBe('tok');
    expect(f.tlvs[2]!.value).toEqual(Buffer.of(3));
  });

  it('rejects tuner counts that do not fit one byte and bad IDs', () => {
    const base = { deviceId: OUR_ID, baseUrl: 'http://a:1', lineupUrl: 'http://a:1/l' };
    expect(() => buildDiscoverReply({ ...base, tunerCount: 256 })).toThrow(RangeError);
    expect(() => buildDiscoverReply({ ...base, tunerCount: -1 })).toThrow(RangeError);
    expect(() => buildDiscoverReply({ ...base, deviceId: 'nothex!!', tunerCount: 1 })).toThrow(RangeError);
  });

  it('sends over-long values unchanged but reports them', () => {
    const longHost = 'http://tunerbridge.example.lan:5004';
    const info = { deviceId: OUR_ID, tunerCount: 1, baseUrl: longHost, lineupUrl: `${longHost}/lineup.json` };
    expect(oversizedReplyFields(info)).toEqual(['BaseURL longer than 28 characters']);
    const f = frameOf(buildDiscoverReply(info));
    expect(f.tlvs[3]!.value.toString()).toBe(longHost);
    expect(
      oversizedReplyFields({ ...info, baseUrl: 'http://255.255.255.255:65535', deviceAuth: 'x'.repeat(24) }),
    ).toEqual([]);
    expect(
      oversizedReplyFields({
        ...info,
        baseUrl: 'http://a',
        lineupUrl: 'x'.repeat(128),
        deviceAuth: 'x'.repeat(25),
      }),
    ).toHaveLength(2);
  });
});
