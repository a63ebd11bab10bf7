import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  BufferedWriter,
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

describe('BufferedWriter', () => {
  it('batches writes and honours back-pressure', async () => {
    const writes: number[] = [];
    let pending: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 10,
      write(chunk: Buffer, _e, cb) {
        writes.push(chunk.length);
        pending = cb;
      },
    });
    const w = new BufferedWriter(slow, 100);
    await w.write('x'.repeat(40));
    expect(writes).toEqual([]);
    let done = false;
    const p = w.write('y'.repeat(70))?.then(() => (done = true));
    expect(p).toBeDefined();
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([110]);
    expect(done).toBe(false);
    pending?.();
    await p;
    expect(done).toBe(true);
  });

  it('fails when the destination goes away', async () => {
    const out = new PassThrough({ highWaterMark: 1 });
    const w = new BufferedWriter(out, 1);
    const p = w.write('abc');
    out.destroy();
    await expect(p).rejects.toThrow(/closed/);
  });
});
