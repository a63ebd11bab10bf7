import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decoderFor, readXmltv, type ReadReport } from '../../src/guide/xmltv-reader.js';
import type { GuideChannel, Programme } from '../../src/guide/types.js';

async function read(
  data: Buffer | string,
  opts: { chunk?: number; timeShiftMinutes?: number } = {},
): Promise<{ report: ReadReport; channels: GuideChannel[]; programmes: Programme[] }> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const size = opts.chunk ?? 64 * 1024;
  const chunks = (async function* () {
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
  })();
  const channels: GuideChannel[] = [];
  const programmes: Programme[] = [];
  const report = await readXmltv(
    chunks,
    { channel: (c) => channels.push(c), programme: (p) => programmes.push(p) },
    { timeShiftMinutes: opts.timeShiftMinutes ?? 0 },
  );
  return { report, channels, programmes };
}

const T0 = Date.UTC(2025, 1, 24, 18, 0, 0);

function guide(n: number, extra = ''): string {
  let s = '<?xml version="1.0" encoding="UTF-8"?>\n<tv generator-info-name="test">\n';
  for (let c = 0; c < n; c++)
    s += `<channel id="c${c}.tv"><display-name>Chan ${c}</display-name></channel>\n`;
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < 3; i++) {
      s += `<programme start="20250224${18 + i}0000 +0000" stop="20250224${19 + i}0000 +0000" channel="c${c}.tv"><title>P${c}-${i}</title></programme>\n`;
    }
  }
  return s + extra + '</tv>\n';
}

