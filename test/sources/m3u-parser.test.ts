import { describe, expect, it } from 'vitest';
import {
  M3uParser,
  parseAttributes,
  type M3uEntry,
  type M3uEntryFields,
  type M3uWarning,
} from '../../src/sources/m3u-parser.js';

function parse(
  text: string,
  baseUrl?: string,
  chunk = 0,
): { entries: M3uEntry[]; warnings: M3uWarning[]; parser: M3uParser } {
  const entries: M3uEntry[] = [];
  const warnings: M3uWarning[] = [];
  const parser = new M3uParser(
    { entry: (e) => entries.push(e), warning: (w) => warnings.push(w) },
    { baseUrl },
  );
  if (chunk > 0) for (let i = 0; i < text.length; i += chunk) parser.push(text.slice(i, i + chunk));
  else parser.push(text);
  parser.end();
  return { entries, warnings, parser };
}

describe('parseAttributes', () => {
  it('keeps commas and quotes inside values and takes the title after the attributes', () => {
    expect(
      parseAttributes(
        ` tvg-logo="http://x/a,b.png" tvg-name="The Good, the Bad",The Good, the Bad and the Ugly`,
      ),
    ).toEqual({
      attrs: { 'tvg-logo': 'http://x/a,b.png', 'tvg-name': 'The Good, the Bad' },
      title: 'The Good, the Bad and the Ugly',
    });
  });

  it('accepts single quotes, bare values, mixed-case keys; the first duplicate wins', () => {
    expect(parseAttributes(` tvg-ID='A' tvg-chno=5 tvg-id="B" group-title="x",T`)).toEqual({
      attrs: { 'tvg-id': 'A', 'tvg-chno': '5', 'group-title': 'x' },
      title: 'T',
    });
  });

  it('keeps quotes inside a value when they are not followed by a separator', () => {
    expect(parseAttributes(` tvg-name="A "B" C" group-title="G",Title "quoted"`)).toEqual({
      attrs: { 'tvg-name': 'A "B" C', 'group-title': 'G' },
      title: 'Title "quoted"',
    });
  });

  it('handles a missing comma, an unterminated quote and a bare title', () => {
    expect(parseAttributes(' tvg-id="x" tvg-name="X"')).toEqual({
      attrs: { 'tvg-id': 'x', 'tvg-name': 'X' },
      title: '',
    });
    expect(parseAttributes(' tvg-id="x,Title')).toEqual({ attrs: { 'tvg-id': 'x' }, title: 'Title' });
    expect(parseAttributes(' Just A Name')).toEqual({ attrs: {}, title: 'Just A Name' });
  });
});

