import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import type http from 'node:http';
import { createHdhrRouter } from '../../src/http/hdhr-routes.js';
import { baseUrlFor } from '../../src/http/base-url.js';
import { boundPort, closeServer, listen } from '../../src/http/server.js';
import { FakeLineup, FakeStreamer, channel } from './fakes.js';

const lineup = new FakeLineup([
  channel('100', 'News & "Weather" <HD>', { hd: true, logo: 'http://logo.invalid/a.png', group: 'News' }),
  channel('101', 'Sports'),
  channel('102.1', 'Sub channel'),
]);
const streamer = new FakeStreamer();
let server: http.Server;
let base: string;

beforeAll(async () => {
  const app = express();
  let port = 0;
  app.use(
    createHdhrRouter({
      device: () => ({
        deviceId: '1053C0CA',
        uuid: '4f7f1c2e-8a4b-5c3d-9e2f-1053c0ca0000',
        deviceAuth: 'tunerbridge0000000000000',
        friendlyName: 'Living Room',
        modelNumber: 'HDHR4-2US',
        firmwareName: 'hdhomerun4_atsc',
        firmwareVersion: '20250506',
      }),
      lineup,
      streamer,
      baseUrl: (local) => baseUrlFor({ port }, local),
      deviceXml: (b) => `<root><URLBase>${b}</URLBase></root>`,
      tvgId: (c) => c.guideNumber,
    }),
  );
  server = await listen(app, 0, '127.0.0.1');
  port = boundPort(server);
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => closeServer(server));

describe('HDHomeRun HTTP API', () => {
  it('discover.json describes the device with a numeric TunerCount and URLs on the address we were reached at', async () => {
    const res = await fetch(`${base}/discover.json`);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const d = (await res.json()) as Record<string, unknown>;
    expect(d).toMatchObject({
      FriendlyName: 'Living Room',
      ModelNumber: 'HDHR4-2US',
      FirmwareName: 'hdhomerun4_atsc',
      DeviceID: '1053C0CA',
      BaseURL: base,
      LineupURL: `${base}/lineup.json`,
    });
    expect(d.TunerCount).toBe(2);
    expect(typeof d.TunerCount).toBe('number');
  });

  it('lineup.json lists channels with numeric flags and query-free stream URLs, for every show= variant', async () => {
    for (const q of ['', '?show=found', '?show=unprotected', '?show=demo&tuning']) {
      const list = (await (await fetch(`${base}/lineup.json${q}`)).json()) as Record<string, unknown>[];
      expect(list).toEqual([
        { GuideNumber: '100', GuideName: 'News & "Weather" <HD>', URL: `${base}/auto/v100`, HD: 1 },
        { GuideNumber: '101', GuideName: 'Sports', URL: `${base}/auto/v101` },
        { GuideNumber: '102.1', GuideName: 'Sub channel', URL: `${base}/auto/v102.1` },
      ]);
      for (const e of list) expect(String(e.URL)).not.toMatch(/[?]|secret/);
    }
  });

  it('lineup.xml escapes names and mirrors the JSON fields', async () => {
    const text = await (await fetch(`${base}/lineup.xml`)).text();
    expect(text).toContain('<Lineup><Program><GuideNumber>100</GuideNumber>');
    expect(text).toContain('<GuideName>News &#38; &#34;Weather&#34; &#60;HD&#62;</GuideName>');
    expect(text).toContain(`<URL>${base}/auto/v102.1</URL>`);
  });

  it('lineup.m3u carries tvg attributes and the guide URL header', async () => {
    const res = await fetch(`${base}/lineup.m3u`);
    const text = await res.text();
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe(`#EXTM3U url-tvg="${base}/xmltv.xml" x-tvg-url="${base}/xmltv.xml"`);
    expect(lines[1]).toBe(
      `#EXTINF:-1 tvg-id="100" tvg-chno="100" tvg-name="News & 'Weather' <HD>" tvg-logo="http://logo.invalid/a.png" group-title="News",News & "Weather" <HD>`,
    );
    expect(lines[2]).toBe(`${base}/auto/v100`);
    expect(lines).toHaveLength(7);
    expect(text).not.toContain('secret');
  });

  it('lineup_status.json reports idle and scanning states like the device', async () => {
    expect(await (await fetch(`${base}/lineup_status.json`)).json()).toEqual({
      ScanInProgress: 0,
      ScanPossible: 1,
      Source: 'Cable',
      SourceList: ['Cable'],
    });
    lineup.scanning = { inProgress: true, progress: 42.4, found: 7 };
    expect(await (await fetch(`${base}/lineup_status.json`)).json()).toEqual({
      ScanInProgress: 1,
      Progress: 42,
      Found: 7,
    });
    lineup.scanning = { inProgress: false, progress: 0, found: 0 };
  });

  it('lineup.post answers 200 with an empty body to GET and POST, starting and aborting scans', async () => {
    const a = await fetch(`${base}/lineup.post?scan=start&source=Cable`, { method: 'POST' });
    expect(a.status).toBe(200);
    expect(await a.text()).toBe('');
    const b = await fetch(`${base}/lineup.post?scan=start`);
    expect(b.status).toBe(200);
    const c = await fetch(`${base}/lineup.post?scan=abort`, { method: 'POST' });
    expect(c.status).toBe(200);
    expect(lineup.scans).toBe(2);
    expect(lineup.aborts).toBe(1);
  });

  it('streams a known channel as video/mp2t and ignores unknown query params', async () => {
    const res = await fetch(`${base}/auto/v101?transcode=heavy&foo=bar`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp2t');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(1880);
    expect(streamer.calls.at(-1)).toMatchObject({ guideNumber: '101', tuner: undefined });
    const t = await fetch(`${base}/tuner1/v102.1`);
    expect(t.status).toBe(200);
    await t.arrayBuffer();
    expect(streamer.calls.at(-1)).toMatchObject({ guideNumber: '102.1', tuner: 1 });
  });

  it('answers HEAD without tuning', async () => {
    const before = streamer.calls.length;
    const res = await fetch(`${base}/auto/v100`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp2t');
    expect(streamer.calls.length).toBe(before);
  });

  it('unknown channels and tuners get 404 + X-HDHomeRun-Error 801 with an empty body', async () => {
    for (const path of ['/auto/v999', '/tuner7/v100', '/auto/vABC', '/auto/v1_2']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('x-hdhomerun-error')).toBe('801 Unknown Channel');
      expect(await res.text()).toBe('');
    }
  });

  it('busy tuners get 503 + X-HDHomeRun-Error with an empty body', async () => {
    streamer.refuse = { ok: false, status: 503, code: 805, text: 'All Tuners In Use' };
    const res = await fetch(`${base}/auto/v100`);
    expect(res.status).toBe(503);
    expect(res.headers.get('x-hdhomerun-error')).toBe('805 All Tuners In Use');
    expect(res.headers.get('content-length')).toBe('0');
    expect(await res.text()).toBe('');
    streamer.refuse = undefined;
  });

  it('status.json and tuners.html show busy and idle tuners', async () => {
    streamer.busy = [
      {
        tuner: 1,
        guideNumber: '101',
        channelName: 'Sports',
        bitrate: 8e6,
        clients: [{ address: '10.0.0.9' }],
      },
    ];
    const st = (await (await fetch(`${base}/status.json`)).json()) as Record<string, unknown>[];
    expect(st[0]).toEqual({ Resource: 'tuner0' });
    expect(st[1]).toMatchObject({
      Resource: 'tuner1',
      VctNumber: '101',
      VctName: 'Sports',
      TargetIP: '10.0.0.9',
    });
    const html = await (await fetch(`${base}/tuners.html`)).text();
    expect(html).toContain('<tr><td>Tuner 0 Channel</td><td>not in use</td></tr>');
    expect(html).toContain('<tr><td>Tuner 1 Channel</td><td>101 Sports</td></tr>');
    streamer.busy = [];
  });
});
