import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { gzipSync, gunzipSync } from 'node:zlib';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuideService, guideContentType, type GuideServiceOptions } from '../../src/guide/service.js';
import { readXmltv } from '../../src/guide/xmltv-reader.js';
import type { GuideChannel, Programme } from '../../src/guide/types.js';
import type { GuideInput } from '../../src/model.js';
import { FakeLineup, channel, makeXmltv, xtreamCandidate } from './helpers.js';

const SECRET = 'S3cretPassw0rd';
const HOUR = 3600_000;
const now = Date.now();
const hourStart = Math.floor(now / HOUR) * HOUR;

interface Served {
  server: Server;
  base: string;
  hits: Map<string, number>;
  routes: Map<string, (req: IncomingMessage, res: ServerResponse) => void>;
}

async function serve(): Promise<Served> {
  const hits = new Map<string, number>();
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const key = u.pathname + (u.searchParams.get('stream_id') ? `#${u.searchParams.get('stream_id')}` : '');
    hits.set(key, (hits.get(key) ?? 0) + 1);
    const h = routes.get(u.pathname);
    if (h) h(req, res);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}`, hits, routes };
}

async function parse(
  xml: Buffer | string,
): Promise<{ channels: GuideChannel[]; programmes: Programme[]; complete: boolean }> {
  const channels: GuideChannel[] = [];
  const programmes: Programme[] = [];
  const r = await readXmltv([Buffer.from(xml)], {
    channel: (c) => channels.push(c),
    programme: (p) => programmes.push(p),
  });
  return { channels, programmes, complete: r.complete && r.problemCount === 0 };
}

async function output(svc: GuideService, gzip = false): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  await svc.writeXmltv(sink, { gzip });
  return Buffer.concat(chunks);
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('GuideService', () => {
  let dir: string;
  let srv: Served;
  let logs: string[];
  let services: GuideService[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tb-guide-'));
    srv = await serve();
    logs = [];
    services = [];
  });
  afterEach(async () => {
    for (const s of services) await s.stop();
    srv.server.closeAllConnections();
    await new Promise((r) => srv.server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  function make(lineup: FakeLineup, over: Partial<GuideServiceOptions> = {}): GuideService {
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(c: Buffer, _e, cb) {
          logs.push(c.toString());
          cb();
        },
      }),
    );
    const svc = new GuideService({
      lineup,
      epgDir: join(dir, 'epg'),
      cacheDir: join(dir, 'cache'),
      logger,
      pastHours: 6,
      futureDays: 7,
      dummyBlockMinutes: 60,
      channelId: 'guideNumber',
      precedence: ['files', 'urls', 'xtream', 'xmltv', 'short-epg', 'dummy'],
      urls: [],
      refreshIntervalMs: 3600_000,
      shortEpgConcurrency: 2,
      fetchTimeoutMs: 5000,
      ...over,
    });
    services.push(svc);
    return svc;
  }

  /** An Xtream source whose xmltv.php covers `ids` (gzip, octet-stream, like XC_VM). */
  function xtreamSource(ids: string[], title = 'XC'): GuideInput {
    const xml = makeXmltv(
      ids.map((id) => ({ id, names: [id] })),
      hourStart - 10 * HOUR,
      24,
      (c, i) => `${title} ${c} ${i}`,
    );
    srv.routes.set('/xmltv.php', (_q, res) =>
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(gzipSync(xml)),
    );
    return {
      sourceId: 'xc',
      kind: 'xtream',
      xmltvUrls: [`${srv.base}/xmltv.php?username=user1&password=${SECRET}`],
      playerApiUrl: `${srv.base}/player_api.php?username=user1&password=${SECRET}`,
      headers: {},
      timeShiftMinutes: 0,
      priority: 0,
    };
  }

  it('shifts the times of an epg/ file or guide URL named in timeShifts, and re-reads when the shift changes', async () => {
    const guide = (id: string, title: string): string =>
      makeXmltv([{ id, names: [id] }], hourStart, 2, (_c, i) => `${title} ${i}`);
    srv.routes.set('/late.xml', (_q, res) =>
      res.writeHead(200, { 'content-type': 'text/xml' }).end(guide('late.tv', 'Late')),
    );
    const url = `${srv.base}/late.xml?token=${SECRET}`;
    const lineup = new FakeLineup([
      channel('1', 'Early', { epgId: 'early.tv' }),
      channel('2', 'Late', { epgId: 'late.tv' }),
      channel('3', 'Plain', { epgId: 'plain.tv' }),
    ]);
    const startsOf = async (svc: GuideService, id: string): Promise<number[]> =>
      (await parse(await output(svc))).programmes.filter((p) => p.channel === id).map((p) => p.start);

    const first = make(lineup, { urls: [url], timeShifts: ['early.xml=-90', `${url}=+30`] });
    await first.start();
    await writeFile(join(dir, 'epg', 'early.xml'), guide('early.tv', 'Early'));
    await writeFile(join(dir, 'epg', 'plain.xml'), guide('plain.tv', 'Plain'));
    await first.refresh();
    expect(await startsOf(first, '1')).toEqual([hourStart - 90 * 60_000, hourStart - 30 * 60_000]);
    expect(await startsOf(first, '2')).toEqual([hourStart + 30 * 60_000, hourStart + 90 * 60_000]);
    expect(await startsOf(first, '3')).toEqual([hourStart, hourStart + HOUR]);
    await first.stop();

    // Same files, another shift: the file is read again, not served from its old spool.
    const second = make(lineup, { urls: [url], timeShifts: ['early.xml=+15'] });
    await second.start();
    await second.refresh();
    expect(await startsOf(second, '1')).toEqual([hourStart + 15 * 60_000, hourStart + 75 * 60_000]);
    expect(await startsOf(second, '2')).toEqual([hourStart, hourStart + HOUR]);
    expect(logs.join('')).not.toContain(SECRET);
  });

  it('merges user files, Xtream xmltv, M3U guides, short EPG and the dummy guide by precedence', async () => {
    const xc = xtreamSource(['bbc.uk', 'itv.uk', 'sky.uk']);
    const m3uXml = makeXmltv(
      [{ id: 'Das Erste', names: ['Das Erste'] }],
      hourStart,
      5,
      (_c, i) => `ARD & Co <${i}>`,
    );
    srv.routes.set('/m3u-guide.xml', (_q, res) =>
      res.writeHead(200, { 'content-type': 'text/xml' }).end(m3uXml),
    );
    srv.routes.set('/player_api.php', (req, res) => {
      const id = new URL(req.url ?? '', 'http://x').searchParams.get('stream_id');
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          epg_listings: [
            {
              title: b64(`Short ${id} Новости`),
              description: b64('Desc'),
              start_timestamp: String(hourStart / 1000),
              stop_timestamp: String(hourStart / 1000 + 1800),
            },
          ],
        }),
      );
    });
    const m3u: GuideInput = {
      sourceId: 'm3u',
      kind: 'xmltv',
      xmltvUrls: [`${srv.base}/m3u-guide.xml`],
      headers: {},
      timeShiftMinutes: 60,
      priority: 1,
    };
    const lineup = new FakeLineup(
      [
        channel('1', 'BBC One HD', { epgId: 'bbc.uk', logo: 'http://logo/bbc.png' }),
        channel('2', 'ITV', { epgId: 'ITV.uk@HD' }),
        channel('3', 'DE: Das Erste FHD'),
        channel('4', 'Short Only', { epgId: 'nowhere.tv', candidates: [xtreamCandidate('xc', '404')] }),
        channel('5', 'Nothing At All'),
        channel('6', 'Sky', { epgId: 'sky.uk' }),
      ],
      { inputs: [xc, m3u] },
    );
    const svc = make(lineup);
    await svc.start();
    await writeFile(
      join(dir, 'epg', 'mine.xml.gz'),
      gzipSync(makeXmltv([{ id: 'sky.uk', names: ['Sky'] }], hourStart, 3, (_c, i) => `Mine ${i}`)),
    );
    await svc.refresh();

    const st = svc.status();
    expect(st.state).toBe('idle');
    const cov = Object.fromEntries(st.coverage.map((c) => [c.guideNumber, c]));
    expect(cov['1']).toMatchObject({ source: 'xtream', guideId: 'bbc.uk', matchedBy: 'epg-id' });
    expect(cov['2']).toMatchObject({ source: 'xtream', guideId: 'itv.uk', matchedBy: 'epg-id' });
    expect(cov['3']).toMatchObject({
      source: 'xmltv',
      guideId: 'Das Erste',
      matchedBy: 'name',
      programmes: 5,
    });
    expect(cov['4']).toMatchObject({ source: 'short-epg', programmes: 1 });
    expect(cov['5']).toMatchObject({ source: 'dummy' });
    expect(cov['6']).toMatchObject({ source: 'files', programmes: 3 });
    expect(st.progress).toMatchObject({ channelsMatched: 5, channelsTotal: 6 });
    expect(st.progress.bytes).toBeGreaterThan(0);
    expect(st.lastRefresh).not.toBeNull();

    const { channels, programmes, complete } = await parse(await output(svc));
    expect(complete).toBe(true);
    expect(channels.map((c) => c.id)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(channels[0]).toEqual({ id: '1', names: ['BBC One HD', '1'], icon: 'http://logo/bbc.png' });
    const of = (id: string): Programme[] => programmes.filter((p) => p.channel === id);
    // Window: 6 h back. The Xtream guide starts 10 h back, so its first 4-5 hours are dropped.
    expect(of('1').every((p) => (p.stop as number) > now - 6 * HOUR)).toBe(true);
    expect(of('1').length).toBeGreaterThanOrEqual(19);
    expect(of('1').length).toBeLessThanOrEqual(20);
    expect(of('1')[0]?.titles[0]?.text).toMatch(/^XC bbc\.uk \d+$/);
    // The M3U source's guide is shifted by +60 minutes.
    expect(of('3')[0]).toMatchObject({ start: hourStart + HOUR, titles: [{ text: 'ARD & Co <0>' }] });
    expect(of('4')[0]?.titles[0]?.text).toBe('Short 404 Новости');
    expect(of('5')[0]?.titles[0]?.text).toBe('Nothing At All');
    expect(of('5').length).toBeGreaterThanOrEqual(7 * 24);
    expect(of('6').map((p) => p.titles[0]?.text)).toEqual(['Mine 0', 'Mine 1', 'Mine 2']);
    // Credentials never show up in status or logs.
    expect(JSON.stringify(st)).not.toContain(SECRET);
    expect(logs.join('')).not.toContain(SECRET);
    expect(JSON.stringify(st.inputs)).toContain('password=***');
  });

  it('serves the last complete guide while a refresh hangs, and after a restart', async () => {
    const xc = xtreamSource(['a.tv']);
    const lineup = new FakeLineup([channel('10', 'A', { epgId: 'a.tv' })], { inputs: [xc] });
    const first = make(lineup);
    await first.refresh();
    const before = await output(first);
    expect((await parse(before)).programmes.length).toBeGreaterThan(10);

    // Now the provider stalls mid-body: the refresh is under way but requests are answered at once.
    srv.routes.set('/xmltv.php', (_q, res) => {
      res.writeHead(200);
      res.write('<tv><channel id="a.tv"><display-name>A</display-name></channel>');
    });
    const pending = first.refresh();
    await new Promise((r) => setTimeout(r, 200));
    expect(first.status().state).toBe('refreshing');
    const t0 = Date.now();
    expect((await output(first)).equals(before)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    await first.stop();
    await pending.catch(() => undefined);

    // A new instance (restart) serves the persisted guide before doing anything else.
    const second = make(new FakeLineup());
    await second.start();
    expect((await output(second)).equals(before)).toBe(true);
    expect(second.status().coverage[0]).toMatchObject({ guideNumber: '10', source: 'xtream' });
  });

  it('coalesces concurrent refreshes and only re-reads stale inputs on a rebuild', async () => {
    const lineup = new FakeLineup([channel('1', 'A', { epgId: 'a.tv' })], {
      inputs: [xtreamSource(['a.tv'])],
    });
    const svc = make(lineup);
    const a = svc.refresh();
    const b = svc.refresh();
    expect(b).toBe(a);
    await Promise.all([a, b]);
    expect(srv.hits.get('/xmltv.php')).toBe(1);
    lineup.set([channel('1', 'A', { epgId: 'a.tv' }), channel('2', 'B')]);
    await svc.start();
    await new Promise<void>((r) => svc.once('refreshed', () => r()));
    expect(svc.status().coverage.map((c) => c.source)).toEqual(['xtream', 'dummy']);
    // The lineup change rebuilt the guide from the spool: no new download.
    expect(srv.hits.get('/xmltv.php')).toBe(1);
  });

  it('keeps user overrides across refreshes and restarts', async () => {
    const lineup = new FakeLineup([channel('1', 'A', { epgId: 'a.tv', key: 'k1' })], {
      inputs: [xtreamSource(['a.tv', 'b.tv'])],
    });
    const svc = make(lineup);
    await svc.refresh();
    await svc.setGuideId('k1', 'B.TV');
    await svc.refresh();
    expect(svc.status().coverage[0]).toMatchObject({
      guideId: 'b.tv',
      matchedBy: 'override',
      override: 'B.TV',
    });
    const restarted = make(lineup);
    await restarted.refresh();
    expect(restarted.status().coverage[0]).toMatchObject({ guideId: 'b.tv', matchedBy: 'override' });
    await restarted.setGuideId('k1', '');
    await restarted.refresh();
    expect(restarted.status().coverage[0]).toMatchObject({ source: 'dummy', override: '' });
    await restarted.setGuideId('k1', null);
    await restarted.refresh();
    expect(restarted.status().coverage[0]).toMatchObject({ guideId: 'a.tv', matchedBy: 'epg-id' });
    expect(restarted.status().coverage[0]?.override).toBeUndefined();
  });

  it('picks up guides dropped into epg/ without a restart', async () => {
    const lineup = new FakeLineup([channel('7', 'Local Seven', { epgId: 'seven.tv' })]);
    const svc = make(lineup);
    await svc.start();
    await svc.refresh();
    expect(svc.status().coverage[0]?.source).toBe('dummy');
    const refreshed = new Promise<void>((r) =>
      svc.on('refreshed', (s) => s.coverage[0]?.source === 'files' && r()),
    );
    await writeFile(
      join(dir, 'epg', 'seven.xml'),
      makeXmltv([{ id: 'seven.tv', names: ['Seven'] }], hourStart, 4),
    );
    await refreshed;
    expect(svc.status().coverage[0]).toMatchObject({
      source: 'files',
      programmes: 4,
      input: 'epg/seven.xml',
    });
  });

  it('reports broken inputs cleanly and keeps a better previous copy', async () => {
    const good = makeXmltv([{ id: 'a.tv', names: ['A'] }], hourStart, 20);
    let body: string | Buffer = good;
    srv.routes.set('/g.xml', (_q, res) => res.writeHead(200).end(body));
    const urls = [`${srv.base}/g.xml`, `${srv.base}/missing.xml?token=${SECRET}`];
    const lineup = new FakeLineup([channel('1', 'A', { epgId: 'a.tv' })]);
    const svc = make(lineup, { urls });
    await svc.refresh();
    expect(svc.status().coverage[0]).toMatchObject({ source: 'urls', programmes: 20 });
    expect(
      svc
        .status()
        .errors.map((e) => e.message)
        .join(),
    ).toMatch(/HTTP 404/);

    body = good.slice(0, Math.floor(good.length / 2));
    await svc.refresh();
    const st = svc.status();
    expect(st.coverage[0]).toMatchObject({ source: 'urls', programmes: 20 });
    expect(st.errors.map((e) => e.message).join('\n')).toMatch(/truncated[\s\S]*kept the previous copy/);

    body = Buffer.from('<html><body>Service Unavailable</body></html>');
    await svc.refresh();
    expect(
      svc
        .status()
        .errors.map((e) => e.message)
        .join('\n'),
    ).toMatch(/not an XMLTV document/);
    expect(JSON.stringify(svc.status())).not.toContain(SECRET);
    expect(logs.join('')).not.toContain(SECRET);
  });

  it('writes tvg-ids with lcn when asked, and serves gzip', async () => {
    const lineup = new FakeLineup(
      [channel('1', 'A', { epgId: 'a.tv' }), channel('2', 'B', { epgId: 'a.tv' }), channel('3', 'C')],
      { inputs: [xtreamSource(['a.tv'])] },
    );
    const svc = make(lineup, { channelId: 'tvgId' });
    await svc.refresh();
    const xml = await output(svc);
    expect(gunzipSync(await output(svc, true)).equals(xml)).toBe(true);
    const text = xml.toString();
    expect(text).toContain(
      '<channel id="a.tv"><display-name>A</display-name><display-name>1</display-name><lcn>1</lcn></channel>',
    );
    // A second channel with the same tvg-id falls back to its GuideNumber, and gets the same programmes.
    expect(text).toContain('<channel id="2">');
    const { programmes } = await parse(xml);
    expect(programmes.filter((p) => p.channel === '2').length).toBe(
      programmes.filter((p) => p.channel === 'a.tv').length,
    );
    expect(guideContentType(true)).toBe('application/gzip');
    expect(guideContentType(false)).toMatch(/^application\/xml/);
  });

  it('writes lcn with GuideNumber ids only when turned on (it is not in the DTD)', async () => {
    const lineup = new FakeLineup([channel('7', 'A', { epgId: 'a.tv' })], {
      inputs: [xtreamSource(['a.tv'])],
    });
    const plain = make(lineup, {});
    await plain.refresh();
    expect((await output(plain)).toString()).not.toContain('<lcn>');
    const withLcn = make(lineup, { lcn: true });
    await withLcn.refresh();
    expect((await output(withLcn)).toString()).toContain(
      '<channel id="7"><display-name>A</display-name><display-name>7</display-name><lcn>7</lcn></channel>',
    );
  });

  it('compresses the guide once per build and serves the kept copy until the next build', async () => {
    const lineup = new FakeLineup([channel('1', 'A', { epgId: 'a.tv' })], {
      inputs: [xtreamSource(['a.tv'], 'First')],
    });
    const svc = make(lineup);
    await svc.refresh();
    const cache = join(dir, 'cache');
    const kept = async (): Promise<string[]> =>
      (await readdir(cache)).filter((n) => n.startsWith('guide.xml.') && n.endsWith('.gz'));
    expect(await kept()).toEqual([]);
    const first = await output(svc, true);
    expect(gunzipSync(first).equals(await output(svc))).toBe(true);
    const [copy] = await kept();
    expect(copy).toBeDefined();
    // The second request is the kept file, byte for byte.
    expect((await output(svc, true)).equals(await readFile(join(cache, copy as string)))).toBe(true);

    // A rebuild drops the stale copy; the next request compresses the new guide.
    lineup.inputs = [xtreamSource(['a.tv'], 'Second')];
    await svc.refresh();
    expect(await kept()).toEqual([]);
    const second = gunzipSync(await output(svc, true)).toString();
    expect(second).toContain('Second a.tv');
    expect(second).not.toContain('First a.tv');
    expect(await kept()).toHaveLength(1);
  });

  it('fills holes in a guide and its early end with placeholder blocks when asked', async () => {
    // Programmes at +0 h and +1 h, then a 3 h hole, one at +5 h, then nothing: the guide ends early.
    const hours = [0, 1, 5];
    const xml = makeXmltv([{ id: 'a.tv', names: ['A'] }], hourStart, 6, (_c, i) => `Show ${i}`).replace(
      /<programme start="[^"]*"[^>]*><title>Show (\d)<\/title><\/programme>\n/g,
      (m, i: string) => (hours.includes(Number(i)) ? m : ''),
    );
    const lineup = new FakeLineup([
      channel('1', 'A & Co', { epgId: 'a.tv' }),
      channel('2', 'Other', { epgId: 'b.tv' }),
    ]);
    const build = async (fillGapsMinutes: number): Promise<Programme[]> => {
      await rm(join(dir, 'cache'), { recursive: true, force: true });
      const svc = make(lineup, { fillGapsMinutes, pastHours: 1, futureDays: 1 });
      await svc.start();
      await writeFile(join(dir, 'epg', 'short.xml'), xml);
      await svc.refresh();
      const out = await output(svc);
      await svc.stop();
      return (await parse(out)).programmes;
    };

    const off = (await build(0)).filter((p) => p.channel === '1');
    expect(off.map((p) => p.titles[0]?.text)).toEqual(['Show 0', 'Show 1', 'Show 5']);

    const on = await build(30);
    const a = on.filter((p) => p.channel === '1');
    const real = a.filter((p) => p.titles[0]?.text !== 'A & Co');
    expect(real.map((p) => p.titles[0]?.text)).toEqual(['Show 0', 'Show 1', 'Show 5']);
    // Back to back from the first programme to the end of the window, no overlap, no hole.
    for (let i = 1; i < a.length; i++) expect(a[i]?.start).toBe(a[i - 1]?.stop);
    expect(a[0]?.start).toBe(hourStart);
    expect(a[a.length - 1]?.stop).toBeGreaterThanOrEqual(hourStart + 23 * HOUR);
    // The hole (+2 h to +5 h) is three 1-hour placeholders titled with the channel name.
    const hole = a.filter(
      (p) => p.start >= hourStart + 2 * HOUR && (p.stop as number) <= hourStart + 5 * HOUR,
    );
    expect(hole.map((p) => [p.titles[0]?.text, (p.stop as number) - p.start])).toEqual([
      ['A & Co', HOUR],
      ['A & Co', HOUR],
      ['A & Co', HOUR],
    ]);
    // A channel without any guide still gets the plain dummy guide.
    expect(on.filter((p) => p.channel === '2').length).toBeGreaterThanOrEqual(24);
  });

  it('serves a dummy guide for every channel before anything was built', async () => {
    const lineup = new FakeLineup([channel('1', 'A & B'), channel('2.1', 'Sub')]);
    const svc = make(lineup, { dummyBlockMinutes: 120, pastHours: 2, futureDays: 1 });
    const { channels, programmes, complete } = await parse(await output(svc));
    expect(complete).toBe(true);
    expect(channels.map((c) => c.id)).toEqual(['1', '2.1']);
    expect(programmes.filter((p) => p.channel === '1').length).toBeGreaterThanOrEqual(13);
    expect(programmes.every((p) => (p.stop as number) - p.start === 2 * HOUR)).toBe(true);
    expect(programmes[0]?.titles[0]?.text).toBe('A & B');
  });

  it('leaves the guide alone while the lineup is empty', async () => {
    const svc = make(new FakeLineup());
    await svc.refresh();
    expect(svc.status().lastRefresh).toBeNull();
    await expect(readFile(join(dir, 'cache', 'guide.xml'))).rejects.toThrow();
  });

  it('streams the guide over HTTP with the right content types, first byte fast', async () => {
    const lineup = new FakeLineup([channel('1', 'A', { epgId: 'a.tv' })], {
      inputs: [xtreamSource(['a.tv'])],
    });
    const svc = make(lineup);
    await svc.refresh();
    const http = createServer((req, res) => {
      const gz = req.url === '/xmltv.xml.gz';
      res.setHeader('content-type', guideContentType(gz));
      const pass = new PassThrough();
      pass.pipe(res);
      void svc.writeXmltv(pass, { gzip: gz });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const plain = await fetch(`${base}/xmltv.xml`);
      expect(plain.headers.get('content-type')).toBe('application/xml; charset=utf-8');
      const text = await plain.text();
      expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
      const gz = await fetch(`${base}/xmltv.xml.gz`);
      expect(gz.headers.get('content-type')).toBe('application/gzip');
      expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(text);
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });
});
