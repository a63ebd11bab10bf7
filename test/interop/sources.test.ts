// Interop: every real-world playlist in ../shared/data/m3u and every captured Xtream panel answer in
// ../shared/data/xtream goes through our parsers (the panel answers are served by the fake provider
// on 127.0.0.1, never by the hosts named in them). Fails loudly when the data is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseDefinition, type M3uDefinition, type XtreamDefinition } from '../../src/sources/definition.js';
import { readM3uSource } from '../../src/sources/m3u.js';
import { readXtreamSource, XtreamClient } from '../../src/sources/xtream.js';
import type { SourceSnapshot } from '../../src/sources/types.js';
import { startFakeProvider, type FakeProvider } from '../fake-provider/server.js';
import { makeService } from '../lineup/helpers.js';
import { repoRoot } from './helpers/env.js';

const DATA = path.resolve(repoRoot(), '../shared/data');
const M3U = path.join(DATA, 'm3u');
const XTREAM = path.join(DATA, 'xtream', 'go.xtream-codes');

function requireData(p: string): void {
  if (!existsSync(p))
    throw new Error(`interop data missing: ${p} (expected ../shared/data next to the repository)`);
}

function m3uFiles(): string[] {
  requireData(M3U);
  const out: string[] = [];
  for (const d of readdirSync(M3U).sort())
    for (const f of readdirSync(path.join(M3U, d)).sort()) out.push(`${d}/${f}`);
  return out;
}

function m3uDef(file: string): M3uDefinition {
  const r = parseDefinition(JSON.stringify({ type: 'm3u', file }), '/interop/tuners/x.json', {});
  if (!r.definition) throw new Error(JSON.stringify(r.problems));
  return r.definition as M3uDefinition;
}

const snaps = new Map<string, SourceSnapshot>();
async function read(rel: string): Promise<SourceSnapshot> {
  let s = snaps.get(rel);
  if (!s) snaps.set(rel, (s = await readM3uSource(m3uDef(path.join(M3U, rel)))));
  return s;
}
const noEpg = (s: SourceSnapshot) => s.entries.filter((e) => !e.epgId).length;
const VLC = 'VLC/3.0.20 LibVLC/3.0.20';

