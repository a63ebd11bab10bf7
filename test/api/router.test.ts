import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAdminApi } from '../../src/api/router.js';
import { SECRET_PLACEHOLDER } from '../../src/api/sanitize.js';
import { SECRET_PASS, SECRET_USER, call, harness, serve, type Harness, type Served } from './fakes.js';

let h: Harness;
let srv: Served;
let api: string;

beforeAll(async () => {
  h = await harness();
  const app = express();
  app.use('/api', createAdminApi(h.ports, { heartbeatMs: 50 }));
  srv = await serve(app);
  api = `${srv.url}/api`;
});
afterAll(async () => {
  await srv.close();
  await h.cleanup();
});
beforeEach(() => {
  h.sessions.list = [];
  h.lineup.calls = [];
});

function noSecrets(text: string): void {
  expect(text).not.toContain(SECRET_PASS);
  expect(text).not.toContain(SECRET_USER);
  expect(text).not.toContain('admin-tok-123');
  expect(text).not.toContain('hook-secret-9');
}

const xtream = {
  type: 'xtream',
  name: 'Acme',
  url: 'http://acme.invalid:8080',
  username: SECRET_USER,
  password: SECRET_PASS,
};

describe('status and streams', () => {
  it('reports uptime, tuners per source against limits, sessions with clients and fallback state', async () => {
    h.sessions.start('101', 'a', 'News');
    h.sessions.start('102', 'a', 'Sport');
    const r = await call(`${api}/status`, 'GET');
    expect(r.status).toBe(200);
    const s = r.json as {
      version: string;
      uptimeSec: number;
      tuners: { total: number; inUse: number };
      sources: { id: string; inUse: number; limit: number }[];
      sessions: { guideNumber: string; sourceId: string; bitrate: number; clients: unknown[] }[];
      fallback: { manual: boolean; auto: boolean };
    };
    expect(s.version).toBe('9.9.9-test');
    expect(s.uptimeSec).toBeGreaterThanOrEqual(4);
    expect(s.tuners).toEqual({ total: 3, inUse: 2 });
    expect(s.sources.map((x) => [x.id, x.inUse, x.limit])).toEqual([
      ['a', 2, 2],
      ['b', 0, 1],
    ]);
    expect(s.sessions.map((x) => x.guideNumber)).toEqual(['101', '102']);
    expect(s.sessions[0]!.clients).toEqual([{ id: 'c1', address: '127.0.0.1' }]);
    expect(s.fallback).toEqual({ manual: false, auto: true });
    noSecrets(r.text);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
  });

  it('kills a session, 404s an unknown one and validates the GuideNumber', async () => {
    h.sessions.start('101', 'a');
    expect((await call(`${api}/streams/101`, 'DELETE')).status).toBe(204);
    expect(h.sessions.list).toHaveLength(0);
    const missing = await call(`${api}/streams/101`, 'DELETE');
    expect(missing.status).toBe(404);
    expect((missing.json as { error: string }).error).toContain('101');
    const bad = await call(`${api}/streams/abc`, 'DELETE');
    expect(bad.status).toBe(400);
    expect((bad.json as { field: string }).field).toBe('guideNumber');
  });

  it('forces a switch to a named source and shows it in the switch history', async () => {
    h.sessions.start('101', 'a');
    const bad = await call(`${api}/streams/101/switch`, 'POST', { sourceId: 'zzz' });
    expect(bad.status).toBe(400);
    expect((bad.json as { field: string }).field).toBe('sourceId');
    const r = await call(`${api}/streams/101/switch`, 'POST', { sourceId: 'b' });
    expect(r.status).toBe(200);
    expect(h.sessions.list[0]!.sourceId).toBe('b');
    // Without a body the session moves to the next stream.
    expect((await call(`${api}/streams/101/switch`, 'POST')).status).toBe(200);
    expect(h.sessions.list[0]!.sourceId).toBe('a');
    h.ports.bus.publish('failover', { guideNumber: '101', from: 'a', to: 'b', reason: 'stall', gapMs: 80 });
    const st = (await call(`${api}/status`, 'GET')).json as { switches: { reason: string; gapMs: number }[] };
    expect(st.switches[0]).toMatchObject({ reason: 'stall', gapMs: 80 });
  });

  it('toggles manual and automatic fallback', async () => {
    const r = await call(`${api}/fallback`, 'PUT', { manual: true, auto: false });
    expect(r.json).toEqual({ manual: true, auto: false });
    expect((await call(`${api}/fallback`, 'PUT', {})).status).toBe(400);
    const bad = await call(`${api}/fallback`, 'PUT', { manual: 'yes' });
    expect(bad.json).toMatchObject({ field: 'manual' });
    expect((await call(`${api}/fallback`, 'GET')).json).toEqual({ manual: true, auto: false });
  });
});