describe('M3uParser', () => {
  const sample =
    '\uFEFF#EXTM3U url-tvg="http://g/1.xml" x-tvg-url="http://g/2.xml.gz, http://g/3.xml" tvg-shift="-4.5"\r\n' +
    '#EXTINF:-1 tvg-id="BBCOne.uk" tvg-name="BBC One" tvg-logo="http://l/b.png" tvg-chno="101" group-title="UK",BBC One HD\r\n' +
    '#EXTVLCOPT:http-user-agent="Mozilla/5.0 (X)"\r\n' +
    '#EXTVLCOPT:http-referrer=https://ref.example/\r\n' +
    'http://host/bbc1.m3u8|User-Agent=Pipe%20UA&!X-Custom=1\r\n' +
    '#EXTINF: -1 user-agent="AttrUA" ,Second\r' +
    '#EXTGRP:Grouped\r' +
    '\r' +
    '# a comment between EXTINF and URL\r' +
    '  http://host/2.ts  \r' +
    '#EXTINF:0 channel-number="22.1",\n' +
    'http://host/3\n';

  it('parses a representative playlist byte for byte', () => {
    const { entries, warnings, parser } = parse(sample);
    expect(warnings).toEqual([]);
    expect(parser.header).toEqual({
      'url-tvg': 'http://g/1.xml',
      'x-tvg-url': 'http://g/2.xml.gz, http://g/3.xml',
      'tvg-shift': '-4.5',
    });
    expect(parser.tvgUrls).toEqual(['http://g/1.xml', 'http://g/2.xml.gz', 'http://g/3.xml']);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toEqual({
      index: 0,
      line: 2,
      duration: -1,
      title: 'BBC One HD',
      attrs: {
        'tvg-id': 'BBCOne.uk',
        'tvg-name': 'BBC One',
        'tvg-logo': 'http://l/b.png',
        'tvg-chno': '101',
        'group-title': 'UK',
      },
      url: 'http://host/bbc1.m3u8',
      headers: { 'User-Agent': 'Pipe UA', Referer: 'https://ref.example/', 'X-Custom': '1' },
      group: 'UK',
      kodiProps: {},
      bandwidth: undefined,
      unsupported: undefined,
    });
    expect(entries[1]).toMatchObject({
      line: 6,
      title: 'Second',
      url: 'http://host/2.ts',
      group: 'Grouped',
      headers: { 'User-Agent': 'AttrUA' },
    });
    expect(entries[2]).toMatchObject({
      duration: 0,
      title: 'http://host/3',
      attrs: { 'channel-number': '22.1' },
    });
  });

  it('gives the same result whatever the chunk boundaries (CR/LF split across chunks)', () => {
    const whole = parse(sample).entries;
    for (const size of [1, 2, 3, 7, 64]) expect(parse(sample, undefined, size).entries).toEqual(whole);
  });

  it('falls back to tvg-name, then tvg-id, then the URL for the title', () => {
    const { entries } = parse(
      '#EXTM3U\n#EXTINF:-1 tvg-name="N"\nhttp://a/1\n#EXTINF:-1 tvg-id="I",\nhttp://a/2\n#EXTINF:-1,\nhttp://a/3\n',
    );
    expect(entries.map((e) => e.title)).toEqual(['N', 'I', 'http://a/3']);
  });

  it('resolves relative URLs against the playlist URL, and drops them without one', () => {
    const text = '#EXTM3U\n#EXTINF:-1,Rel\nstream/chunklist.m3u8\n';
    expect(parse(text, 'http://h/lists/main.m3u').entries[0]!.url).toBe(
      'http://h/lists/stream/chunklist.m3u8',
    );
    const { entries, warnings } = parse(text);
    expect(entries).toEqual([]);
    expect(warnings).toEqual([
      { line: 2, reason: 'relative URL without a playlist URL to resolve it against' },
    ]);
  });

  it('skips placeholders, reports entries without a URL, ignores separators and repeated headers', () => {
    const { entries, warnings } = parse(
      '#EXTM3U\n#EXTINF:-1,A\n[NO PUBLIC STREAM]\n#EXTINF:-1,B\n#EXTINF:-1,C\nhttp://h/c\n=====sudan=====\n#EXTM3U x-tvg-url="http://late"\n#EXTINF:-1,D\n',
    );
    expect(entries.map((e) => e.title)).toEqual(['C']);
    expect(warnings).toEqual([
      { line: 2, reason: 'URL line is not a URL (placeholder?)' },
      { line: 4, reason: 'entry has no URL (next #EXTINF follows)' },
      { line: 7, reason: 'ignored a line that is neither a directive nor a URL' },
      { line: 9, reason: 'entry has no URL (end of playlist)' },
    ]);
  });

  it('flags DRM, DASH, web pages and unknown schemes as unsupported', () => {
    const { entries } = parse(
      [
        '#EXTINF:-1,Drm',
        '#KODIPROP:inputstream.adaptive.license_type=com.widevine.alpha',
        'http://h/drm.m3u8',
        '#EXTINF:-1,Dash',
        'http://h/x.mpd?t=1',
        '#EXTINF:-1,Web',
        'https://www.youtube.com/watch?v=abc',
        '#EXTINF:-1,Plugin',
        'plugin://plugin.video.x/',
        '#EXTINF:-1,Udp',
        'udp://@239.0.0.1:1234',
        '#EXTINF:-1,Rtmp',
        'rtmp://h/live/x',
      ].join('\n'),
    );
    expect(entries.map((e) => [e.title, e.unsupported])).toEqual([
      ['Drm', 'DRM-protected'],
      ['Dash', 'DASH (.mpd)'],
      ['Web', 'web page, not a stream'],
      ['Plugin', 'unsupported scheme plugin:'],
      ['Udp', undefined],
      ['Rtmp', undefined],
    ]);
    expect(entries[0]!.kodiProps).toEqual({ 'inputstream.adaptive.license_type': 'com.widevine.alpha' });
  });

  it('accepts a bare URL list and an HLS master (bandwidth per variant)', () => {
    const { entries } = parse(
      'http://h/a.ts\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\nlow.m3u8\n',
      'http://h/master.m3u8',
    );
    expect(entries.map((e) => [e.url, e.bandwidth])).toEqual([
      ['http://h/a.ts', undefined],
      ['http://h/low.m3u8', 800000],
    ]);
  });

  it('notices an HLS media playlist', () => {
    expect(parse('#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nseg1.ts\n').parser.mediaPlaylist).toBe(
      true,
    );
  });

  it('emits entries as lines arrive (streaming)', () => {
    const seen: string[] = [];
    const p = new M3uParser({ entry: (e) => seen.push(e.title) });
    p.push('#EXTM3U\n#EXTINF:-1,One\nhttp://h/1\n#EXTINF:-1,Two\nhttp://h/');
    expect(seen).toEqual(['One']);
    p.push('2\n');
    expect(seen).toEqual(['One', 'Two']);
    p.end();
  });
});

