import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { makeService, tempDirs, writeSource, type TestDirs } from './helpers.js';

const PLAYLIST = [
  '#EXTM3U url-tvg="http://guide.example/epg.xml"',
  '#EXTINF:-1 tvg-id="News.us" tvg-logo="http://l/n.png" group-title="News",News HD',
  'http://streams.example/news.m3u8',
  '#EXTINF:-1 tvg-id="Sport.us" group-title="Sport",Sport',
  'http://streams.example/sport.ts',
  '',
].join('\n');

let dirs: TestDirs;
beforeEach(async () => {
  dirs = await tempDirs();
});
afterEach(async () => {
  await dirs.cleanup();
});

describe('LineupService basics', () => {
  it('serves the demo channels when no source is configured', async () => {
    const svc = makeService(dirs, {
      demo: true,
      demoConnections: 3,
      demoClips: () => [
        { id: 'bars', name: 'Colour Bars', file: '/x/bars.ts' },
        { id: 'clock', name: 'Clock', file: '/x/clock.ts' },
      ],
    });
    await svc.start();
    await svc.scan();
    const ch = svc.channels();
    expect(ch.map((c) => [c.guideNumber, c.name])).toEqual([
      ['100', 'Colour Bars'],
      ['101', 'Clock'],
    ]);
    expect(ch[0]!.candidates[0]).toMatchObject({
      kind: 'loop',
      url: 'demo:bars',
      sourceId: 'demo',
      accountKey: 'demo',
    });
    expect(svc.tunerCount()).toBe(3);
    expect(svc.get('101')?.name).toBe('Clock');
    await svc.stop();
  });

  it('reads a local M3U file source and hides the demo', async () => {
    await mkdir(dirs.tunersDir, { recursive: true });
    await writeFile(path.join(dirs.tunersDir, 'list.m3u'), PLAYLIST);
    await writeSource(dirs, 'local', { type: 'm3u', file: 'list.m3u', maxConnections: 4 });
    const svc = makeService(dirs, {
      demo: true,
      demoClips: () => [{ id: 'bars', name: 'Bars', file: '/x' }],
    });
    await svc.start();
    await svc.scan();
    const ch = svc.channels();
    expect(ch.map((c) => c.name)).toEqual(['News HD', 'Sport']);
    expect(ch[0]).toMatchObject({
      guideNumber: '100',
      epgId: 'News.us',
      logo: 'http://l/n.png',
      group: 'News',
      hd: true,
    });
    expect(ch[0]!.candidates[0]).toMatchObject({
      kind: 'hls',
      sourceId: 'local',
      url: 'http://streams.example/news.m3u8',
    });
    expect(ch[1]!.candidates[0]!.kind).toBe('ts');
    expect(svc.tunerCount()).toBe(4);
    expect(svc.guideInputs()).toEqual([
      expect.objectContaining({
        sourceId: 'local',
        kind: 'xmltv',
        xmltvUrls: ['http://guide.example/epg.xml'],
      }),
    ]);
    expect(svc.scanStatus()).toEqual({ inProgress: false, progress: 100, found: 2 });
    await svc.stop();
  });
});

describe('LineupService demo default', () => {
  it('uses the shipped demo clips when none are injected', async () => {
    const svc = makeService(dirs, { demo: true });
    await svc.start();
    await svc.scan();
    const ch = svc.channels();
    expect(ch.length).toBeGreaterThan(0);
    for (const c of ch) expect(c.candidates[0]!.url).toMatch(/^demo:[\w-]+$/);
    expect(svc.sourceLimits()).toEqual([expect.objectContaining({ sourceId: 'demo', maxConnections: 2 })]);
    await svc.stop();
  });
});