describe('sources', () => {
  it('creates a source file, masks its credentials, and keeps stored secrets on an edit sending placeholders', async () => {
    const created = await call(`${api}/sources`, 'POST', { id: 'acme', definition: xtream });
    expect(created.status).toBe(201);
    noSecrets(created.text);
    const file = path.join(h.tunersDir, 'acme.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(xtream);
    await new Promise((r) => setTimeout(r, 10));
    expect(h.lineup.calls).toContainEqual(['refreshSource', 'acme']);

    const got = await call(`${api}/sources/acme`, 'GET');
    const def = (got.json as { definition: Record<string, string> }).definition;
    expect(def.password).toBe(SECRET_PLACEHOLDER);
    expect(def.username).toBe(SECRET_PLACEHOLDER);
    noSecrets(got.text);

    const put = await call(`${api}/sources/acme`, 'PUT', { definition: { ...def, name: 'Acme 2' } });
    expect(put.status).toBe(200);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ ...xtream, name: 'Acme 2' });

    const put2 = await call(`${api}/sources/acme`, 'PUT', {
      definition: { ...def, password: 'new-secret-1' },
    });
    expect(put2.status).toBe(200);
    expect(JSON.parse(await readFile(file, 'utf8')).password).toBe('new-secret-1');
  });

  it('rejects a bad edit naming the field and leaves the previous file intact', async () => {
    await call(`${api}/sources`, 'POST', { id: 'keep', definition: xtream });
    const file = path.join(h.tunersDir, 'keep.json');
    const before = await readFile(file, 'utf8');
    const r = await call(`${api}/sources/keep`, 'PUT', { definition: { ...xtream, url: 'ftp://nope' } });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ field: 'url' });
    expect((r.json as { error: string }).error).toMatch(/^url: /);
    expect(await readFile(file, 'utf8')).toBe(before);
    const noDef = await call(`${api}/sources/keep`, 'PUT', { definition: [1] });
    expect(noDef.json).toMatchObject({ field: 'definition' });
  });

  it('validates ids, refuses duplicates and placeholders in new sources, and deletes', async () => {
    expect((await call(`${api}/sources`, 'POST', { id: '../x', definition: xtream })).json).toMatchObject({
      field: 'id',
    });
    expect((await call(`${api}/sources`, 'POST', { id: 'demo', definition: xtream })).json).toMatchObject({
      field: 'id',
    });
    await call(`${api}/sources`, 'POST', { id: 'dup', definition: xtream });
    expect((await call(`${api}/sources`, 'POST', { id: 'dup', definition: xtream })).status).toBe(409);
    const ph = await call(`${api}/sources`, 'POST', {
      id: 'ph',
      definition: { ...xtream, password: SECRET_PLACEHOLDER },
    });
    expect(ph.status).toBe(400);
    expect((await call(`${api}/sources/dup`, 'DELETE')).status).toBe(204);
    expect((await call(`${api}/sources/dup`, 'GET')).status).toBe(404);
    expect((await call(`${api}/sources/dup`, 'DELETE')).status).toBe(404);
    const list = await call(`${api}/sources`, 'GET');
    expect((list.json as { id: string }[]).map((s) => s.id)).not.toContain('dup');
    noSecrets(list.text);
  });

  it('tests a saved source with its stored secret and masks whatever the provider echoes', async () => {
    await call(`${api}/sources`, 'POST', { id: 'tst', definition: xtream });
    const r = await call(`${api}/sources/tst/test`, 'POST');
    expect(r.json).toMatchObject({ ok: true, result: { maxConnections: 3, activeConnections: 1 } });
    noSecrets(r.text);
    // Unsaved definition with a placeholder, resolved against the stored source.
    const r2 = await call(`${api}/sources/test`, 'POST', {
      id: 'tst',
      definition: { ...xtream, username: SECRET_PLACEHOLDER, password: SECRET_PLACEHOLDER },
    });
    expect(r2.json).toMatchObject({ ok: true });
    const bad = await call(`${api}/sources/test`, 'POST', {
      definition: { ...xtream, password: 'wrong-pass' },
    });
    expect(bad.status).toBe(200);
    expect(bad.json).toMatchObject({ ok: false });
    expect((bad.json as { error: string }).error).toContain('login refused');
    noSecrets(bad.text);
  });
});

