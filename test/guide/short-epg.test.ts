import { describe, expect, it } from 'vitest';
import { decodeBase64Lenient, parseShortEpg } from '../../src/guide/short-epg.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('decodeBase64Lenient', () => {
  it('decodes standard and URL-safe, padded or not; keeps plain text', () => {
    expect(decodeBase64Lenient(b64('News at Six'))).toBe('News at Six');
    expect(decodeBase64Lenient(b64('Ünïcode ? >>'))).toBe('Ünïcode ? >>');
    expect(
      decodeBase64Lenient(b64('Ünïcode ? >>').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')),
    ).toBe('Ünïcode ? >>');
    expect(decodeBase64Lenient('not base64 !!')).toBe('not base64 !!');
    expect(decodeBase64Lenient('%%%%')).toBe('%%%%');
    expect(decodeBase64Lenient('News')).toBe('News');
    expect(decodeBase64Lenient(Buffer.from([0xff, 0xfe, 0x41]).toString('base64'))).toBe('//5B');
  });
});

describe('parseShortEpg', () => {
  const base = {
    id: '1',
    epg_id: '63',
    title: b64('News at Six'),
    lang: 'en',
    start: '2025-02-24 00:11:24',
    end: '2025-02-24 00:58:48',
    description: b64('The latest headlines.'),
    channel_id: 'BBC1London.uk',
    start_timestamp: '1740355884',
    stop_timestamp: '1740358728',
  };

  it('prefers timestamps and decodes text', () => {
    const r = parseShortEpg({ epg_listings: [base] }, { channel: 'k' });
    expect(r.programmes).toEqual([
      {
        channel: 'k',
        start: 1740355884000,
        stop: 1740358728000,
        titles: [{ text: 'News at Six', lang: 'en' }],
        descs: [{ text: 'The latest headlines.', lang: 'en' }],
      },
    ]);
  });

  it('falls back to local-time strings, `stop` for `end`, and a Unix time in `end`', () => {
    const { start_timestamp: _a, stop_timestamp: _b, ...noTs } = base;
    const local = parseShortEpg({ epg_listings: [noTs] }, { channel: 'k', serverOffsetMinutes: 60 });
    expect(local.programmes[0]?.start).toBe(Date.UTC(2025, 1, 23, 23, 11, 24));
    const xcvm = parseShortEpg(
      { epg_listings: [{ ...noTs, end: '1740358728', stop: '2025-02-24 00:58:48' }] },
      { channel: 'k' },
    );
    expect(xcvm.programmes[0]?.stop).toBe(Date.UTC(2025, 1, 24, 0, 58, 48));
    const onlyEnd = parseShortEpg({ epg_listings: [{ ...noTs, end: 1740358728 }] }, { channel: 'k' });
    expect(onlyEnd.programmes[0]?.stop).toBe(1740358728000);
  });

  it('accepts the multi-stream object form and a bare array; applies the time shift', () => {
    const obj = parseShortEpg(
      {
        epg_listings: {
          '12': [base],
          '13': [{ ...base, start_timestamp: '1740358728', stop_timestamp: '1740362328' }],
        },
      },
      { channel: 'k', timeShiftMinutes: 60 },
    );
    expect(obj.programmes.map((p) => p.start)).toEqual([1740355884000 + 3600_000, 1740358728000 + 3600_000]);
    expect(parseShortEpg([base], { channel: 'k' }).programmes.length).toBe(1);
    expect(parseShortEpg([], { channel: 'k' }).programmes).toEqual([]);
  });

  it('drops unusable listings and survives junk', () => {
    const r = parseShortEpg(
      {
        epg_listings: [
          { ...base, start_timestamp: '5', stop_timestamp: '3', start: 'x', end: 'y' },
          { ...base, title: '' },
          null,
          7,
        ],
      },
      { channel: 'k' },
    );
    expect(r.programmes).toEqual([]);
    expect(r.problems.length).toBe(2);
    expect(parseShortEpg('<html>', { channel: 'k' }).problems).toEqual(['response has no epg_listings']);
    expect(parseShortEpg({ user_info: {} }, { channel: 'k' }).programmes).toEqual([]);
  });
});
