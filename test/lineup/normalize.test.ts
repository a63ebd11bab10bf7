import { describe, expect, it } from 'vitest';
import { normalizeEpgId, normalizeName, qualityOf } from '../../src/lineup/normalize.js';

// The definition normalizeName must keep: this regex pipeline. ASCII names take a hand-written
// single pass that has to give exactly the same result.
function byRegexes(name: string): string {
  let s = name.normalize('NFKC').toLowerCase().trim();
  s = s.replace(/^(\s*(\[[a-z]{2,3}\]|\|?[a-z]{2,3}\s*[:|]|[a-z]{2,3}\s+-\s+))+/, '');
  s = s.replace(/\[[^\]]*\]|\([^)]*\)|\{[^}]*\}/g, ' ');
  s = s.replace(
    /\b(uhd|fhd|hd|sd|hevc|h\.?265|h\.?264|4k|8k|1080[pi]?|720p|576[pi]?|540p|480p|360p|50fps|60fps|hdr|raw|backup)\b/g,
    ' ',
  );
  s = s.replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  return s.length > 0 ? s.replace(/\s+/g, ' ') : name.toLowerCase().replace(/\s+/g, ' ').trim();
}

function qualityByRegexes(name: string): number {
  const s = name.toLowerCase();
  if (/\b(8k|uhd|4k|2160p)\b/.test(s)) return 4;
  if (/\b(fhd|1080[pi]?)\b/.test(s)) return 3;
  if (/\b(hd|720p)\b/.test(s)) return 2;
  if (/\b(sd|576[pi]?|480p|360p)\b/.test(s)) return 1;
  return 0;
}

/** Seeded names built from the pieces the rules care about (prefixes, brackets, tags, separators). */
function names(count: number, seed: number): string[] {
  const parts = (
    'UK~us~FRA~abcd~x~h~.~265~264~HD~fhd~sd~1080p~1080~576i~4K~hevc~raw~Backup~[~]~(~)~{~}~|~:~-~ ~  ~\t~_~2~' +
    'Channel~CNN~ - ~[DE]~|UK|~é~Ⅻ~\u00a0~K~h.265~H.264 ~x.2650'
  ).split('~');
  let state = seed;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: count }, () => {
    let s = '';
    for (let n = 1 + Math.floor(next() * 8); n > 0; n--) s += parts[Math.floor(next() * parts.length)];
    return s;
  });
}

describe('normalizeName', () => {
  it('strips country prefixes, decorations, quality tags and punctuation', () => {
    const cases: [string, string][] = [
      ['US: CNN HD', 'cnn'],
      ['UK | CNN FHD', 'cnn'],
      ['[DE] ZDF (1080p)', 'zdf'],
      ['|UK| BBC One', 'bbc one'],
      ['FR - TF1 H.265', 'tf1'],
      ['us:uk: Sky_News {backup}', 'sky news'],
      ['ABCD: Long Prefix', 'abcd long prefix'],
      ['Channel 5 HDR 50fps', 'channel 5'],
      ['HD', 'hd'],
      ['  (only) [tags]  ', '(only) [tags]'],
      ['Ünïcode TV HD', 'ünïcode tv'],
      ['ＣＮＮ　ＨＤ', 'cnn'],
    ];
    for (const [name, want] of cases) expect([name, normalizeName(name)]).toEqual([name, want]);
  });

  it('gives exactly what the regex definition gives, ASCII or not', () => {
    const differ = names(10_000, 7).filter((n) => normalizeName(n) !== byRegexes(n));
    expect(differ).toEqual([]);
  });
});

describe('qualityOf', () => {
  it('takes the strongest whole-word tag', () => {
    expect(['X 4K', 'X 1080i HD', 'X hd', 'X 576', 'XHD', 'X_HD', 'X hd-sd', 'X'].map(qualityOf)).toEqual([
      4, 3, 2, 1, 0, 0, 2, 0,
    ]);
    for (const name of names(10_000, 11))
      expect([name, qualityOf(name)]).toEqual([name, qualityByRegexes(name)]);
  });
});

describe('normalizeEpgId', () => {
  it('is case-insensitive and drops the feed suffix', () => {
    expect([' CNN.us@HD ', 'bbc1.uk', '@SD', 'a@b@c'].map(normalizeEpgId)).toEqual([
      'cnn.us',
      'bbc1.uk',
      '',
      'a@b',
    ]);
  });
});

describe('ASCII fast paths next to non-ASCII chars', () => {
  it('treat a name as non-ASCII when lower-casing a char could join it to a tag', () => {
    // The Kelvin sign lower-cases to "k" and the dotted capital I to "i" + a combining dot.
    const cases = [
      '4\u212a',
      'X 4K\u212a',
      'HD\u0130',
      '\u0130HD',
      'x 8\u212a hd',
      'sd\u00df',
      'FHD é',
      'é FHD',
    ];
    for (const name of cases) {
      expect([name, qualityOf(name)]).toEqual([name, qualityByRegexes(name)]);
      expect([name, normalizeName(name)]).toEqual([name, byRegexes(name)]);
    }
  });
});
