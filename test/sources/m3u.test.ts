import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseDefinition, type M3uDefinition } from '../../src/sources/definition.js';
import { kindOf, readM3uSource, urlId } from '../../src/sources/m3u.js';
import { SourceError } from '../../src/sources/types.js';
import { makeStreams, startFakeProvider } from '../fake-provider/server.js';

const LIST = [
  '#EXTM3U x-tvg-url="http://g/epg.xml"',
  '#EXTINF:-1 tvg-id="A.us" tvg-chno="7" group-title="News",A News',
  'http://s/a.m3u8',
  '#EXTINF:-1 tvg-id="" group-title="Movies",B Movie',
  'b.ts',
  '#EXTINF:-1 tvg-id="(no tvg-id)",A duplicate URL',
  'http://s/a.m3u8',
  '#EXTINF:-1,Dash',
  'http://s/x.mpd',
  '',
].join('\r\n');

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const routes = new Map<string, Route>();
let server: http.Server;
let base: string;
let tmp: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const r = routes.get(req.url ?? '');
    if (r) r(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tb-m3u-'));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(tmp, { recursive: true, force: true });
});

function def(over: Record<string, unknown>): M3uDefinition {
  const r = parseDefinition(
    JSON.stringify({ type: 'm3u', timeout: 2, ...over }),
    path.join(tmp, 'tuners', 'list.json'),
    {},
  );
  if (!r.definition) throw new Error(JSON.stringify(r.problems));
  return r.definition as M3uDefinition;
}

async function failure(d: M3uDefinition): Promise<SourceError> {
  const e = await readM3uSource(d).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(SourceError);
  return e as SourceError;
}

