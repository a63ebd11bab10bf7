import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { makeStreams, startFakeProvider, type FakeProvider } from './server.js';

let fake: FakeProvider | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function get(url: string): Promise<{ status: number; type: string; body: string; location?: string }> {
  const res = await request(url);
  const body = await res.body.text();
  return {
    status: res.statusCode,
    type: String(res.headers['content-type']),
    body,
    location: res.headers.location as string | undefined,
  };
}

describe('fake Xtream provider', () => {
  it('answers player_api like a panel: auth object for unknown actions, slashes escaped', async () => {
    fake = await startFakeProvider({
      streams: makeStreams(2),
      categories: [{ category_id: '1', category_name: 'UK' }],
    });
    const auth = await get(`${fake.url}/player_api.php?username=user&password=pass&action=nope`);
    expect(JSON.parse(auth.body).user_info).toMatchObject({ auth: 1, max_connections: '2' });
    const streams = await get(
      `${fake.url}/player_api.php?username=user&password=pass&action=get_live_streams`,
    );
    expect(JSON.parse(streams.body).map((s: { stream_id: number }) => s.stream_id)).toEqual([1001, 1002]);
    const bad = await get(`${fake.url}/player_api.php?username=user&password=wrong`);
    expect(JSON.parse(bad.body)).toEqual({ user_info: { auth: 0 } });
    expect(fake.state.requests.map((r) => r.query.action ?? '')).toEqual(['nope', 'get_live_streams', '']);
  });

  it('serves get.php as m3u_plus with CRLF after EXTINF and an unreplaced xui-id', async () => {
    fake = await startFakeProvider({
      streams: makeStreams(1),
      categories: [{ category_id: '1', category_name: 'UK' }],
    });
    const r = await get(`${fake.url}/get.php?username=user&password=pass&type=m3u_plus&output=ts`);
    expect(r.body).toBe(
      `#EXTM3U\n#EXTINF:-1 xui-id="{XUI_ID}" tvg-id="Channel1.uk" tvg-name="UK: Channel 1 HD" tvg-logo="" group-title="UK",UK: Channel 1 HD\r\n${fake.url}/user/pass/1001.ts\n`,
    );
  });

  it('encodes EPG listings as XC_VM does and limits get_short_epg', async () => {
    const now = Math.floor(Date.now() / 1000);
    fake = await startFakeProvider({
      streams: makeStreams(1),
      epg: {
        '1001': [
          { title: 'Past', start: now - 7200, stop: now - 3600 },
          { title: 'Now', description: 'Live', start: now - 60, stop: now + 60 },
          { title: 'Next', start: now + 60, stop: now + 120 },
        ],
      },
    });
    const short = JSON.parse(
      (
        await get(
          `${fake.url}/player_api.php?username=user&password=pass&action=get_short_epg&stream_id=1001&limit=1`,
        )
      ).body,
    );
    expect(short.epg_listings).toHaveLength(1);
    expect(short.epg_listings[0]).toMatchObject({
      title: Buffer.from('Now').toString('base64'),
      description: Buffer.from('Live').toString('base64'),
      channel_id: 'Channel1.uk',
      start_timestamp: String(now - 60),
      now_playing: 1,
    });
    const all = JSON.parse(
      (
        await get(
          `${fake.url}/player_api.php?username=user&password=pass&action=get_simple_data_table&stream_id=1001`,
        )
      ).body,
    );
    expect(all.epg_listings).toHaveLength(3);
  });

  it('serves xmltv.php from the option and 404s without credentials', async () => {
    fake = await startFakeProvider({ xmltv: '<tv></tv>' });
    expect(await get(`${fake.url}/xmltv.php?username=user&password=pass`)).toMatchObject({
      status: 200,
      body: '<tv></tv>',
    });
    expect((await get(`${fake.url}/xmltv.php?username=x&password=y`)).status).toBe(404);
  });

  it('redirects streams through a one-time token and hands them to onStream', async () => {
    const seen: unknown[] = [];
    fake = await startFakeProvider({
      streamRedirect: true,
      onStream: (_req, res, info) => {
        seen.push(info);
        res.end('TS');
      },
    });
    const first = await get(`${fake.url}/live/user/pass/1001.ts`);
    expect(first.status).toBe(302);
    expect(first.location).toMatch(/\/sauth\/1001\.ts\?token=t\d+$/);
    expect((await get(first.location!)).body).toBe('TS');
    expect((await get(first.location!)).status).toBe(403);
    expect(seen).toEqual([{ username: 'user', password: 'pass', streamId: '1001', ext: 'ts' }]);
  });

  it('enforces max_connections on open streams when asked', async () => {
    const open: import('node:http').ServerResponse[] = [];
    fake = await startFakeProvider({
      userInfo: { max_connections: '1' },
      overLimitStatus: 458,
      onStream: (_req, res) => {
        res.writeHead(200, { 'content-type': 'video/mp2t' });
        res.write(Buffer.alloc(188));
        open.push(res);
      },
    });
    const a = await request(`${fake.url}/live/user/pass/1.ts`);
    expect(a.statusCode).toBe(200);
    expect(fake.state.activeStreams).toBe(1);
    expect((await get(`${fake.url}/live/user/pass/2.ts`)).status).toBe(458);
    open[0]!.end();
    await a.body.dump();
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.state.activeStreams).toBe(0);
    // The path form without /live/ and without extension works too.
    const b = await request(`${fake.url}/user/pass/2`);
    expect([b.statusCode, b.headers['content-type']]).toEqual([200, 'video/mp2t']);
    open[1]!.end();
    await b.body.dump();
  });

  it('injects faults per endpoint', async () => {
    fake = await startFakeProvider({
      faults: { 'get.php': { status: 884 }, 'player_api:get_live_streams': { html200: 'BANNED' } },
    });
    expect((await get(`${fake.url}/get.php?username=user&password=pass`)).status).toBe(884);
    const r = await get(`${fake.url}/player_api.php?username=user&password=pass&action=get_live_streams`);
    expect([r.status, r.type, r.body.includes('BANNED')]).toEqual([200, 'text/html', true]);
  });
});