describe('M3uParser details', () => {
  it('matches directives case-insensitively, as upper-casing the line would', () => {
    const { entries } = parse(
      '#extm3u\n#extinf:-1,Lower\nhttp://h/1\n#Ext\u0131nf:-1,Dotless i\nhttp://h/2\n#EXTINFO:-1,Not one\nhttp://h/3\n',
    );
    expect(entries.map((e) => e.title)).toEqual(['Lower', 'Dotless i', 'http://h/3']);
  });

  it('reads durations like /^[-+]?\\d+(\\.\\d+)?/ and the attributes after them', () => {
    const { entries } = parse(
      [
        '#EXTINF:+1.5,A',
        'http://h/a',
        '#EXTINF:6.,B',
        'http://h/b',
        '#EXTINF:x,C',
        'http://h/c',
        '#EXTINF: -1 tvg-id="d",D',
        'http://h/d',
      ].join('\n'),
    );
    expect(entries.map((e) => [e.duration, e.title, e.attrs])).toEqual([
      [1.5, 'A', {}],
      [6, 'B', {}],
      [0, 'C', {}],
      [-1, 'D', { 'tvg-id': 'd' }],
    ]);
  });

  it('keeps the first of mixed-case duplicate keys and takes headers from them', () => {
    const { entries } = parse(
      '#EXTINF:-1 TVG-ID="A" tvg-id="B" User-Agent="UA1" user-agent="UA2" http-referrer="R" X-Other=1,T\nhttp://h/1\n',
    );
    expect(entries[0]).toMatchObject({
      attrs: { 'tvg-id': 'A', 'user-agent': 'UA1', 'http-referrer': 'R', 'x-other': '1' },
      headers: { 'User-Agent': 'UA1', Referer: 'R' },
    });
  });

  it('tells DASH and web pages apart from streams, whatever the case', () => {
    const urls = [
      'http://h/a.MPD',
      'http://h/a.mpd?x=1',
      'http://h/a.mpd/x',
      'http://h/a.mpdx',
      'HTTPS://WWW.YOUTUBE.COM/watch?v=1',
      'https://youtu.be/x',
      'https://cdn.example/youtube.com/watch',
      'http://h/a.ts',
    ];
    const { entries } = parse(urls.map((u, i) => `#EXTINF:-1,${i}\n${u}`).join('\n'));
    expect(entries.map((e) => e.unsupported)).toEqual([
      'DASH (.mpd)',
      'DASH (.mpd)',
      undefined,
      undefined,
      'web page, not a stream',
      'web page, not a stream',
      undefined,
      undefined,
    ]);
  });

  it('gives the same entries when chunks end inside CRLF, CR-only and LF-only line endings', () => {
    const text = Array.from(
      { length: 30 },
      (_, i) =>
        `#EXTINF:-1 tvg-id="c${i}",C ${i}${['\r\n', '\r', '\n'][i % 3]}http://h/${i}${['\n', '\r\n', '\r'][i % 3]}`,
    ).join('');
    const whole = parse(text);
    expect(whole.entries).toHaveLength(30);
    // Split right after every CR, and at seeded random places.
    const atCr: string[] = text.split(/(?<=\r)/);
    let state = 5;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const random: string[] = [];
    for (let i = 0; i < text.length;) {
      const n = 1 + Math.floor(next() * 40);
      random.push(text.slice(i, i + n));
      i += n;
    }
    for (const chunks of [atCr, random]) {
      const entries: M3uEntry[] = [];
      const p = new M3uParser({ entry: (e) => entries.push(e) });
      for (const c of chunks) p.push(c);
      p.end();
      expect(entries).toEqual(whole.entries);
    }
  });
});

