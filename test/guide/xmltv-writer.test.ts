import { describe, expect, it } from 'vitest';
import {
  FOOTER,
  escapeMultiline,
  escapeText,
  renderChannel,
  renderHeader,
  renderProgramme,
  renderProgrammeBody,
} from '../../src/guide/xmltv-writer.js';
import { readXmltv } from '../../src/guide/xmltv-reader.js';
import type { GuideChannel, Programme } from '../../src/guide/types.js';

const T = Date.UTC(2025, 5, 1, 20);

describe('escaping', () => {
  it('escapes markup, drops characters XML forbids, folds whitespace', () => {
    expect(escapeText(' Tom & Jerry <"live"> \'x\' ')).toBe(
      'Tom &amp; Jerry &lt;&quot;live&quot;&gt; &apos;x&apos;',
    );
    expect(escapeText('a\u0000b\u0007c\u000bd\ud800e\uffff')).toBe('abcde');
    expect(escapeText('two\r\nlines\tand  spaces')).toBe('two lines and spaces');
    expect(escapeText('😀 中文')).toBe('😀 中文');
    expect(escapeMultiline('line 1\r\nline 2\n\n<3')).toBe('line 1&#10;line 2&#10;&#10;&lt;3');
  });
});

describe('renderProgrammeBody', () => {
  it('writes children in DTD order with derived episode numbers and categories', () => {
    const p: Programme = {
      channel: 'x',
      start: T,
      stop: T + 3600_000,
      titles: [{ text: 'Title', lang: 'en' }],
      subTitles: [{ text: 'Sub' }],
      descs: [{ text: 'Desc' }],
      categories: [{ text: 'Drama' }],
      date: '2019-05-04',
      icon: 'http://i/1.png?a=1&b=2',
      episodeNums: [{ system: 'onscreen', value: 'S01E02' }],
      previouslyShown: true,
      premiere: true,
      isNew: true,
    };
    expect(renderProgrammeBody(p)).toBe(
      '<title lang="en">Title</title><sub-title>Sub</sub-title><desc>Desc</desc><date>20190504</date>' +
        '<category>Drama</category><category lang="en">Series</category><icon src="http://i/1.png?a=1&amp;b=2"/>' +
        '<episode-num system="xmltv_ns">0.1.</episode-num><episode-num system="onscreen">S01E02</episode-num>' +
        '<previously-shown/><premiere/><new/>',
    );
  });

  it('writes credits grouped by role in DTD order, then ratings, and keeps them through a re-read', async () => {
    const p: Programme = {
      channel: 'x',
      start: T,
      stop: T + 3600_000,
      titles: [{ text: 'Film' }],
      descs: [{ text: 'D' }],
      date: '2001',
      credits: [
        { role: 'actor', name: 'Ann <A>', character: 'Queen "Q"' },
        { role: 'director', name: 'Dee' },
        { role: 'actor', name: 'Bob' },
        { role: 'presenter', name: '  ' },
      ],
      ratings: [{ system: 'MPAA', value: 'PG-13' }, { value: '' }],
      starRatings: [{ value: '3/5' }],
      isNew: true,
    };
    const body = renderProgrammeBody(p);
    expect(body).toBe(
      '<title>Film</title><desc>D</desc><credits><director>Dee</director>' +
        '<actor role="Queen &quot;Q&quot;">Ann &lt;A&gt;</actor><actor>Bob</actor></credits><date>2001</date>' +
        '<new/><rating system="MPAA"><value>PG-13</value></rating><star-rating><value>3/5</value></star-rating>',
    );
    const programmes: Programme[] = [];
    await readXmltv([Buffer.from(`<tv>${renderProgramme(T, T + 3600_000, 'x', body)}</tv>`)], {
      channel() {},
      programme: (q) => programmes.push(q),
    });
    expect(programmes[0]).toMatchObject({
      credits: [
        { role: 'director', name: 'Dee' },
        { role: 'actor', name: 'Ann <A>', character: 'Queen "Q"' },
        { role: 'actor', name: 'Bob' },
      ],
      ratings: [{ system: 'MPAA', value: 'PG-13' }],
      starRatings: [{ value: '3/5' }],
    });
  });

  it('writes video, audio, subtitles and reviews in DTD order and keeps them through a re-read', async () => {
    const p: Programme = {
      channel: 'x',
      start: T,
      titles: [{ text: 'Film' }],
      episodeNums: [{ system: 'xmltv_ns', value: '0.1.' }],
      video: { quality: 'HDTV', aspect: '16:9', present: 'yes' },
      audio: { stereo: 'dolby digital', present: ' ' },
      isNew: true,
      subtitles: [{ type: 'teletext', language: 'English' }, {}],
      ratings: [{ value: 'PG' }],
      reviews: [
        { type: 'text', text: 'Line one\nline "two" & more', reviewer: 'A. Critic', lang: 'en' },
        { type: 'url', text: 'https://r.example/1?a=1&b=2', source: 'Rotten' },
      ],
    };
    const body = renderProgrammeBody(p);
    expect(body).toBe(
      '<title>Film</title><category lang="en">Series</category><episode-num system="xmltv_ns">0.1.</episode-num>' +
        '<episode-num system="onscreen">S01E02</episode-num>' +
        '<video><present>yes</present><aspect>16:9</aspect><quality>HDTV</quality></video>' +
        '<audio><stereo>dolby digital</stereo></audio><new/>' +
        '<subtitles type="teletext"><language>English</language></subtitles><subtitles/>' +
        '<rating><value>PG</value></rating>' +
        '<review type="text" reviewer="A. Critic" lang="en">Line one&#10;line &quot;two&quot; &amp; more</review>' +
        '<review type="url" source="Rotten">https://r.example/1?a=1&amp;b=2</review>',
    );
    const programmes: Programme[] = [];
    await readXmltv([Buffer.from(`<tv>${renderProgramme(T, T + 3600_000, 'x', body)}</tv>`)], {
      channel() {},
      programme: (q) => programmes.push(q),
    });
    expect(programmes[0]).toMatchObject({
      video: { present: 'yes', aspect: '16:9', quality: 'HDTV' },
      audio: { stereo: 'dolby digital' },
      subtitles: [{ type: 'teletext', language: 'English' }, {}],
      reviews: [
        { type: 'text', text: 'Line one\nline "two" & more', reviewer: 'A. Critic', lang: 'en' },
        { type: 'url', text: 'https://r.example/1?a=1&b=2', source: 'Rotten' },
      ],
    });
  });

  it('classifies dd_progid movies as Movie', () => {
    const body = renderProgrammeBody({
      channel: 'x',
      start: T,
      titles: [{ text: 'A film' }],
      episodeNums: [{ system: 'dd_progid', value: 'MV001234560000' }],
    });
    expect(body).toContain('<category lang="en">Movie</category>');
  });
});

