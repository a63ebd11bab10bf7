import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import type { SessionView } from '../../src/api/ports.js';
import {
  IdleReleaser,
  parseChannelsDvrActivity,
  parseTvheadendSubscriptions,
} from '../../src/integrations/activity.js';
import { splitCredentials, startPollers } from '../../src/integrations/pollers.js';
import { normalizeName } from '../../src/lineup/normalize.js';

const sess = (guideNumber: string, channelName: string, address = '127.0.0.1'): SessionView => ({
  guideNumber,
  channelName,
  startedAt: 't0',
  clients: [{ address }],
});

describe('activity parsers', () => {
  it('reads TVHeadend subscriptions by channel and service name', () => {
    const w = parseTvheadendSubscriptions({
      totalCount: 3,
      entries: [
        { id: 1, channel: 'UK: BBC One HD', service: 'IPTV/tunerbridge/BBC One/BBC One', state: 'Running' },
        { id: 2, service: 'IPTV/tunerbridge/Mux 5/CNN (1080p)', state: 'Running' },
        { id: 3, title: 'epggrab', service: 'Raw PID Subscription' },
      ],
    });
    expect([...w.names].sort()).toEqual(['bbc one', 'cnn', normalizeName('Raw PID Subscription')].sort());
    expect(() => parseTvheadendSubscriptions({ nope: 1 })).toThrow(/entries/);
    expect(() => parseTvheadendSubscriptions('garbage')).toThrow(/entries/);
  });

  it('reads Channels DVR activity channel numbers', () => {
    const w = parseChannelsDvrActivity({
      activity: {
        'a-1': 'Watching ch7 KTVU from Living Room (192.168.1.20)',
        'b-2': 'Recording ch 5.1 News at Six',
        'c-3': 'Watching Movie: Heat',
        d: 42,
      },
    });
    expect([...w.numbers].sort()).toEqual(['5.1', '7']);
    expect(parseChannelsDvrActivity({ version: 'x' }).numbers.size).toBe(0);
    expect(() => parseChannelsDvrActivity({ activity: 'busy' })).toThrow(/activity/);
  });
});

describe('IdleReleaser', () => {
  it('releases a session only after it is missing for two consecutive polls, and only if it belongs', () => {
    const r = new IdleReleaser(2, (s) => s.clients?.[0]?.address === '10.0.0.9');
    const a = sess('101', 'BBC One', '10.0.0.9');
    const b = sess('102', 'CNN', '10.0.0.9');
    const plex = sess('103', 'ESPN', '10.0.0.50');
    const watchedA = { numbers: new Set<string>(), names: new Set(['bbc one']) };
    const none = { numbers: new Set<string>(), names: new Set<string>() };
    expect(r.observe([a, b, plex], watchedA)).toEqual([]);
    expect(r.observe([a, b, plex], watchedA)).toEqual(['102']);
    expect(r.observe([a, plex], none)).toEqual([]);
    expect(r.observe([a, plex], watchedA)).toEqual([]); // seen again: count reset
    expect(r.observe([a, plex], none)).toEqual([]);
    expect(r.observe([a, plex], none)).toEqual(['101']);
    expect(r.observe([plex], none)).toEqual([]);
  });
});

describe('splitCredentials', () => {
  it('moves URL credentials into a Basic header', () => {
    const { url, authorization } = splitCredentials('http://admin:p%40ss@tvh.invalid:9981/');
    expect(url.href).toBe('http://tvh.invalid:9981/');
    expect(authorization).toBe(`Basic ${Buffer.from('admin:p@ss').toString('base64')}`);
    expect(splitCredentials('http://h.invalid/').authorization).toBeUndefined();
  });
});

describe('startPollers against a fake media server', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('polls Channels DVR and kills the session it stopped watching after two polls', async () => {
    let activity: Record<string, string> = { x: 'Watching ch101 News from TV' };
    let fail = false;
    const seen: { path: string; auth?: string }[] = [];
    const server = http.createServer((req, res) => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization });
      if (fail) return res.writeHead(500).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ activity }));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const sessions = [sess('101', 'News'), sess('102', 'Sport')];
    const killed: string[] = [];
    const logs: string[] = [];
    const logger = {
      info: (_o: unknown, m: string) => logs.push(m),
      warn: (_o: unknown, m: string) => logs.push(m),
    } as unknown as Logger;
    const p = startPollers(
      { channelsDvr: { url: `http://u:secretpw@127.0.0.1:${port}`, intervalMs: 40 } },
      {
        sessions: () => sessions.filter((s) => !killed.includes(s.guideNumber)),
        kill: (gn) => killed.push(gn),
      },
      logger,
    );
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
    };
    await until(() => killed.length > 0);
    expect(killed).toEqual(['102']);
    expect(seen[0]).toEqual({ path: '/dvr', auth: `Basic ${Buffer.from('u:secretpw').toString('base64')}` });
    // A failing poll never releases anything, however long it lasts.
    fail = true;
    activity = {};
    const polls = seen.length;
    await until(() => seen.length >= polls + 3);
    expect(killed).toEqual(['102']);
    expect(logs).toContain('media server poll failed');
    fail = false;
    await until(() => killed.length > 1);
    expect(killed).toEqual(['102', '101']);
    p.stop();
    const after = seen.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(seen.length).toBe(after);
    expect(JSON.stringify(logs)).not.toContain('secretpw');
  });

  it('does nothing when no URL is configured', () => {
    const p = startPollers({ tvheadend: { url: '' } }, { sessions: () => [], kill: () => {} }, {} as Logger);
    p.stop();
  });
});