describe('readM3uSource', () => {
  it('streams a playlist over HTTP: relative URLs resolved, duplicates and unsupported skipped', async () => {
    routes.set('/lists/main.m3u', (req, res) => {
      expect(req.headers['user-agent']).toBe('TestUA');
      res.end(LIST);
    });
    const snap = await readM3uSource(def({ url: `${base}/lists/main.m3u`, userAgent: 'TestUA' }));
    expect(snap.entries.map((e) => [e.name, e.url, e.epgId, e.number, e.kind])).toEqual([
      ['A News', 'http://s/a.m3u8', 'A.us', '7', 'hls'],
      ['B Movie', `${base}/lists/b.ts`, undefined, undefined, 'ts'],
    ]);
    expect(snap.entries[0]!.headers).toEqual({ 'User-Agent': 'TestUA' });
    expect(snap.entries[0]!.streamId).toMatch(/^[0-9a-z]{14}$/);
    expect(snap.tvgUrls).toEqual(['http://g/epg.xml']);
    expect(snap.skipped).toBe(2);
    expect(snap.warnings).toEqual(['line 8: skipped "Dash": DASH (.mpd)']);
  });

  it('gives the same stream id to the same URL whatever its position', async () => {
    const f1 = path.join(tmp, 'one.m3u');
    const f2 = path.join(tmp, 'two.m3u');
    await writeFile(f1, '#EXTM3U\n#EXTINF:-1,X\nhttp://s/x\n#EXTINF:-1,Y\nhttp://s/y\n');
    await writeFile(f2, '#EXTM3U\n#EXTINF:-1,Y\nhttp://s/y\n#EXTINF:-1,X renamed\nhttp://s/x\n');
    const a = await readM3uSource(def({ file: f1 }));
    const b = await readM3uSource(def({ file: f2 }));
    expect(a.entries.map((e) => e.streamId)).toEqual(b.entries.map((e) => e.streamId).reverse());
  });

  it('reads gzip playlists by magic bytes, whatever the headers say', async () => {
    routes.set('/gz', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(gzipSync(LIST)),
    );
    const snap = await readM3uSource(def({ url: `${base}/gz` }));
    expect(snap.entries).toHaveLength(2);
  });

  it('applies URL and group filters', async () => {
    routes.set('/f', (_req, res) => res.end(LIST));
    const snap = await readM3uSource(
      def({ url: `${base}/f`, filters: { excludeUrls: ['\\.m3u8$'], excludeGroups: ['/^news/'] } }),
    );
    expect(snap.entries.map((e) => e.name)).toEqual(['B Movie']);
  });

  it('reads a playlist from get.php through a token redirect', async () => {
    const fake = await startFakeProvider({
      streams: makeStreams(3),
      redirectWithToken: true,
      username: 'u1',
      password: 'p1',
    });
    try {
      const snap = await readM3uSource(
        def({ url: `${fake.url}/get.php?username=u1&password=p1&type=m3u_plus&output=ts` }),
      );
      expect(snap.entries.map((e) => e.url)).toEqual(
        [1001, 1002, 1003].map((id) => `${fake.url}/u1/p1/${id}.ts`),
      );
      expect(snap.entries[0]).toMatchObject({ epgId: 'Channel1.uk', name: 'UK: Channel 1 HD' });
    } finally {
      await fake.close();
    }
  });

  it('explains HTML pages, HTTP errors, streams given as lists, and timeouts', async () => {
    routes.set('/html', (_req, res) => res.end('<html><body>Access denied</body></html>'));
    routes.set('/403', (_req, res) => res.writeHead(403).end('<html>no</html>'));
    routes.set('/media', (_req, res) => res.end('#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\nseg.ts\n'));
    routes.set('/text', (_req, res) => res.end('hello world\n'));
    routes.set('/slow', (_req, res) => void setTimeout(() => res.end(LIST), 1500));
    const cases: [string, RegExp, SourceError['kind']][] = [
      ['/html', /^tuners\/list\.json: playlist server answered HTML \(not an M3U playlist\)$/, 'format'],
      ['/403', /^tuners\/list\.json: playlist server answered HTTP 403 \(HTML error page\)$/, 'auth'],
      ['/media', /this is an HLS stream \(media playlist\), not a channel list$/, 'format'],
      ['/text', /not an M3U playlist \(no #EXTM3U header and no entries\)$/, 'format'],
    ];
    for (const [p, msg, kind] of cases) {
      const e = await failure(def({ url: `${base}${p}` }));
      expect(e.message).toMatch(msg);
      expect(e.kind).toBe(kind);
    }
    const slow = await failure({ ...def({ url: `${base}/slow` }), timeoutMs: 200 });
    expect([slow.kind, slow.message]).toEqual(['timeout', 'tuners/list.json: no answer within 200 ms']);
  });

  it('reports progress from bytes read against Content-Length', async () => {
    const big = ['#EXTM3U'];
    for (let i = 0; i < 20_000; i++) big.push(`#EXTINF:-1 tvg-id="C${i}",Channel ${i}`, `http://s/${i}.ts`);
    const body = Buffer.from(big.join('\n'));
    routes.set('/big', (_req, res) => res.writeHead(200, { 'content-length': body.length }).end(body));
    const seen: { entries: number; fraction: number }[] = [];
    const snap = await readM3uSource(def({ url: `${base}/big` }), { onProgress: (p) => seen.push(p) });
    expect(snap.entries).toHaveLength(20_000);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)).toEqual({ entries: 20_000, fraction: 1 });
    const fractions = seen.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.slice(0, -1).every((f) => f > 0 && f < 1)).toBe(true);
  });

  it('gives distinct ids to distinct URLs', async () => {
    const { urlId } = await import('../../src/sources/m3u.js');
    const ids = new Set<string>();
    for (let i = 0; i < 200_000; i++) ids.add(urlId(`http://p.example:8080/live/u/p/${i}.ts`));
    expect(ids.size).toBe(200_000);
  });

  it('names a missing local file', async () => {
    const e = await failure(def({ file: 'nope.m3u' }));
    expect(e.message).toBe(
      `tuners/list.json: playlist file not found: ${path.join(tmp, 'tuners', 'nope.m3u')}`,
    );
  });
});

