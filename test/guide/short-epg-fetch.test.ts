import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShortEpgClient, shortEpgUrl, type ShortEpgRequest } from '../../src/guide/short-epg-fetch.js';

const SECRET = 'pw-Very-Secret';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('ShortEpgClient', () => {
  let server: Server;
  let base: string;
  let active = 0;
  let peak = 0;
  let hits: string[] = [];
  let failFirst = new Map<string, number>();

  beforeEach(async () => {
    active = 0;
    peak = 0;
    hits = [];
    failFirst = new Map();
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '', 'http://x');
      const id = u.searchParams.get('stream_id') ?? '';
      hits.push(id);
      active++;
      peak = Math.max(peak, active);
      setTimeout(() => {
        active--;
        const left = failFirst.get(id) ?? 0;
        if (left > 0) {
          failFirst.set(id, left - 1);
          res.writeHead(429, { 'retry-after': '0' }).end();
        } else if (id === 'gone') res.writeHead(404).end();
        else if (id === 'html') res.writeHead(200).end('<html>flood protection</html>');
        else {
          const t = 1740355884;
          res.end(
            JSON.stringify({
              epg_listings: [
                { title: b64(`T${id}`), start_timestamp: String(t), stop_timestamp: String(t + 600) },
              ],
            }),
          );
        }
      }, 20);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/player_api.php?username=u&password=${SECRET}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const req = (id: string): ShortEpgRequest => ({
    key: `s:${id}`,
    playerApiUrl: base,
    streamId: id,
    headers: {},
    timeShiftMinutes: 0,
  });
  const client = (): ShortEpgClient =>
    new ShortEpgClient({
      concurrency: 3,
      timeoutMs: 2000,
      ttlMs: 60_000,
      logger: pino({ level: 'silent' }),
      backoffMs: 30,
    });

  it('builds the get_simple_data_table URL', () => {
    expect(shortEpgUrl('http://h/player_api.php?username=a&password=b', '42')).toBe(
      'http://h/player_api.php?username=a&password=b&action=get_simple_data_table&stream_id=42',
    );
  });

  it('bounds concurrency, caches answers and backs off on 429', async () => {
    const c = client();
    failFirst.set('3', 1);
    const got = new Map<string, string>();
    const errors: string[] = [];
    const ids = Array.from({ length: 12 }, (_, i) => String(i));
    await c.fetchAll(
      ids.map(req),
      (r, p) => got.set(r.streamId, p[0]?.titles[0]?.text ?? ''),
      (_r, m) => errors.push(m),
    );
    expect(errors).toEqual([]);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
    expect([...got.entries()].sort()).toEqual(ids.map((i) => [i, `T${i}`]).sort());
    expect(hits.filter((h) => h === '3').length).toBe(2);
    const before = hits.length;
    await c.fetchAll(
      ids.map(req),
      () => undefined,
      () => undefined,
    );
    expect(hits.length).toBe(before);
  });

  it('gives up after the retries and never reveals credentials', async () => {
    const c = client();
    failFirst.set('x', 10);
    const errors: string[] = [];
    await c.fetchAll(
      [req('x'), req('gone'), req('html')],
      () => undefined,
      (_r, m) => errors.push(m),
    );
    expect(errors.sort()).toEqual(['HTTP 404', 'HTTP 429', 'response is not JSON']);
    expect(hits.filter((h) => h === 'x').length).toBe(3);
    expect(errors.join()).not.toContain(SECRET);
    // A 404 is remembered: the next round does not ask again.
    const n = hits.filter((h) => h === 'gone').length;
    await c.fetchAll(
      [req('gone')],
      () => undefined,
      () => undefined,
    );
    expect(hits.filter((h) => h === 'gone').length).toBe(n);
  });
});