describe('M3uParser field handlers', () => {
  /** What field handlers must get: the matching projection of what entry handlers get. */
  function project(e: M3uEntry): M3uEntryFields {
    return {
      line: e.line,
      title: e.title,
      url: e.url,
      headers: e.headers,
      group: e.group,
      bandwidth: e.bandwidth,
      unsupported: e.unsupported,
      tvgId: e.attrs['tvg-id'],
      number: e.attrs['tvg-chno'] || e.attrs['channel-number'] || undefined,
      logo: e.attrs['tvg-logo'] || e.attrs.logo || undefined,
    };
  }

  function both(text: string, chunk: number): [M3uEntryFields[], M3uEntryFields[], M3uWarning[][]] {
    const entries: M3uEntry[] = [];
    const fields: M3uEntryFields[] = [];
    const warnings: M3uWarning[][] = [[], []];
    const a = new M3uParser({ entry: (e) => entries.push(e), warning: (w) => warnings[0]!.push(w) });
    const b = new M3uParser({ fields: (f) => fields.push(f), warning: (w) => warnings[1]!.push(w) });
    for (const p of [a, b]) {
      for (let i = 0; i < text.length; i += chunk) p.push(text.slice(i, i + chunk));
      p.end();
    }
    expect(b.header).toEqual(a.header);
    expect(b.tvgUrls).toEqual(a.tvgUrls);
    return [entries.map(project), fields, warnings];
  }

  it('get the well-known attributes, headers and warnings an entry handler sees', () => {
    const text = [
      '#EXTM3U url-tvg="http://g/1.xml" tvg-shift=2',
      '#EXTINF:-1 tvg-id=" A.us " TVG-CHNO="7" channel-number="8" logo="http://l/a" tvg-logo="" x-y=1,A',
      'http://h/a.m3u8|Referer=http%3A%2F%2Fr&User-Agent=P',
      '#EXTINF:-1 channel-number="22.1" tvg-logo="http://l/b" logo="http://l/other" tvg-url="http://g/2.xml",B',
      '#EXTVLCOPT:http-user-agent=VLC',
      '#EXTGRP:G',
      'http://h/b.ts',
      '#EXTINF:-1 tvg-name="Named" http-referrer="R" user-agent="UA" group-title="",',
      'http://h/c',
      '#EXTINF:-1 tvg-id="D",',
      '#KODIPROP:inputstream.adaptive.license_key=k',
      'http://h/d.mpd',
      '#EXTINF:-1,No URL',
      '#EXT-X-STREAM-INF:BANDWIDTH=900',
      'v.m3u8',
      'plain-word',
    ].join('\r\n');
    for (const chunk of [text.length, 7, 1]) {
      const [want, got, [w1, w2]] = both(text, chunk);
      expect(want).toHaveLength(4);
      expect(got).toEqual(want);
      expect(w2).toEqual(w1);
    }
  });

  it('agree with entry handlers on seeded random playlists', () => {
    const pieces = [
      '\n#EXTINF:-1',
      '\n#EXTINF:-1',
      ' tvg-id="i"',
      ' tvg-name="n, m"',
      ' TVG-LOGO=l',
      ' logo="x"',
      ' tvg-chno=""',
      ' channel-number=3',
      ' group-title="g"',
      ' user-agent="u"',
      ' origin=o',
      ",T'",
      ',',
      ' "',
      '\n',
      '\r\n',
      '\nhttp://h/',
      '\nhttp://h/x\n',
      '|Cookie=c',
      '#EXTVLCOPT:http-referrer=r',
      '#EXTGRP:x',
    ];
    let state = 3;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let compared = 0;
    for (let n = 0; n < 300; n++) {
      let text = '#EXTM3U\n';
      for (let k = Math.floor(next() * 40); k > 0; k--) text += pieces[Math.floor(next() * pieces.length)];
      const [want, got, [w1, w2]] = both(text, 1 + Math.floor(next() * 20));
      expect(got).toEqual(want);
      expect(w2).toEqual(w1);
      compared += want.length;
    }
    expect(compared).toBeGreaterThan(300);
  });
});

describe('M3uParser whitespace', () => {
  it('trims lines and #EXTINF payloads exactly as String.prototype.trim does', () => {
    const spaces = [
      '\u3000',
      '\u00a0',
      '\u2028',
      '\ufeff',
      '\u200a',
      '\t',
      '\v',
      '\f',
      ' ',
      '\u0085',
      '\u180e',
    ];
    const lines: string[] = ['#EXTM3U'];
    spaces.forEach((sp, i) => {
      lines.push(`${sp}#EXTINF:${sp}-1 tvg-id="c${i}",Title ${i}${sp}`, `${sp}http://h/${i}${sp}`);
    });
    const text = lines.join('\n');
    const trimmed = text
      .split('\n')
      .map((l) => l.trim())
      .map((l) => (l.startsWith('#EXTINF:') ? `#EXTINF:${l.slice(8).trim()}` : l))
      .join('\n');
    const a = parse(text).entries;
    // NEL and the Mongolian vowel separator are not white space to trim(): those lines are not entries.
    expect(a.map((e) => e.url)).toEqual(spaces.slice(0, 9).map((_, i) => `http://h/${i}`));
    expect(a).toEqual(parse(trimmed).entries);
  });
});
