import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { digestAuthorization, parseDigestChallenge } from '../../src/integrations/digest.js';
import { startPollers } from '../../src/integrations/pollers.js';

describe('parseDigestChallenge', () => {
  it('reads quoted and bare parameters, among other schemes', () => {
    expect(
      parseDigestChallenge(
        'Basic realm="x", Digest realm="tvheadend", qop="auth,auth-int", nonce="a\\"b", opaque="o", algorithm=SHA-256',
      ),
    ).toEqual({ realm: 'tvheadend', nonce: 'a"b', opaque: 'o', algorithm: 'SHA-256', qopAuth: true });
    expect(parseDigestChallenge('Digest realm="r", nonce="n"')).toEqual({
      realm: 'r',
      nonce: 'n',
      algorithm: 'MD5',
      qopAuth: false,
    });
  });

  it('declines what it cannot answer', () => {
    for (const h of [
      undefined,
      '',
      'Basic realm="tvheadend"',
      'Digest realm="r"', // no nonce
      'Digest realm="r", nonce="n", algorithm=SHA-512-256',
      'Digest realm="r", nonce="n", qop="auth-int"',
      'Digest realm="r", nonce="n, qop=auth', // unterminated quote
    ]) {
      expect(parseDigestChallenge(h), String(h)).toBeUndefined();
    }
  });
});

describe('digestAuthorization', () => {
  it('matches RFC 2617 section 3.5 (MD5, qop=auth)', () => {
    const ch = parseDigestChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    const h = digestAuthorization(ch!, {
      username: 'Mufasa',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      count: 1,
      cnonce: '0a4f113b',
    });
    expect(h).toBe(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
        'uri="/dir/index.html", algorithm=MD5, response="6629fae49393a05397450978507c4ef1", qop=auth, ' +
        'nc=00000001, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
  });

  it('matches RFC 7616 section 3.9.1 (SHA-256 and MD5)', () => {
    const req = {
      username: 'Mufasa',
      password: 'Circle of Life',
      method: 'GET',
      uri: '/dir/index.html',
      count: 1,
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    };
    const header = (alg: string): string =>
      `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${alg}, ` +
      'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
    expect(digestAuthorization(parseDigestChallenge(header('SHA-256'))!, req)).toContain(
      'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"',
    );
    expect(digestAuthorization(parseDigestChallenge(header('MD5'))!, req)).toContain(
      'response="8ca523f5e9506fed4657c9700eebdbec"',
    );
  });
});

describe('TVHeadend poller with Digest authentication', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('answers the challenge, follows a new nonce, and never logs the password', async () => {
    // A server checking Digest on its own (crypto, not our module), changing its nonce now and then.
    const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
    let nonce = 'n1';
    let served = 0;
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      seen.push(auth.split(' ')[0] ?? '');
      const p = Object.fromEntries(
        [...auth.matchAll(/(\w+)=(?:"([^"]*)"|([^\s,]*))/g)].map((m) => [m[1], m[2] ?? m[3]]),
      );
      const ha1 = md5('admin:tvheadend:pa55 word');
      const ha2 = md5(`GET:${req.url}`);
      const ok =
        auth.startsWith('Digest ') &&
        p.nonce === nonce &&
        p.uri === req.url &&
        p.response === md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
      if (!ok) {
        return res
          .writeHead(401, { 'www-authenticate': `Digest realm="tvheadend", qop="auth", nonce="${nonce}"` })
          .end();
      }
      if (++served === 2) nonce = 'n2'; // the next poll meets a stale nonce
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ entries: [] }));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const logs: string[] = [];
    const logger = {
      info: (o: unknown, m: string) => logs.push(JSON.stringify(o) + m),
      warn: (o: unknown, m: string) => logs.push(JSON.stringify(o) + m),
    } as unknown as Logger;
    const p = startPollers(
      { tvheadend: { url: `http://admin:pa55%20word@127.0.0.1:${port}`, intervalMs: 30 } },
      { sessions: () => [], kill: () => undefined },
      logger,
    );
    for (let i = 0; i < 100 && served < 4; i++) await new Promise((r) => setTimeout(r, 20));
    p.stop();
    expect(served).toBeGreaterThanOrEqual(4);
    // Basic once, then Digest only: one challenge at the start, one for the new nonce.
    expect(seen[0]).toBe('Basic');
    expect(seen.slice(1).every((s) => s === 'Digest')).toBe(true);
    expect(seen.length).toBe(served + 2);
    expect(logs.filter((l) => l.includes('poll failed'))).toEqual([]);
    expect(logs.join('')).not.toContain('pa55');
  });
});