describe('renderProgrammeBody, repeated parts', () => {
  const p = (extra: Partial<Programme>): Programme => ({
    channel: 'x',
    start: T,
    titles: [{ text: 'T' }],
    ...extra,
  });
  // Each case with its exact body; rendered in several orders, since languages, categories
  // and episode numbers are cached between programmes.
  const cases: [Programme, string][] = [
    [
      p({ categories: [{ text: 'News', lang: 'en' }] }),
      '<title>T</title><category lang="en">News</category>',
    ],
    [
      p({ categories: [{ text: 'News', lang: 'de' }] }),
      '<title>T</title><category lang="de">News</category>',
    ],
    [p({ categories: [{ text: 'News' }] }), '<title>T</title><category>News</category>'],
    [
      p({ categories: [{ text: 'News' }], episodeNums: [{ system: 'xmltv_ns', value: '0.1.' }] }),
      '<title>T</title><category>News</category><category lang="en">Series</category>' +
        '<episode-num system="xmltv_ns">0.1.</episode-num><episode-num system="onscreen">S01E02</episode-num>',
    ],
    [
      p({ categories: [{ text: 'News' }], episodeNums: [{ system: 'dd_progid', value: 'MV1' }] }),
      '<title>T</title><category>News</category><category lang="en">Movie</category>' +
        '<episode-num system="dd_progid">MV1</episode-num>',
    ],
    [
      p({ categories: [{ text: 'Sport' }], episodeNums: [{ system: 'xmltv_ns', value: '0.1.' }] }),
      '<title>T</title><category>Sport</category><category lang="en">Series</category><category lang="en">Sports</category>' +
        '<episode-num system="xmltv_ns">0.1.</episode-num><episode-num system="onscreen">S01E02</episode-num>',
    ],
    [
      p({ categories: [{ text: 'Sport' }] }),
      '<title>T</title><category>Sport</category><category lang="en">Sports</category>',
    ],
    [
      p({ episodeNums: [{ system: 'a', value: 'bc' }] }),
      '<title>T</title><episode-num system="a">bc</episode-num>',
    ],
    [
      p({ episodeNums: [{ system: 'ab', value: 'c' }] }),
      '<title>T</title><episode-num system="ab">c</episode-num>',
    ],
    [
      p({
        episodeNums: [
          { system: 'a', value: 'b' },
          { system: 'c', value: 'd' },
        ],
      }),
      '<title>T</title><episode-num system="a">b</episode-num><episode-num system="c">d</episode-num>',
    ],
    [
      p({
        episodeNums: [
          { system: 'a', value: 'bc' },
          { system: '', value: 'd' },
        ],
      }),
      '<title>T</title><episode-num system="a">bc</episode-num><episode-num system="">d</episode-num>',
    ],
    [
      p({
        titles: [
          { text: 'A', lang: 'en' },
          { text: 'B', lang: 'e"n' },
          { text: 'C', lang: 'en' },
        ],
      }),
      '<title lang="en">A</title><title lang="e&quot;n">B</title><title lang="en">C</title>',
    ],
  ];

  it('gives each programme its own output whatever was rendered before', () => {
    for (const order of [cases, [...cases].reverse(), [...cases, ...cases]]) {
      for (const [prog, want] of order) expect(renderProgrammeBody(prog)).toBe(want);
    }
  });
});