describe('channels', () => {
  it('lists channels with candidate ids and masked labels, never URLs, and filters', async () => {
    const r = await call(`${api}/channels`, 'GET');
    const body = r.json as {
      total: number;
      channels: { key: string; candidates: { id: string; label: string }[] }[];
    };
    expect(body.total).toBe(3);
    expect(body.channels[0]!.candidates.map((c) => c.id)).toEqual(['a:1', 'b:7']);
    noSecrets(r.text);
    expect(r.text).not.toContain('"url"');
    const q = (await call(`${api}/channels?q=spo`, 'GET')).json as { channels: { key: string }[] };
    expect(q.channels.map((c) => c.key)).toEqual(['sport']);
    const bySource = (await call(`${api}/channels?source=b`, 'GET')).json as { channels: { key: string }[] };
    expect(bySource.channels.map((c) => c.key)).toEqual(['news', 'movies']);
    expect((await call(`${api}/channels?enabled=maybe`, 'GET')).json).toMatchObject({ field: 'enabled' });
  });

  it('edits number, name, enabled, stream order and guide id, with field-naming errors', async () => {
    const dup = await call(`${api}/channels/news`, 'PATCH', { guideNumber: '102' });
    expect(dup.status).toBe(400);
    expect((dup.json as { error: string }).error).toBe('guideNumber: 102 is already used by "Sport"');
    expect((await call(`${api}/channels/news`, 'PATCH', { guideNumber: '1..2' })).json).toMatchObject({
      field: 'guideNumber',
    });
    expect(
      (await call(`${api}/channels/news`, 'PATCH', { candidateOrder: ['a:1', 'x:9'] })).json,
    ).toMatchObject({
      field: 'candidateOrder',
    });
    expect((await call(`${api}/channels/news`, 'PATCH', { colour: 'red' })).json).toMatchObject({
      field: 'colour',
    });
    expect((await call(`${api}/channels/nope`, 'PATCH', { name: 'x' })).status).toBe(404);

    const r = await call(`${api}/channels/news`, 'PATCH', {
      guideNumber: '150',
      name: 'World News',
      enabled: false,
      candidateOrder: ['b:7', 'a:1'],
      guideId: 'news.example',
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ guideNumber: '150', name: 'World News', enabled: false });
    expect((r.json as { candidates: { id: string }[] }).candidates.map((c) => c.id)).toEqual(['b:7', 'a:1']);
    expect(h.guide.guideIds.get('news')).toBe('news.example');
    await call(`${api}/channels/news`, 'PATCH', { guideId: null });
    expect(h.guide.guideIds.get('news')).toBeNull();
    expect((await call(`${api}/channels/news/override`, 'DELETE')).status).toBe(204);
    expect(h.lineup.calls).toContainEqual(['clearOverride', 'news']);
  });

  it('merges and splits with validation', async () => {
    expect((await call(`${api}/channels/merge`, 'POST', { keys: ['news'] })).json).toMatchObject({
      field: 'keys',
    });
    expect((await call(`${api}/channels/merge`, 'POST', { keys: ['news', 'ghost'] })).json).toMatchObject({
      field: 'keys',
    });
    expect((await call(`${api}/channels/merge`, 'POST', { keys: ['sport', 'movies'] })).status).toBe(200);
    expect(h.lineup.calls).toContainEqual(['mergeChannels', ['sport', 'movies']]);
    const all = await call(`${api}/channels/news/split`, 'POST', { candidateIds: ['a:1', 'b:7'] });
    expect(all.json).toMatchObject({ field: 'candidateIds' });
    expect((await call(`${api}/channels/news/split`, 'POST', { candidateIds: ['b:7'] })).status).toBe(200);
    expect(h.lineup.calls).toContainEqual(['splitChannel', 'news', ['b:7']]);
  });
});

