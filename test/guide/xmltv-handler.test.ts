// The handler reads flat `<programme>` elements whole (`element`) and everything else tag by tag.
// Both must give the same programmes, counts and problems: random programmes, many of them
// malformed, are read both ways and compared.
import { describe, expect, it } from 'vitest';
import { XmlScanner, type XmlEvents } from '../../src/guide/xml-scanner.js';
import { XmltvHandler } from '../../src/guide/xmltv-handler.js';
import { emptyReport, problemRecorder, type ReadReport } from '../../src/guide/xmltv-reader.js';
import type { GuideChannel, Programme } from '../../src/guide/types.js';

interface Result {
  programmes: Programme[];
  channels: GuideChannel[];
  report: ReadReport;
  /** Programmes the handler read whole. */
  whole: number;
}

/** Read `doc` in pieces of `piece` characters; `whole`: let the handler read elements whole. */
function read(doc: string, piece: number, whole: boolean): Result {
  const programmes: Programme[] = [];
  const channels: GuideChannel[] = [];
  const report = emptyReport();
  const h = new XmltvHandler(
    { channel: (c) => channels.push(c), programme: (p) => programmes.push(p) },
    report,
    problemRecorder(report, 1000),
    0,
  );
  let count = 0;
  const events: XmlEvents = {
    open: (n, a) => h.open(n, a),
    get wantsText() {
      return h.wantsText;
    },
    text: (t) => h.text(t),
    close: (n) => h.close(n),
    problem: (m) => h.problem(m),
    ...(whole
      ? {
          element: (n: string, a: string, b: string, from: number) => {
            const end = h.element(n, a, b, from);
            if (end !== -1) count++;
            return end;
          },
        }
      : {}),
  };
  const s = new XmlScanner(events);
  for (let i = 0; i < doc.length; i += piece) s.write(doc.slice(i, i + piece));
  s.end();
  // Drafts carry no marker of how they were read; compare plain data.
  return {
    programmes: JSON.parse(JSON.stringify(programmes)) as Programme[],
    channels,
    report,
    whole: count,
  };
}

function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.floor((s / 2147483648) * n);
  };
}

const TEXTS = [
  'News at Ten',
  '  Padded  title  ',
  'Law &amp; Order',
  'Tom &amp; Jerry &lt;3 &gt; &quot;x&quot; &apos;y&apos;',
  'Caf&eacute; &nbsp;Society',
  'Grey&#39;s Anatomy &#x41;',
  'bad &bogus; entity',
  'bare & ampersand',
  'a > b',
  'Line one\nLine two\r\nthree',
  'Tabs\tand\ttabs',
  'Ελληνικά 日本語 😀',
  '',
  '   ',
  '\u00a0nbsp edges\u00a0',
  'ctrl\u0001char',
  'x<![CDATA[ <raw> & ]]>y',
  'before<!-- note -->after',
  'has <b>bold</b> inside',
  'lone < bracket',
];
const LANGS = ['', ' lang="en"', " lang='de'", ' lang="fr" ', ' lang=en', ' lang="a&amp;b"', ' lang="x>y"'];
const TEXT_CHILDREN = ['title', 'sub-title', 'desc', 'category', 'episode-num', 'date'];
const EPISODES = ['0.4.', ' 1 . 2 . 0/1 ', 'S01E05', 'MV000123450000', 'junk'];
const SYSTEMS = ['', ' system="xmltv_ns"', ' system="onscreen"', ' system="dd_progid"', ' system="other"'];

function child(r: (n: number) => number): string {
  const k = r(20);
  if (k < 9) {
    const name = TEXT_CHILDREN[r(TEXT_CHILDREN.length)] as string;
    const attrs =
      name === 'episode-num' ? (SYSTEMS[r(SYSTEMS.length)] as string) : (LANGS[r(LANGS.length)] as string);
    const text =
      name === 'episode-num' ? (EPISODES[r(EPISODES.length)] as string) : (TEXTS[r(TEXTS.length)] as string);
    const end = r(12) === 0 ? `</${name} >` : r(15) === 0 ? '</wrong>' : `</${name}>`;
    return r(10) === 0 ? `<${name}${attrs}/>` : `<${name}${attrs}>${text}${end}`;
  }
  switch (k) {
    case 9:
      return r(2) ? '<icon src="http://i.example/a.png"/>' : '<icon src="rel/b.png"></icon>';
    case 10:
      return ['<new/>', '<previously-shown start="20250101000000"/>', '<premiere>First</premiere>'][
        r(3)
      ] as string;
    case 11:
      return '<rating system="MPAA"><value>PG</value></rating><star-rating><value>7/10</value></star-rating>';
    case 12:
      return '<credits><director>D</director><actor role="Hero">A</actor></credits>';
    case 13:
      return [
        '<video><present>yes</present><aspect>16:9</aspect><quality>HD&amp;TV</quality></video>',
        '<audio><stereo>stereo</stereo><stereo>mono</stereo></audio>',
        '<subtitles type="teletext"><language lang="en">English</language></subtitles>',
        '<subtitles type="bogus"/>',
        '<review type="text" reviewer="Me">Good &amp; long</review>',
        '<review type="url">http://r/1</review>',
        '<video><quality>&bogus;</quality></video>',
        '<credits><actor role="X">A<image>i.png</image></actor><writer>W</writer></credits>',
        '<video><quality>HD<!-- c --></quality></video>',
      ][r(9)] as string;
    case 14:
      return ['<length units="minutes">30</length>', '<country>UK</country>', '<subtitles type="teletext"/>'][
        r(3)
      ] as string;
    case 15:
      return ['<video><aspect>16:9</video>', '<audio><stereo>x</stereo>', '</stray>'][r(3)] as string;
    case 16:
      return ['<!-- c -->', '<![CDATA[x]]>', '<?pi x?>', '< spaced>', 'loose text & more'][r(5)] as string;
    case 17:
      return '<programme start="20250101000000 +0000" channel="nested"><title>In</title></programme>';
    default:
      return r(2) ? '\n    ' : ' ';
  }
}

