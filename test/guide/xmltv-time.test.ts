import { describe, expect, it } from 'vitest';
import { formatXmltvTime, parseXmltvTime, parseXtreamLocalTime } from '../../src/guide/xmltv-time.js';

const utc = (...a: [number, number, number, number?, number?, number?]): number =>
  Date.UTC(a[0], a[1] - 1, a[2], a[3] ?? 0, a[4] ?? 0, a[5] ?? 0);

describe('parseXmltvTime', () => {
  it.each([
    ['20250224001124 +0000', utc(2025, 2, 24, 0, 11, 24)],
    ['20250224001124 +0100', utc(2025, 2, 23, 23, 11, 24)],
    ['20250224001124 -0430', utc(2025, 2, 24, 4, 41, 24)],
    ['20250224001124 +01:00', utc(2025, 2, 23, 23, 11, 24)],
    ['20250224001124', utc(2025, 2, 24, 0, 11, 24)],
    ['202502240011', utc(2025, 2, 24, 0, 11)],
    ['20250224', utc(2025, 2, 24)],
    ['2025', utc(2025, 1, 1)],
    ['20250224001124 BST', utc(2025, 2, 23, 23, 11, 24)],
    ['20250224001124 EST', utc(2025, 2, 24, 5, 11, 24)],
    ['20250224001124 UTC', utc(2025, 2, 24, 0, 11, 24)],
    ['20241231235959 -0100', utc(2025, 1, 1, 0, 59, 59)],
    ['20240229120000 +0000', utc(2024, 2, 29, 12)],
    [' 20250224001124 +0000 ', utc(2025, 2, 24, 0, 11, 24)],
  ])('%s', (s, want) => {
    expect(parseXmltvTime(s)).toBe(want);
  });

  it.each([
    '',
    'tomorrow',
    '2025-02-24 00:11:24',
    '20251324000000 +0000',
    '20250224006100 +0000',
    '2025022400112x +0000',
  ])('rejects %j', (s) => {
    expect(parseXmltvTime(s)).toBeUndefined();
  });
});

describe('parseXmltvTime, repeated', () => {
  it('gives the same answers when times repeat, sliced out of larger text or not', () => {
    const text = 'x'.repeat(200) + '20250224001124 +0100|20250224001124 +0000|2025022400112x +0000';
    for (let i = 0; i < 3; i++) {
      expect(parseXmltvTime(text.slice(200, 220))).toBe(utc(2025, 2, 23, 23, 11, 24));
      expect(parseXmltvTime(text.slice(221, 241))).toBe(utc(2025, 2, 24, 0, 11, 24));
      expect(parseXmltvTime(text.slice(242))).toBeUndefined();
    }
  });
});

describe('formatXmltvTime', () => {
  it('formats times that share a cache slot correctly, in any order', () => {
    const t = utc(2025, 3, 9, 7, 5, 0);
    // Same minute slot (seconds differ), and 1024 minutes apart.
    const times = [t, t + 30_000, t + 1024 * 60_000, t + 59_000];
    const want = times.map((ms) => new Date(ms).toISOString().replace(/\D/g, '').slice(0, 14) + ' +0000');
    for (let round = 0; round < 3; round++) {
      for (const i of round === 1 ? [3, 2, 1, 0] : [0, 1, 2, 3])
        expect(formatXmltvTime(times[i] as number)).toBe(want[i]);
    }
  });

  it('writes UTC with an explicit zone and round-trips', () => {
    const t = utc(2025, 3, 9, 7, 5, 3);
    expect(formatXmltvTime(t)).toBe('20250309070503 +0000');
    expect(parseXmltvTime(formatXmltvTime(t))).toBe(t);
    expect(formatXmltvTime(utc(1999, 12, 31, 23, 59, 59))).toBe('19991231235959 +0000');
  });
});

describe('parseXtreamLocalTime', () => {
  it('reads panel local time and applies the server offset', () => {
    expect(parseXtreamLocalTime('2025-02-24 00:11:24')).toBe(utc(2025, 2, 24, 0, 11, 24));
    expect(parseXtreamLocalTime('2025-02-24 00:11:24', 60)).toBe(utc(2025, 2, 23, 23, 11, 24));
    expect(parseXtreamLocalTime('1740355884')).toBeUndefined();
  });
});