describe('M3U playlists from ../shared/data/m3u', () => {
  it('finds the data', () => {
    expect(m3uFiles().length).toBeGreaterThanOrEqual(16);
  });

  it('parses every file without throwing; every #EXTINF becomes an entry or a counted skip', async () => {
    for (const rel of m3uFiles()) {
      const s = await read(rel);
      const text = readFileSync(path.join(M3U, rel), 'utf8');
      const extinf = (text.match(/^\s*#EXTINF/gim) ?? []).length;
      expect(s.entries.length, rel).toBeGreaterThan(0);
      expect(s.entries.length, rel).toBeLessThanOrEqual(extinf);
      expect(s.entries.length + s.skipped, rel).toBeGreaterThanOrEqual(extinf);
      for (const e of s.entries) {
        expect(e.url, rel).toMatch(/^(https?|rtmp|rtsp|udp|rtp):\/\//);
        expect(e.name.trim(), rel).not.toBe('');
      }
    }
  });

  it('iptv-org in.m3u: 1037 entries, 3 DASH skipped, 95 EXTVLCOPT headers, feed-suffixed tvg-ids', async () => {
    const s = await read('iptv-org/in.m3u');
    expect([s.entries.length, s.skipped]).toEqual([1034, 3]);
    expect(s.warnings.filter((w) => w.endsWith('DASH (.mpd)'))).toHaveLength(3);
    const ua = s.entries.filter((e) => e.headers['User-Agent'] !== VLC).length;
    const ref = s.entries.filter((e) => e.headers.Referer).length;
    expect(ua + ref).toBe(95);
    expect(noEpg(s)).toBe(3);
    expect(s.entries[0]).toMatchObject({ name: '7S Music (576p)', epgId: '7SMusic.in@SD' });
  });

  it('iptv-org qa/uk_samsung/tw: header guide URLs, empty tvg-ids, CJK names, rtmp kept', async () => {
    const qa = await read('iptv-org/qa.m3u');
    expect(qa.entries).toHaveLength(58);
    expect(qa.entries.every((e) => /@/.test(e.epgId ?? ''))).toBe(true);
    expect(qa.tvgUrls).toHaveLength(1);
    const uk = await read('iptv-org/uk_samsung.m3u');
    expect([uk.entries.length, noEpg(uk)]).toEqual([177, 93]);
    const tw = await read('iptv-org/tw.m3u');
    expect([tw.entries.length, noEpg(tw)]).toEqual([50, 27]);
    expect(tw.entries.filter((e) => e.url.startsWith('rtmp://'))).toHaveLength(1);
    expect(tw.entries.some((e) => /[\u4e00-\u9fff]/.test(e.name))).toBe(true);
  });

  it('iptv-org 2023 format: user-agent attributes become headers; status ignored', async () => {
    const fr = await read('iptv-org-2023/fr.m3u');
    expect([fr.entries.length, noEpg(fr)]).toEqual([56, 8]);
    expect(fr.entries.filter((e) => e.headers['User-Agent'] !== VLC)).toHaveLength(14);
    expect(fr.entries.some((e) => e.url.includes('$'))).toBe(true);
    const us = await read('iptv-org-2023/us_local.m3u');
    expect(us.entries).toHaveLength(415);
    expect(us.entries.some((e) => e.headers.Referer)).toBe(true);
  });

  it('Free-TV: ~100 guide URLs in one header, placeholders, DASH, web pages, decimal channel numbers', async () => {
    const s = await read('free-tv/playlist.m3u8');
    expect(s.tvgUrls.length).toBeGreaterThanOrEqual(95);
    expect(s.tvgUrls.every((u) => /^https:\/\/\S+\.xml\.gz$/.test(u))).toBe(true);
    // 9 "[NO PUBLIC STREAM]" placeholders + 22 DASH + web pages, all counted as skipped.
    const text = readFileSync(path.join(M3U, 'free-tv/playlist.m3u8'), 'utf8');
    const web = (
      text.match(/^https?:\/\/(www\.)?(youtube\.com\/(watch|c\/|channel|@)|twitch\.tv\/)/gim) ?? []
    ).length;
    expect(web).toBeGreaterThan(0);
    expect(s.skipped).toBeGreaterThanOrEqual(9 + 22 + web);
    const numbers = s.entries.filter((e) => e.number);
    expect(numbers.length).toBeGreaterThan(1300);
    expect(numbers.some((e) => e.number === '22.1')).toBe(true);
    expect(s.entries.some((e) => /twitch\.tv|youtube\.com\/watch/.test(e.url))).toBe(false);
    expect(s.entries.some((e) => /\.mpd(\?|$)/.test(e.url))).toBe(false);
    expect(s.entries[0]).toMatchObject({ name: 'Kanali 7 Ⓢ', epgId: 'Kanali7.al', group: 'Albania' });
  });

  it('freearhey fixtures: commas in titles and logos, mixed-case keys, pipes, KODIPROP, EXTVLCOPT quotes', async () => {
    const base = await read('iptv-playlist-parser/base.m3u');
    const names = base.entries.map((e) => e.name);
    expect(names).toContain('name,with comma');
    expect(names).toContain('Channel 1 (Tested)');
    expect(base.entries[0]).toMatchObject({ epgId: 'CH1', group: 'Music' });
    expect(base.entries[0]!.logo).toContain('xshow_08.png,Mic_');
    expect(base.entries[0]!.headers.Referer).toBe('http://player.livesports.pw/la2/');
    expect(base.tvgUrls).toEqual([
      'http://195.154.221.171/epg/guidealbania.xml.gz',
      'http://195.154.221.171/epg/guide.xml.gz',
    ]);
    const pipe = await read('iptv-playlist-parser/pipe.m3u');
    expect(pipe.entries.every((e) => !e.url.includes('|'))).toBe(true);
    expect(pipe.entries.some((e) => e.headers.Referer)).toBe(true);
    const kodi = await read('iptv-playlist-parser/kodi.m3u');
    expect(kodi.entries[0]!.headers['User-Agent']).not.toBe(VLC);
    const vlc = await read('iptv-playlist-parser/vlcopt.m3u');
    expect(vlc.entries[0]!.headers['User-Agent']).not.toMatch(/^"/);
    const dup = await read('iptv-playlist-parser/duplicate.m3u');
    expect(dup.entries).toHaveLength(1);
    expect(dup.skipped).toBe(1);
  });

  it('Threadfin fixture: both url-tvg and x-tvg-url, channel numbers', async () => {
    const s = await read('threadfin/test_list_1.m3u');
    expect(s.tvgUrls.length).toBe(2);
    expect(s.entries.map((e) => e.number)).toContain('1');
  });
});

describe('Xtream captures from ../shared/data/xtream', () => {
  let fake: FakeProvider;
  beforeAll(async () => {
    requireData(XTREAM);
    fake = await startFakeProvider({ username: 'U', password: 'P' });
  });
  afterAll(() => fake?.close());

  const load = (provider: string, file: string): unknown =>
    JSON.parse(readFileSync(path.join(XTREAM, provider, file), 'utf8'));

  function def(): XtreamDefinition {
    const r = parseDefinition(
      JSON.stringify({ type: 'xtream', url: fake.url, username: 'U', password: 'P' }),
      '/i/tuners/cap.json',
      {},
    );
    return r.definition as XtreamDefinition;
  }

  const expected: Record<string, { streams: number; categories: number }> = {
    eternal: { streams: 2607, categories: 29 },
    hellraiser: { streams: 4950, categories: 50 },
    iris: { streams: 8623, categories: 86 },
    tnt: { streams: 3462, categories: 42 },
  };

  it('covers every captured provider', () => {
    expect(readdirSync(XTREAM).sort()).toEqual(Object.keys(expected));
  });

  for (const [provider, want] of Object.entries(expected)) {
    it(`${provider}: authentication outcome and every live stream parsed`, async () => {
      const auth = load(provider, 'auth.json') as { user_info: Record<string, unknown> };
      const streams = load(provider, 'get_live_streams.json') as Record<string, unknown>[];
      const categories = load(provider, 'get_live_categories.json') as unknown[];
      expect([streams.length, categories.length]).toEqual([want.streams, want.categories]);
      fake.state.authBody = auth;
      fake.state.streams = streams;
      fake.state.categories = categories;
      // The captures are from 2018: a line with an expiry date has long expired.
      const outcome = await new XtreamClient(def()).authenticate().then(
        (a) => `ok ${a.maxConnections}`,
        (e: Error) => e.message,
      );
      if (auth.user_info.exp_date === null)
        expect(outcome).toBe(`ok ${Number(auth.user_info.max_connections)}`);
      else expect(outcome).toMatch(/^tuners\/cap\.json: account expired on 20\d\d-\d\d-\d\d$/);

      fake.state.authBody = { ...auth, user_info: { ...auth.user_info, exp_date: null } };
      const snap = await readXtreamSource(def());
      const live = new Set(
        streams.filter((s) => !/radio/.test(String(s.stream_type))).map((s) => String(s.stream_id)),
      );
      expect(snap.entries.map((e) => e.streamId).sort()).toEqual([...live].sort());
      const catNames = new Set((categories as { category_name: string }[]).map((c) => c.category_name));
      for (const e of snap.entries) {
        expect(e.url).toBe(`${fake.url}/live/U/P/${e.streamId}.ts`);
        if (e.group !== undefined) expect(catNames.has(e.group)).toBe(true);
        if (e.logo !== undefined) expect(e.logo).toMatch(/^https?:\/\//);
      }
      expect(snap.provider?.maxConnections).toBe(Number(auth.user_info.max_connections));
    });
  }

  it('hellraiser and iris quirks: null category, empty name, shared EPG ids merged', async () => {
    const streams = load('hellraiser', 'get_live_streams.json') as Record<string, unknown>[];
    fake.state.authBody = { user_info: { auth: 1, status: 'Active', max_connections: '2' } };
    fake.state.streams = streams;
    fake.state.categories = load('hellraiser', 'get_live_categories.json') as unknown[];
    const snap = await readXtreamSource(def());
    expect(snap.entries.find((e) => e.streamId === '112233')).toMatchObject({
      name: 'UK: BBC Red Button 1 (SG)',
      epgId: 'BBCRedButton.uk',
      group: 'ENTERTAINMENT & LIFESTYLE UK',
    });
    expect(snap.entries.some((e) => e.group === undefined)).toBe(true);
    expect(snap.entries.filter((e) => e.epgId === 'BBC1London.uk').length).toBeGreaterThanOrEqual(5);

    fake.state.streams = load('iris', 'get_live_streams.json') as Record<string, unknown>[];
    const iris = await readXtreamSource(def());
    expect(iris.entries.some((e) => /^Stream \d+$/.test(e.name))).toBe(true);
  });
});

describe('a lineup from all of it', () => {
  let dir: string;
  let fake: FakeProvider;
  beforeAll(async () => {
    requireData(DATA);
    dir = await mkdtemp(path.join(os.tmpdir(), 'tb-interop-'));
    fake = await startFakeProvider({
      username: 'U',
      password: 'P',
      streams: JSON.parse(readFileSync(path.join(XTREAM, 'tnt', 'get_live_streams.json'), 'utf8')),
      categories: JSON.parse(readFileSync(path.join(XTREAM, 'tnt', 'get_live_categories.json'), 'utf8')),
    });
  });
  afterAll(async () => {
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('merges every playlist and a panel into one lineup with unique GuideNumbers', async () => {
    const tuners = path.join(dir, 'tuners');
    await mkdir(tuners, { recursive: true });
    for (const [i, rel] of m3uFiles().entries()) {
      await writeFile(
        path.join(tuners, `m${i}.json`),
        JSON.stringify({ type: 'm3u', file: path.join(M3U, rel), priority: i }),
      );
    }
    await writeFile(
      path.join(tuners, 'tnt.json'),
      JSON.stringify({ type: 'xtream', url: fake.url, username: 'U', password: 'P' }),
    );
    const svc = makeService(
      { tunersDir: tuners, dataDir: path.join(dir, 'data') },
      { useProviderNumbers: true, qualityPreference: ['FHD', 'HD', 'SD'] },
    );
    await svc.start();
    await svc.scan();
    const ch = svc.channels();
    expect(svc.sourceLimits().every((l) => l.status === 'ok')).toBe(true);
    expect(ch.length).toBeGreaterThan(5000);
    expect(new Set(ch.map((c) => c.guideNumber)).size).toBe(ch.length);
    expect(ch.every((c) => /^\d+(\.\d+)?$/.test(c.guideNumber))).toBe(true);
    // Channels offered by several sources merged into one with several candidates.
    expect(ch.some((c) => new Set(c.candidates.map((x) => x.sourceId)).size > 1)).toBe(true);
    expect(svc.get('22.1')).toBeDefined();
    await svc.stop();
  });
});