describe('guide, lineup, logs, settings', () => {
  it('reports guide status and starts a refresh and a rescan', async () => {
    const g = await call(`${api}/guide`, 'GET');
    expect(g.json).toMatchObject({
      progress: 100,
      coverage: { '101': 48 },
      summary: { refreshing: false, percent: 100, programmes: 120, channels: 3 },
    });
    // GuideService's own shape: running counts instead of a percentage.
    const saved = h.guide.st;
    h.guide.st = {
      state: 'refreshing',
      lastRefresh: null,
      progress: { bytes: 10, programmes: 7, channelsMatched: 2, channelsTotal: 3 },
      coverage: [{ guideNumber: '101', name: 'News', programmes: 7 }],
    };
    const g2 = (await call(`${api}/guide`, 'GET')).json as { summary: object };
    h.guide.st = saved;
    expect(g2.summary).toEqual({
      refreshing: true,
      percent: null,
      lastRefresh: null,
      programmes: 7,
      channels: 2,
      bytes: 10,
      channelsMatched: 2,
      channelsTotal: 3,
    });
    expect((await call(`${api}/guide/refresh`, 'POST')).status).toBe(202);
    await new Promise((r) => setTimeout(r, 10));
    expect(h.guide.refreshes).toBe(1);
    expect((await call(`${api}/lineup/scan`, 'POST')).status).toBe(202);
    await new Promise((r) => setTimeout(r, 10));
    expect(h.lineup.calls).toContainEqual(['scan']);
    expect((await call(`${api}/lineup/scan`, 'GET')).json).toMatchObject({ inProgress: false, found: 3 });
  });

  it('filters logs by level, text, channel and limit', async () => {
    const t = Date.now();
    h.logs.push(JSON.stringify({ level: 30, time: t, msg: 'tuned', channel: '101' }));
    h.logs.push(
      JSON.stringify({ level: 40, time: t + 1, msg: 'stall detected', channel: '101', source: 'a' }),
    );
    h.logs.push(JSON.stringify({ level: 50, time: t + 2, msg: 'all failed', channel: '102' }));
    const warn = (await call(`${api}/logs?level=warn`, 'GET')).json as { msg: string }[];
    expect(warn.map((e) => e.msg)).toEqual(['stall detected', 'all failed']);
    const ch = (await call(`${api}/logs?channel=101&q=STALL`, 'GET')).json as { msg: string }[];
    expect(ch.map((e) => e.msg)).toEqual(['stall detected']);
    expect(((await call(`${api}/logs?limit=1`, 'GET')).json as unknown[]).length).toBe(1);
    expect((await call(`${api}/logs?level=loud`, 'GET')).json).toMatchObject({ field: 'level' });
    expect((await call(`${api}/logs?limit=9999`, 'GET')).json).toMatchObject({ field: 'limit' });
  });

  it('masks secret settings, keeps them when sent back masked, and names invalid fields', async () => {
    const g = await call(`${api}/settings`, 'GET');
    noSecrets(g.text);
    expect(g.text).not.toContain('key=abc');
    const s = (g.json as { settings: Record<string, Record<string, unknown>> }).settings;
    expect(s.admin!.token).toBe(SECRET_PLACEHOLDER);
    const bad = await call(`${api}/settings`, 'PATCH', { port: 70000 });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ field: 'port' });
    const r = await call(`${api}/settings`, 'PATCH', { ...s, port: 5005 });
    expect(r.status).toBe(200);
    expect(h.settings.value.port).toBe(5005);
    expect((h.settings.value.admin as { token: string }).token).toBe('admin-tok-123');
    expect((h.settings.value.guide as { urls: string[] }).urls).toEqual(['http://epg.invalid/x.xml?key=abc']);
    expect((h.settings.value.webhooks as { secret: string }[])[0]!.secret).toBe('hook-secret-9');
    noSecrets(r.text);
  });

  it('answers malformed JSON and unknown routes with JSON errors', async () => {
    const r = await call(`${api}/fallback`, 'PUT', '{"manual": tru');
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: 'body: invalid JSON', field: 'body' });
    const nf = await call(`${api}/nothing`, 'GET');
    expect(nf.status).toBe(404);
    expect((nf.json as { error: string }).error).toContain('/api/nothing');
  });

  it('gives the setup URLs from the BaseURL', async () => {
    const d = (await call(`${api}/device`, 'GET')).json as { baseUrl: string; urls: Record<string, string> };
    expect(d.baseUrl).toBe('http://127.0.0.1:5004');
    expect(d.urls.lineup).toBe('http://127.0.0.1:5004/lineup.json');
    expect(d.urls.xmltv).toBe('http://127.0.0.1:5004/xmltv.xml');
  });
});

