import { describe, expect, it } from 'vitest';
import { classOf, outputCategories } from '../../src/guide/categories.js';
import {
  outputEpisodeNums,
  parseOnscreen,
  parseXmltvNs,
  toOnscreen,
  toXmltvNs,
} from '../../src/guide/episode.js';

describe('categories', () => {
  it.each([
    ['Spielfilm', ['Movie']],
    ['Movies', ['Movie']],
    ['Nachrichten', ['News']],
    ['Sport / Fußball', ['Sports']],
    ['Kindersendung', ['Kids']],
    ['Serie', ['Series']],
    ['Comedy', []],
    ['Action Movie', ['Movie']],
  ])('%s → %j', (c, want) => {
    expect(classOf(c)).toEqual(want);
  });

  it('keeps the originals and adds the words clients match on', () => {
    expect(
      outputCategories([{ text: 'Spielfilm', lang: 'de' }, { text: 'spielfilm' }], { hasEpisode: true }),
    ).toEqual([
      { text: 'Spielfilm', lang: 'de' },
      { text: 'Movie', lang: 'en' },
    ]);
    expect(outputCategories([{ text: 'Comedy' }], { hasEpisode: true })).toEqual([
      { text: 'Comedy' },
      { text: 'Series', lang: 'en' },
    ]);
    expect(outputCategories([{ text: 'series' }], { hasEpisode: true })).toEqual([{ text: 'series' }]);
    expect(outputCategories(undefined, { hasEpisode: false })).toEqual([]);
    expect(outputCategories(undefined, { hasEpisode: true, isMovie: true })).toEqual([
      { text: 'Movie', lang: 'en' },
    ]);
  });
});

describe('episode numbers', () => {
  it('parses xmltv_ns (zero-based) and onscreen forms', () => {
    expect(parseXmltvNs('1.0.')).toEqual({ season: 2, episode: 1 });
    expect(parseXmltvNs(' 1 . 0 . 0/2 ')).toEqual({ season: 2, episode: 1, part: 1, parts: 2 });
    expect(parseXmltvNs('0..')).toEqual({ season: 1 });
    expect(parseXmltvNs('..')).toBeUndefined();
    expect(parseXmltvNs('S01E02')).toBeUndefined();
    expect(parseOnscreen('S01E02')).toEqual({ season: 1, episode: 2 });
    expect(parseOnscreen('S3 E12 Title')).toEqual({ season: 3, episode: 12 });
    expect(parseOnscreen('Season 2 Episode 7')).toEqual({ season: 2, episode: 7 });
    expect(parseOnscreen('2x05')).toEqual({ season: 2, episode: 5 });
    expect(parseOnscreen('Staffel 4, Folge 9')).toEqual({ season: 4, episode: 9 });
    expect(parseOnscreen('E121')).toEqual({ episode: 121 });
    expect(parseOnscreen('#FFEE')).toBeUndefined();
  });

  it('writes both systems from whichever is known', () => {
    expect(toXmltvNs({ season: 2, episode: 1 })).toBe('1.0.');
    expect(toXmltvNs({ episode: 5, part: 1, parts: 2 })).toBe('.4.0/2');
    expect(toOnscreen({ season: 2, episode: 1 })).toBe('S02E01');
    expect(toOnscreen({ season: 2 })).toBeUndefined();
    expect(outputEpisodeNums([{ system: 'onscreen', value: 'S03E08' }]).nums).toEqual([
      { system: 'xmltv_ns', value: '2.7.' },
      { system: 'onscreen', value: 'S03E08' },
    ]);
    expect(
      outputEpisodeNums([
        { system: 'dd_progid', value: 'EP02420905.0022' },
        { system: 'xmltv_ns', value: 'garbage' },
        { system: 'xmltv_ns', value: '0 . 4 . ' },
      ]).nums,
    ).toEqual([
      { system: 'xmltv_ns', value: '0.4.' },
      { system: 'onscreen', value: 'S01E05' },
      { system: 'dd_progid', value: 'EP02420905.0022' },
    ]);
    expect(outputEpisodeNums([{ system: 'onscreen', value: '#FFEE' }])).toEqual({
      nums: [{ system: 'onscreen', value: '#FFEE' }],
    });
  });
});