const STARTS = [
  ' start="20250224180000 +0000" stop="20250224190000 +0000" channel="a.tv"',
  ' start="20250224190000 +0100" channel="b.tv"',
  " channel='c.tv' stop='20250224210000 +0000' start='20250224200000 +0000'",
  ' start="bogus" channel="a.tv"',
  ' start="20250224180000 +0000" stop="20250224170000 +0000" channel="a.tv"',
  ' start="20250224180000 +0000"',
  ' start="20250224180000 +0000" channel="q&amp;r.tv" title="x>y"',
];

function programme(r: (n: number) => number): string {
  const kids: string[] = [];
  const n = r(8);
  for (let i = 0; i < n; i++) kids.push(child(r));
  const end = r(25) === 0 ? '</programme >' : '</programme>';
  return `<programme${STARTS[r(STARTS.length)] as string}>${kids.join('')}${end}\n`;
}

function doc(seed: number, count: number): string {
  const r = rng(seed);
  let s = '<?xml version="1.0"?>\n<tv>\n<channel id="a.tv"><display-name>A</display-name></channel>\n';
  for (let i = 0; i < count; i++) s += programme(r);
  return s + (r(4) === 0 ? '' : '</tv>\n');
}

describe('XmltvHandler.element (whole-programme reading)', () => {
  it('gives the same programmes, counts and problems as reading tag by tag', () => {
    let whole = 0;
    let total = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const d = doc(seed, 40);
      for (const piece of [7, 301, 1 << 20]) {
        const a = read(d, piece, true);
        const b = read(d, piece, false);
        expect(a.programmes, `seed ${seed} piece ${piece}`).toEqual(b.programmes);
        expect(a.channels).toEqual(b.channels);
        expect(a.report).toEqual(b.report);
        whole += a.whole;
        total += a.report.programmes + a.report.skipped;
      }
    }
    // Both paths were exercised: a good share read whole, the rest tag by tag.
    expect(whole).toBeGreaterThan(total / 10);
    expect(whole).toBeLessThan(total);
  });

  it('reads a flat programme (groups of text children included) whole and leaves deeper ones to the events', () => {
    const flat =
      '<programme start="20250224180000 +0000" channel="a.tv"><title lang="en">Law &amp; Order</title>' +
      '<video><aspect>16:9</aspect></video><credits><actor>X</actor></credits>' +
      '<icon src="http://i/x.png"/><new/></programme>';
    const credits =
      '<programme start="20250224180000 +0000" channel="a.tv"><title>T</title>' +
      '<credits><actor>X<url>u</url></actor></credits></programme>';
    const comment =
      '<programme start="20250224180000 +0000" channel="a.tv"><title>T<!-- x --></title></programme>';
    const r = read(`<tv>${flat}${credits}${comment}</tv>`, 1 << 20, true);
    expect(r.whole).toBe(1);
    expect(r.programmes).toHaveLength(3);
    expect(r.programmes[0]).toMatchObject({
      titles: [{ text: 'Law & Order', lang: 'en' }],
      video: { aspect: '16:9' },
      credits: [{ role: 'actor', name: 'X' }],
      icon: 'http://i/x.png',
      isNew: true,
    });
    expect(r.programmes[1]?.credits).toEqual([{ role: 'actor', name: 'Xu' }]);
  });

  it('does not let a child named programme end the element early', () => {
    const d =
      '<tv><programme start="20250224180000 +0000" channel="a.tv"><title>Outer</title>' +
      '<programme><x/></programme><desc>Still outer</desc></programme></tv>';
    const a = read(d, 1 << 20, true);
    expect(a.whole).toBe(0);
    expect(a.programmes[0]?.descs).toEqual([{ text: 'Still outer' }]);
    expect(a).toEqual({ ...read(d, 1 << 20, false), whole: 0 });
  });
});
