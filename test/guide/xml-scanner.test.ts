import { describe, expect, it } from 'vitest';
import { XmlScanner, attr } from '../../src/guide/xml-scanner.js';
import { ENTITIES, decodeEntities } from '../../src/guide/xml-entities.js';

/** Scan `doc` fed in the given pieces; returns the event log. */
function scan(pieces: string[]): { events: string[]; problems: string[]; truncated: boolean } {
  const events: string[] = [];
  const problems: string[] = [];
  let text = '';
  const flush = (): void => {
    if (text) events.push(`T:${text}`);
    text = '';
  };
  const s = new XmlScanner({
    wantsText: true,
    open: (n, a) => {
      flush();
      events.push(`O:${n}|${a.trim()}`);
    },
    text: (t) => {
      text += t;
    },
    close: (n) => {
      flush();
      events.push(`C:${n}`);
    },
    problem: (m) => problems.push(m),
  });
  for (const p of pieces) s.write(p);
  s.end();
  flush();
  return { events, problems, truncated: s.truncated };
}

const DOC =
  '<?xml version=\'1.0\' encoding=\'UTF-8\'?>\r\n<!DOCTYPE tv SYSTEM "https://example.invalid/x.dtd" [ <!ENTITY x "a>b]"> ]>\r\n' +
  '<!-- a comment with <tags> -->\n<tv a="1>2" b=\'x "y"\'>\n<e k="&amp;&lt;&#233;&#x4E2D;"/>' +
  '<t>Tom &amp; Jerry &eacute;t&eacute; <![CDATA[<raw> & stuff]]></t><?pi data?></tv>\n';

describe('XmlScanner', () => {
  it('emits the same events whatever the chunk boundaries', () => {
    const whole = scan([DOC]);
    expect(whole.problems).toEqual([]);
    expect(whole.events).toEqual([
      `O:tv|a="1>2" b='x "y"'`,
      'T:\n',
      'O:e|k="&amp;&lt;&#233;&#x4E2D;"',
      'C:e',
      'O:t|',
      'T:Tom & Jerry été <raw> & stuff',
      'C:t',
      'C:tv',
    ]);
    for (let i = 1; i < DOC.length; i++) {
      expect(scan([DOC.slice(0, i), DOC.slice(i)]).events, `split at ${i}`).toEqual(whole.events);
    }
    expect(scan([...DOC]).events).toEqual(whole.events);
  });

  it('recovers from mismatched and stray end tags and reports them', () => {
    const r = scan(['<tv><a><b>x</a></c><d>y</d></tv>']);
    expect(r.events).toEqual(['O:tv|', 'O:a|', 'O:b|', 'T:x', 'C:b', 'C:a', 'O:d|', 'T:y', 'C:d', 'C:tv']);
    expect(r.problems.join('\n')).toMatch(/<b> closed by <\/a>/);
    expect(r.problems.join('\n')).toMatch(/stray end tag <\/c>/);
  });

  it('keeps a lone < and a bare & as text', () => {
    const r = scan(['<tv><t>a < b & c</t></tv>']);
    expect(r.events).toContain('T:a < b & c');
    expect(r.problems.length).toBe(1);
  });

  it('reports a truncated document and leaves the cut element open', () => {
    const r = scan(['<tv><p a="1"><t>abc</t><d>de']);
    expect(r.truncated).toBe(true);
    expect(r.events).toEqual(['O:tv|', 'O:p|a="1"', 'O:t|', 'T:abc', 'C:t', 'O:d|', 'T:de']);
    expect(r.problems.join()).toMatch(/truncated/);
    const cutInTag = scan(['<tv><p a="1']);
    expect(cutInTag.truncated).toBe(true);
    expect(cutInTag.problems.join()).toMatch(/inside markup/);
  });

  it('says when the input is not XML at all', () => {
    const r = scan(['this is not xml, just text\n']);
    expect(r.events).toEqual([]);
    expect(r.problems.join()).toMatch(/text outside the root/);
    expect(r.problems.join()).toMatch(/no root element/);
  });

  it('bounds memory on an unterminated construct', () => {
    const problems: string[] = [];
    const s = new XmlScanner(
      { wantsText: false, open() {}, text() {}, close() {}, problem: (m) => problems.push(m) },
      1000,
    );
    s.write('<tv><!-- never closed ');
    for (let i = 0; i < 10; i++) s.write('x'.repeat(500));
    expect(problems.join()).toMatch(/longer than 1000/);
  });
});

describe('attr', () => {
  it('reads double, single and unquoted values without matching name suffixes', () => {
    const raw = ` xlang="no" lang = 'en' system="xmltv_ns" src=http://a/b.png title="A &amp; B"`;
    expect(attr(raw, 'lang')).toBe('en');
    expect(attr(raw, 'system')).toBe('xmltv_ns');
    expect(attr(raw, 'src')).toBe('http://a/b.png');
    expect(attr(raw, 'title')).toBe('A & B');
    expect(attr(raw, 'missing')).toBeUndefined();
  });
});

describe('decodeEntities', () => {
  it('decodes XML, numeric and HTML named references; keeps unknown ones', () => {
    const unknown: string[] = [];
    expect(
      decodeEntities('&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&nbsp;&eacute;&hellip;&bogus;&', (n) =>
        unknown.push(n),
      ),
    ).toBe('<>&"\'AB\u00a0é…&bogus;&');
    expect(unknown).toEqual(['bogus']);
    expect(decodeEntities('&#0;&#xD800;&#x110000;')).toBe('');
  });
  it('has the whole HTML 4 Latin-1 table', () => {
    expect(ENTITIES.get('nbsp')).toBe('\u00a0');
    expect(ENTITIES.get('yuml')).toBe('\u00ff');
    expect(ENTITIES.get('szlig')).toBe('ß');
  });
});
