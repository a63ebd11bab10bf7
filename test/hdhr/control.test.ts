import { describe, expect, it } from 'vitest';
import {
  chainProviders,
  type GetSetRequest,
  handleGetSet,
  IDLE_TUNER_STATUS,
  systemVariables,
  type VariableProvider,
} from '../../src/hdhr/control.js';
import {
  decodeFrame,
  encodeFrame,
  type Frame,
  PacketType,
  stringTlv,
  Tag,
  tlvString,
  u32Tlv,
} from '../../src/hdhr/packet.js';
import { V } from './vectors.js';

let tuners = 2;
const sys = systemVariables({
  firmwareName: 'hdhomerun4_atsc',
  modelNumber: 'HDHR4-2US',
  firmwareVersion: '20200101',
  tunerCount: () => tuners,
});

function frameOf(buf: Buffer): Frame {
  const f = decodeFrame(buf);
  if (!f.ok) throw new Error(f.reason);
  return f;
}

const request = (name: string, value?: string) =>
  frameOf(
    encodeFrame(PacketType.GETSET_REQ, [
      stringTlv(Tag.GETSET_NAME, name, true),
      ...(value === undefined ? [] : [stringTlv(Tag.GETSET_VALUE, value, true)]),
    ]),
  );

/** Decode a reply into [tag, text] pairs (text without the NUL), checking the frame type. */
function reply(buf: Buffer): [number, string][] {
  const f = frameOf(buf);
  expect(f.type).toBe(PacketType.GETSET_RPY);
  for (const t of f.tlvs) expect(t.value[t.value.length - 1]).toBe(0);
  return f.tlvs.map((t) => [t.tag, tlvString(t.value)]);
}

describe('handleGetSet with the §5.3 vectors', () => {
  it('get /sys/model → byte-exact model reply', () => {
    expect(handleGetSet(frameOf(V.getModel), sys).toString('hex')).toBe(V.modelReply.toString('hex'));
  });

  it('unknown variable → byte-exact ERROR_MESSAGE reply', () => {
    const none: VariableProvider = { getset: () => undefined };
    const req = frameOf(
      encodeFrame(PacketType.GETSET_REQ, [stringTlv(Tag.GETSET_NAME, '/sys/version', true)]),
    );
    expect(handleGetSet(req, none).toString('hex')).toBe(V.versionError.toString('hex'));
  });
});

describe('system variables', () => {
  it.each([
    ['/sys/hwmodel', 'HDHR4-2US'],
    ['/sys/version', '20200101'],
    ['/tuner0/status', IDLE_TUNER_STATUS],
    ['/tuner1/status', IDLE_TUNER_STATUS],
  ])('%s → %s, NAME first then VALUE', (name, value) => {
    expect(reply(handleGetSet(request(name), sys))).toEqual([
      [Tag.GETSET_NAME, name],
      [Tag.GETSET_VALUE, value],
    ]);
  });

  it('idle status string is the real device wording', () => {
    expect(IDLE_TUNER_STATUS).toBe('ch=none lock=none ss=0 snq=0 seq=0 bps=0 pps=0');
  });

  it('features, copyright and debug have values', () => {
    for (const name of ['/sys/features', '/sys/copyright', '/sys/debug']) {
      const [[, n], [tag, v]] = reply(handleGetSet(request(name), sys)) as [
        [number, string],
        [number, string],
      ];
      expect(n).toBe(name);
      expect(tag).toBe(Tag.GETSET_VALUE);
      expect(v.length).toBeGreaterThan(0);
    }
  });

  it('tuner status follows the live tuner count', () => {
    tuners = 2;
    expect(reply(handleGetSet(request('/tuner2/status'), sys))[1]).toEqual([
      Tag.ERROR_MESSAGE,
      'ERROR: unknown getset variable',
    ]);
    tuners = 3;
    expect(reply(handleGetSet(request('/tuner2/status'), sys))[1]).toEqual([
      Tag.GETSET_VALUE,
      IDLE_TUNER_STATUS,
    ]);
    tuners = 2;
  });

  it('refuses to set read-only variables and unknown ones', () => {
    expect(reply(handleGetSet(request('/sys/model', 'x'), sys))[1]![0]).toBe(Tag.ERROR_MESSAGE);
    expect(reply(handleGetSet(request('/sys/nothing'), sys))[1]).toEqual([
      Tag.ERROR_MESSAGE,
      'ERROR: unknown getset variable',
    ]);
  });

  it('help lists every variable of every provider', () => {
    const tuning: VariableProvider = {
      getset: () => undefined,
      help: () => ['/tuner<n>/channel <modulation>:<freq>'],
    };
    const [, [tag, text]] = reply(handleGetSet(request('help'), chainProviders(tuning, sys))) as [
      [number, string],
      [number, string],
    ];
    expect(tag).toBe(Tag.GETSET_VALUE);
    expect(text.split('\n')[0]).toBe('Supported configuration options:');
    for (const v of ['/sys/model', '/sys/hwmodel', '/sys/version', '/tuner<n>/status', '/tuner<n>/channel']) {
      expect(text).toContain(v);
    }
  });
});

describe('request parsing and provider chaining', () => {
  it('passes NAME, VALUE and LOCKKEY to the first provider that answers', () => {
    const seen: GetSetRequest[] = [];
    const tuning: VariableProvider = {
      getset(req) {
        seen.push(req);
        return req.name === '/tuner0/channel' ? { value: req.value ?? 'none' } : undefined;
      },
    };
    const f = frameOf(
      encodeFrame(PacketType.GETSET_REQ, [
        stringTlv(Tag.GETSET_NAME, '/tuner0/channel', true),
        stringTlv(Tag.GETSET_VALUE, 'auto:647000000', true),
        u32Tlv(Tag.GETSET_LOCKKEY, 0xdeadbeef),
      ]),
    );
    expect(reply(handleGetSet(f, chainProviders(tuning, sys)))).toEqual([
      [Tag.GETSET_NAME, '/tuner0/channel'],
      [Tag.GETSET_VALUE, 'auto:647000000'],
    ]);
    expect(seen[0]).toEqual({ name: '/tuner0/channel', value: 'auto:647000000', lockkey: 0xdeadbeef });
    // falls through to the system provider
    expect(reply(handleGetSet(request('/sys/model'), chainProviders(tuning, sys)))[1]).toEqual([
      Tag.GETSET_VALUE,
      'hdhomerun4_atsc',
    ]);
  });

  it('accepts names without a trailing NUL, and answers a request without NAME with an error', () => {
    const noNul = frameOf(encodeFrame(PacketType.GETSET_REQ, [stringTlv(Tag.GETSET_NAME, '/sys/model')]));
    expect(reply(handleGetSet(noNul, sys))[1]).toEqual([Tag.GETSET_VALUE, 'hdhomerun4_atsc']);
    const empty = frameOf(encodeFrame(PacketType.GETSET_REQ, [u32Tlv(Tag.GETSET_LOCKKEY, 1)]));
    const r = reply(handleGetSet(empty, sys));
    expect(r[0]).toEqual([Tag.GETSET_NAME, '']);
    expect(r[1]![0]).toBe(Tag.ERROR_MESSAGE);
  });

  it('shortens a value too long for one frame instead of failing', () => {
    const big: VariableProvider = { getset: () => ({ value: 'x'.repeat(5000) }) };
    const out = handleGetSet(request('/big'), big);
    expect(out.length).toBeLessThanOrEqual(1460);
    const [, [, v]] = reply(out) as [[number, string], [number, string]];
    expect(v.length).toBeGreaterThan(1400);
  });
});