describe('live events (SSE)', () => {
  it('streams bus events and replays missed ones after Last-Event-ID', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${api}/events`, { signal: ctl.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const first = h.ports.bus.publish('session-start', { guideNumber: '555', sourceId: 'a' });
    let text = '';
    while (!text.includes('"555"')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(`id: ${first.id}\nevent: session-start\n`);
    ctl.abort();
    h.ports.bus.publish('all-failed', { guideNumber: '556' });
    const ctl2 = new AbortController();
    const res2 = await fetch(`${api}/events`, {
      signal: ctl2.signal,
      headers: { 'Last-Event-ID': String(first.id) },
    });
    const r2 = res2.body!.getReader();
    let t2 = '';
    while (!t2.includes('"556"')) t2 += new TextDecoder().decode((await r2.read()).value);
    expect(t2).toContain('event: all-failed');
    ctl2.abort();
  });
});

describe('errors raised by the services', () => {
  it('turns a service validation error carrying a field into a 400 naming it', async () => {
    const orig = h.lineup.setOverride.bind(h.lineup);
    h.lineup.setOverride = () => {
      throw Object.assign(new Error('too long for this client'), { field: 'name' });
    };
    const r = await call(`${api}/channels/news`, 'PATCH', { name: 'x' });
    h.lineup.setOverride = orig;
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: 'name: too long for this client', field: 'name' });
  });

  it('reports a test result of { ok: false } as a failed login', async () => {
    const orig = h.lineup.testSource.bind(h.lineup);
    h.lineup.testSource = async () => ({ ok: false, error: `account expired for ${SECRET_USER}` });
    const r = await call(`${api}/sources/test`, 'POST', { definition: xtream });
    h.lineup.testSource = orig;
    expect(r.json).toMatchObject({ ok: false, error: 'account expired for ***' });
  });

  it('shows the channel name SessionManager reports as `channel`', async () => {
    h.sessions.list.push({
      guideNumber: '120',
      channel: 'Weather',
      sourceId: 'a',
      clients: [],
      switches: [],
    });
    const s = (await call(`${api}/streams`, 'GET')).json as { channelName: string }[];
    expect(s[0]!.channelName).toBe('Weather');
  });
});