describe('round trip', () => {
  it('reads back what it wrote, including &, < and non-Latin scripts', async () => {
    const titles = [
      'Tom & Jerry',
      'a < b > c',
      'Новости',
      '新闻联播',
      'العربية',
      '"quoted" \'single\'',
      'emoji 😀',
    ];
    const channel: GuideChannel = { id: '1.5', names: ['Ünïcødé & Co', '1.5'], icon: 'http://l/x.png?a&b' };
    let xml = renderHeader(T) + renderChannel({ ...channel, lcn: '1.5' });
    titles.forEach((t, i) => {
      const body = renderProgrammeBody({
        channel: '1.5',
        start: T + i * 60_000,
        titles: [{ text: t }],
        descs: [{ text: `${t}\nsecond line` }],
      });
      xml += renderProgramme(T + i * 60_000, T + (i + 1) * 60_000, '1.5', body);
    });
    xml += FOOTER;
    expect(xml.split('\n').filter((l) => l.startsWith('<programme')).length).toBe(titles.length);
    const got: Programme[] = [];
    const chans: GuideChannel[] = [];
    const r = await readXmltv([Buffer.from(xml)], {
      channel: (c) => chans.push(c),
      programme: (p) => got.push(p),
    });
    expect(r).toMatchObject({ complete: true, problemCount: 0 });
    expect(chans).toEqual([channel]);
    expect(got.map((p) => p.titles[0]?.text)).toEqual(titles);
    expect(got.map((p) => p.descs?.[0]?.text)).toEqual(titles.map((t) => `${t}\nsecond line`));
    expect(got[3]?.stop).toBe(T + 4 * 60_000);
  });
});