describe('readXmltv', () => {
  it('reads channels and programmes with every field the guide uses', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tv SYSTEM "https://example.invalid/xmltv.dtd">
<tv>
  <channel id="Das Erste"><display-name lang="de">Das Erste</display-name><display-name>1</display-name>
    <icon src="logo.png"/><url>http://x</url><lcn>1</lcn></channel>
  <programme start="20250224180000 +0100" stop="20250224190000 +0100" channel="Das Erste">
    <title lang="de">Tagesschau</title><title lang="en">News</title>
    <sub-title>Folge 1</sub-title>
    <desc lang="de">Zeile eins
Zeile zwei</desc>
    <credits><director>Jane Doe</director><actor role="x"><title>not a title</title></actor>
      <actor>Bob &amp; Co</actor><unknown>ignored</unknown></credits>
    <date>2024</date>
    <category lang="de">Nachrichten</category>
    <icon src="http://img/1.jpg" /><icon src="http://img/2.jpg"/>
    <episode-num system="xmltv_ns">0.4.</episode-num><episode-num>S01E05</episode-num>
    <previously-shown start="20240101"/><new/><premiere/>
    <rating system="FSK"><value>12</value><icon src="fsk12.png"/></rating><rating><value></value></rating>
    <star-rating><value>7/10</value></star-rating>
    <series-desc>non-DTD, ignored</series-desc>
  </programme>
</tv>`;
    const { report, channels, programmes } = await read(xml);
    expect(report).toMatchObject({ complete: true, channels: 1, programmes: 1, skipped: 0, problemCount: 0 });
    expect(channels).toEqual([{ id: 'Das Erste', names: ['Das Erste', '1'], icon: 'logo.png' }]);
    expect(programmes[0]).toEqual({
      channel: 'Das Erste',
      start: Date.UTC(2025, 1, 24, 17),
      stop: Date.UTC(2025, 1, 24, 18),
      titles: [
        { text: 'Tagesschau', lang: 'de' },
        { text: 'News', lang: 'en' },
      ],
      subTitles: [{ text: 'Folge 1' }],
      descs: [{ text: 'Zeile eins\nZeile zwei', lang: 'de' }],
      date: '2024',
      categories: [{ text: 'Nachrichten', lang: 'de' }],
      icon: 'http://img/1.jpg',
      episodeNums: [
        { system: 'xmltv_ns', value: '0.4.' },
        { system: 'onscreen', value: 'S01E05' },
      ],
      previouslyShown: true,
      isNew: true,
      premiere: true,
      // A child inside a credit is read as part of its text, never as the programme's title.
      credits: [
        { role: 'director', name: 'Jane Doe' },
        { role: 'actor', name: 'not a title', character: 'x' },
        { role: 'actor', name: 'Bob & Co' },
      ],
      ratings: [{ system: 'FSK', value: '12' }],
      starRatings: [{ value: '7/10' }],
    });
  });

  it('gives the same result for any chunk size', async () => {
    const xml = guide(5);
    const whole = await read(xml);
    expect(whole.report.programmes).toBe(15);
    for (const chunk of [1, 7, 100]) {
      const r = await read(xml, { chunk });
      expect(r.programmes).toEqual(whole.programmes);
      expect(r.channels).toEqual(whole.channels);
    }
  });

  it('decodes ISO-8859-1 declared documents', async () => {
    const xml = `<?xml version="1.0" encoding="ISO-8859-1"?><tv><channel id="a"><display-name>Télé Ünïcode</display-name></channel>
<programme start="20250224180000" stop="20250224190000" channel="a"><title>Café crème £5</title></programme></tv>`;
    const { report, channels, programmes } = await read(Buffer.from(xml, 'latin1'), { chunk: 10 });
    expect(report.encoding).toBe('windows-1252');
    expect(channels[0]?.names).toEqual(['Télé Ünïcode']);
    expect(programmes[0]?.titles[0]?.text).toBe('Café crème £5');
  });

  it('strips a UTF-8 BOM and reads UTF-16 with a BOM', async () => {
    const xml = guide(1);
    const bom = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)]));
    expect(bom.report).toMatchObject({ complete: true, programmes: 3, problemCount: 0 });
    const u16 = await read(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml.replace('UTF-8', 'UTF-16'), 'utf16le')]),
    );
    expect(u16.report).toMatchObject({ complete: true, programmes: 3, encoding: 'utf-16le' });
  });

  it('gunzips by magic bytes, whatever the name', async () => {
    const xml = guide(4);
    const r = await read(gzipSync(xml), { chunk: 3 });
    expect(r.report).toMatchObject({ compression: 'gzip', complete: true, channels: 4, programmes: 12 });
  });

  it('reads single-quoted, declaration-less, CRLF documents with non-Latin text and HTML entities', async () => {
    const xml =
      "<tv date='20250224'>\r\n<channel id='17'><display-name>Первый канал</display-name></channel>\r\n" +
      "<programme start='20250224180000 +0300' stop='20250224190000 +0300' channel='17'>" +
      '<title>新闻 &amp; 天气 &eacute;t&eacute; &mdash; &#x1F600;</title></programme>\r\n</tv>';
    const r = await read(xml);
    expect(r.report.problemCount).toBe(0);
    expect(r.channels[0]).toEqual({ id: '17', names: ['Первый канал'] });
    expect(r.programmes[0]?.titles[0]?.text).toBe('新闻 & 天气 été — 😀');
    expect(r.programmes[0]?.start).toBe(Date.UTC(2025, 1, 24, 15));
  });

  it('applies the per-source time shift', async () => {
    const r = await read(guide(1), { timeShiftMinutes: -90 });
    expect(r.programmes[0]?.start).toBe(T0 - 90 * 60_000);
    expect(r.programmes[0]?.stop).toBe(T0 - 30 * 60_000);
  });

  it('skips unusable programmes and says why', async () => {
    const bad =
      '<programme start="garbage" channel="c0.tv"><title>x</title></programme>' +
      '<programme start="20250224180000" stop="20250224170000" channel="c0.tv"><title>x</title></programme>' +
      '<programme start="20250224180000" channel="c0.tv"><title>  </title></programme>' +
      '<programme start="20250224180000"><title>x</title></programme>' +
      '<programme start="20250224180000" channel="c0.tv"><title>no stop is fine</title></programme>';
    const r = await read(guide(1, bad));
    expect(r.report).toMatchObject({ programmes: 4, skipped: 4, complete: true });
    expect(r.report.problems.join('\n')).toMatch(
      /bad start "garbage"[\s\S]*stop not after start[\s\S]*no title[\s\S]*no channel/,
    );
    expect(r.programmes[3]).toMatchObject({ titles: [{ text: 'no stop is fine' }] });
    expect(r.programmes[3]?.stop).toBeUndefined();
  });

  it('keeps what parsed from a truncated file and reports the rest', async () => {
    const xml = guide(10);
    const cut = xml.slice(0, Math.floor(xml.length * 0.6));
    const r = await read(cut);
    expect(r.report.complete).toBe(false);
    expect(r.report.problems.join()).toMatch(/truncated/);
    const full = (await read(xml)).programmes;
    // Every programme delivered is complete and identical to the one in the whole file.
    expect(r.programmes.length).toBeGreaterThan(5);
    expect(r.programmes.length).toBeLessThan(full.length);
    expect(r.programmes).toEqual(full.slice(0, r.programmes.length));
  });

  it('keeps what decompressed from a truncated gzip', async () => {
    const gz = gzipSync(guide(50));
    const r = await read(gz.subarray(0, Math.floor(gz.length * 0.7)));
    expect(r.report.complete).toBe(false);
    expect(r.report.problems.join()).toMatch(/read failed|truncated/);
    expect(r.report.channels).toBe(50);
    expect(r.programmes.length).toBeGreaterThan(0);
  });

  it('fails cleanly on garbage, HTML error pages, empty input and other compressions', async () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['binary', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)), /./],
      [
        'html',
        Buffer.from('<!DOCTYPE html><html><body><h1>403 Forbidden</h1></body></html>'),
        /not an XMLTV/,
      ],
      ['json', Buffer.from('{"user_info":{"auth":0}}'), /outside the root|no root/],
      ['empty', Buffer.alloc(0), /no root/],
      ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]), /xz-compressed/],
      ['zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), /zip-compressed/],
    ];
    for (const [name, data, msg] of cases) {
      const r = await read(data);
      expect(r.report.complete, name).toBe(false);
      expect(r.programmes, name).toEqual([]);
      expect(r.report.problems.join('\n'), name).toMatch(msg);
    }
  });

  it('caps the problem list but counts every problem', async () => {
    let s = '<tv>';
    for (let i = 0; i < 100; i++) s += '</stray>';
    const r = await read(s + '</tv>');
    expect(r.report.problems.length).toBe(20);
    expect(r.report.problemCount).toBe(100);
  });
});

describe('decoderFor', () => {
  it('decodes UTF-8 split anywhere, ASCII runs and multi-byte characters alike', () => {
    // ASCII stretches (read as Latin-1) next to characters cut between chunks.
    const text = `${'plain ascii '.repeat(40)}Ünïcödé 中文 😀 ${'more ascii '.repeat(40)}é\u00a0x`.repeat(3);
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let round = 0; round < 50; round++) {
      const d = decoderFor('utf-8');
      let out = '';
      for (let at = 0; at < bytes.length;) {
        const n = 1 + (next() % (round < 25 ? 8 : 200));
        out += d.write(bytes.subarray(at, at + n));
        at += n;
      }
      out += d.end();
      expect(out, `round ${round}`).toBe(text);
    }
  });

  it('replaces a character cut off at the end, as a decoder does', () => {
    const d = decoderFor('utf-8');
    const bytes = Buffer.from('ok é');
    expect(d.write(bytes.subarray(0, bytes.length - 1)) + d.end()).toBe('ok \ufffd');
  });
});