describe('stream ids and kinds', () => {
  it('keeps stream ids stable across versions (overrides and channel maps store them)', () => {
    expect(
      [
        'http://p.example:8080/live/user/pass/1001.ts',
        'https://cdn.example/hls/ch1/index.m3u8?token=abc',
        'udp://@239.0.0.1:1234',
        'http://h/21',
        '',
      ].map(urlId),
    ).toEqual(['0xye8ox073k178', '03r231q1trrk59', '1fmd3kp1us2ru0', '00sqce70t702wu', '0pzzzep1k7cal3']);
  });

  it('tells HLS and TS apart by the path, in any case, before a query or fragment', () => {
    const urls = [
      'http://h/a.M3U8',
      'http://h/a.Ts',
      'http://h/a.m3u8?x=b.ts',
      'http://h/a.ts#f',
      'http://h/a.tsx',
      'http://h/ts',
    ];
    expect(urls.map(kindOf)).toEqual(['hls', 'ts', 'hls', 'ts', 'auto', 'auto']);
  });
});

describe('large and unusual playlists', () => {
  /** urlId as first defined: two multiplicative hashes over the UTF-16 code units, base 36. */
  function referenceId(url: string): string {
    let h1 = 0x811c9dc5 ^ url.length;
    let h2 = 0x9747b28c;
    for (let i = 0; i < url.length; i++) {
      const c = url.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
    h1 ^= h1 >>> 13;
    h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
    h2 ^= h2 >>> 16;
    return (h1 >>> 0).toString(36).padStart(7, '0') + (h2 >>> 0).toString(36).padStart(7, '0');
  }

  it('hashes any URL by its code units: ASCII or not, lone surrogates, longer than the byte buffer', () => {
    const urls = [
      'http://p.example/live/u/p/1.ts',
      'http://xn--example/é/ü.ts',
      'http://h/😀.m3u8',
      'http://h/\ud800x',
      'http://h/\u0080',
      `http://h/${'a'.repeat(1364)}`,
      `http://h/${'a'.repeat(5000)}`,
      `http://h/${'é'.repeat(700)}`,
    ];
    expect(urls.map(urlId)).toEqual(urls.map(referenceId));
  });

  it('drops repeated URLs among thousands of entries, first one kept', async () => {
    const lines = ['#EXTM3U'];
    for (let i = 0; i < 6_000; i++) lines.push(`#EXTINF:-1,N${i}`, `http://s/${i % 5_000}.ts`);
    const f = path.join(tmp, 'repeats.m3u');
    await writeFile(f, lines.join('\n'));
    const snap = await readM3uSource(def({ file: f }));
    expect(snap.entries).toHaveLength(5_000);
    expect(snap.skipped).toBe(1_000);
    expect(snap.entries.map((e) => e.name)).toEqual(Array.from({ length: 5_000 }, (_, i) => `N${i}`));
    expect(snap.entries.map((e) => e.streamId)).toEqual(snap.entries.map((e) => referenceId(e.url)));
  });

  it('decodes UTF-8 split across reads, a BOM and bad bytes as a streaming TextDecoder does', async () => {
    // Titles with 2-, 3- and 4-byte characters, enough of them that some straddle a read boundary.
    const parts: Buffer[] = [Buffer.from('\uFEFF#EXTM3U\n')];
    for (let i = 0; i < 12_000; i++) {
      parts.push(Buffer.from(`#EXTINF:-1,Ch ${i} é€😀 ${'ü'.repeat(i % 7)}`));
      // Now and then a bad byte or a cut-off sequence inside a title.
      if (i % 997 === 0) parts.push(Buffer.from([0xff, 0xe2, 0x82, 0x41]));
      parts.push(Buffer.from(`\nhttp://s/${i}.ts\n`));
    }
    const bytes = Buffer.concat(parts);
    // Some read (256 KB) boundary falls inside a character: a continuation byte right after it.
    const boundaries = Array.from(
      { length: Math.floor(bytes.length / 262_144) },
      (_, k) => (k + 1) * 262_144,
    );
    expect(boundaries.some((b) => (bytes[b]! & 0xc0) === 0x80)).toBe(true);
    const f = path.join(tmp, 'utf8.m3u');
    await writeFile(f, bytes);
    const snap = await readM3uSource(def({ file: f }));
    const text = new TextDecoder('utf-8').decode(bytes);
    const titles = text
      .split('\n')
      .filter((l) => l.startsWith('#EXTINF:-1,'))
      .map((l) => l.slice('#EXTINF:-1,'.length).trim());
    expect(titles).toHaveLength(12_000);
    expect(snap.entries.map((e) => e.name)).toEqual(titles);
  });
});
