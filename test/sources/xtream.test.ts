import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseDefinition, type XtreamDefinition } from '../../src/sources/definition.js';
import { readXtreamSource, XtreamClient, flexInt, flexId } from '../../src/sources/xtream.js';
import { SourceError } from '../../src/sources/types.js';
import { defaultUserInfo, startFakeProvider, type FakeProvider } from '../fake-provider/server.js';

const USER = 'alice.tv';
const PASS = 's3cr&t#pw';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ username: USER, password: PASS });
});
afterAll(() => fake.close());
beforeEach(() => {
  const s = fake.state;
  s.faults = {};
  s.userInfo = defaultUserInfo(USER, PASS);
  s.authBody = undefined;
  s.redirectWithToken = false;
  s.requireUserAgent = undefined;
  s.requests = [];
  s.categories = [
    { category_id: '1', category_name: 'UK News', parent_id: 0 },
    { category_id: 2, category_name: 'Sport', parent_id: 0 },
  ];
  s.streams = [
    {
      num: 1,
      name: 'UK: News HD',
      stream_type: 'live',
      stream_id: 11,
      epg_channel_id: 'News.uk',
      category_id: '1',
      stream_icon: 'http://logo/n.png',
    },
    {
      num: '2',
      name: 'Sport FHD',
      stream_type: 'live',
      stream_id: '12',
      epg_channel_id: null,
      category_id: 2,
      stream_icon: '',
    },
    // Same stream listed again under another category (XC_VM does this).
    { num: 3, name: 'Sport FHD', stream_type: 'live', stream_id: 12, epg_channel_id: null, category_id: '1' },
    { num: 4, name: '', stream_type: 'created_live', stream_id: 13, epg_channel_id: '', category_id: null },
    { num: 5, name: 'Radio One', stream_type: 'radio_streams', stream_id: 14, category_id: '1' },
    { num: 6, name: 'No id', stream_type: 'live', stream_id: null },
    { num: 7, name: 'Big id', stream_type: 'live', stream_id: '2356443347', category_id: '' },
  ];
});

function def(over: Record<string, unknown> = {}): XtreamDefinition {
  const r = parseDefinition(
    JSON.stringify({ type: 'xtream', url: fake.url, username: USER, password: PASS, timeout: 2, ...over }),
    '/x/tuners/acme.json',
    {},
  );
  if (!r.definition) throw new Error(JSON.stringify(r.problems));
  return r.definition as XtreamDefinition;
}

async function authError(): Promise<SourceError> {
  const err = await new XtreamClient(def()).authenticate().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceError);
  const e = err as SourceError;
  expect(e.message.startsWith('tuners/acme.json: ')).toBe(true);
  expect(e.message).not.toContain(PASS);
  expect(e.message).not.toContain(USER);
  return e;
}

describe('XtreamClient.authenticate', () => {
  it('reads limits, expiry and formats from user_info (numbers as strings)', async () => {
    fake.state.userInfo = {
      ...fake.state.userInfo,
      max_connections: '3',
      active_cons: 'N/A',
      exp_date: null,
    };
    const a = await new XtreamClient(def()).authenticate();
    expect(a).toMatchObject({ status: 'Active', maxConnections: 3, allowedFormats: ['m3u8', 'ts', 'rtmp'] });
    expect(a.activeConnections).toBeUndefined();
    expect(a.expires).toBeUndefined();
    const req = fake.state.requests[0]!;
    expect(req.path).toBe('/player_api.php');
    expect(req.query).toMatchObject({ username: USER, password: PASS });
    expect(req.userAgent).toBe('VLC/3.0.20 LibVLC/3.0.20');
  });

  it('reports active connections when given as a number', async () => {
    fake.state.userInfo = { ...fake.state.userInfo, max_connections: 2, active_cons: 1 };
    const a = await new XtreamClient(def()).authenticate();
    expect([a.maxConnections, a.activeConnections]).toEqual([2, 1]);
  });

  const cases: [string, () => void, RegExp, string][] = [
    [
      'auth 0',
      () => (fake.state.userInfo = { auth: 0 }),
      /rejected the username or password \(auth: 0\)/,
      'auth-rejected',
    ],
    [
      'expired status',
      () => (fake.state.userInfo = { auth: 0, status: 'Expired' }),
      /account is expired/,
      'expired',
    ],
    [
      'banned status',
      () => (fake.state.userInfo = { ...fake.state.userInfo, status: 'Banned' }),
      /account is banned/,
      'banned',
    ],
    [
      'past exp_date',
      () => (fake.state.userInfo = { ...fake.state.userInfo, exp_date: '1550619710' }),
      /account expired on 2019-02-19/,
      'expired',
    ],
    [
      'HTML 200',
      () => (fake.state.faults.player_api = { html200: 'INVALID_CREDENTIALS' }),
      /answered HTML with status 200 \(not a player_api JSON\): INVALID_CREDENTIALS/,
      'html',
    ],
    [
      '401',
      () => (fake.state.faults.player_api = { status: 401, body: '{"error":"Unauthorized"}' }),
      /refused access \(HTTP 401\)/,
      'refused',
    ],
    ['403', () => (fake.state.faults.player_api = { status: 403 }), /refused access \(HTTP 403\)/, 'refused'],
    [
      '404 nginx page',
      () => (fake.state.faults.player_api = { status: 404 }),
      /HTTP 404 \(HTML page\): wrong username\/password/,
      'not-found',
    ],
    [
      '454',
      () => (fake.state.faults.player_api = { status: 454 }),
      /refused the line \(HTTP 454, non-standard\)/,
      'refused',
    ],
    [
      '458',
      () => (fake.state.faults.player_api = { status: 458 }),
      /connection limit \(HTTP 458\)/,
      'over-limit',
    ],
    [
      '461',
      () => (fake.state.requireUserAgent = 'Mozilla/5.0 (X11; Linux x86_64)'),
      /rejected the User-Agent \(HTTP 461\)/,
      'user-agent',
    ],
    ['512', () => (fake.state.faults.player_api = { status: 512 }), /HTTP 512, non-standard/, 'refused'],
    ['513', () => (fake.state.faults.player_api = { status: 513 }), /HTTP 513, non-standard/, 'refused'],
    [
      '884',
      () => (fake.state.faults.player_api = { status: 884 }),
      /answered HTTP 884 \(non-standard\)/,
      'http-status',
    ],
    [
      '500',
      () => (fake.state.faults.player_api = { status: 500 }),
      /server error \(HTTP 500\)/,
      'server-error',
    ],
    ['429', () => (fake.state.faults.player_api = { status: 429 }), /rate-limiting/, 'rate-limited'],
    [
      'plain text',
      () =>
        (fake.state.faults.player_api = { status: 200, body: 'Access denied', contentType: 'text/plain' }),
      /answered "Access denied" instead of JSON/,
      'blocked',
    ],
    [
      'not JSON',
      () => (fake.state.faults.player_api = { status: 200, body: 'hello' }),
      /not JSON \(authentication\)/,
      'not-json',
    ],
    [
      'malformed JSON',
      () => (fake.state.faults.player_api = { status: 200, body: '{"user_info":' }),
      /malformed JSON/,
      'bad-json',
    ],
    [
      'no user_info',
      () => (fake.state.authBody = { error: 'Invalid request' }),
      /without user_info: Invalid request/,
      'no-user-info',
    ],
    ['array', () => (fake.state.authBody = []), /JSON without user_info/, 'no-user-info'],
    ['dropped connection', () => (fake.state.faults.player_api = { destroy: true }), /connection failed/, ''],
  ];
  for (const [name, setup, message, code] of cases) {
    it(`explains ${name}`, async () => {
      setup();
      const e = await authError();
      expect(e.message).toMatch(message);
      if (code) expect(e.code).toBe(code);
    });
  }

  it('times out on slow headers', async () => {
    fake.state.faults.player_api = { delayMs: 1500 };
    const d = { ...def(), timeoutMs: 300 };
    const e = (await new XtreamClient(d).authenticate().catch((x: unknown) => x)) as SourceError;
    expect(e.kind).toBe('timeout');
    expect(e.message).toMatch(/^tuners\/acme\.json: no answer within 300 ms \(authentication\)$/);
  });

  it('follows redirects to a load balancer, keeping the User-Agent', async () => {
    fake.state.redirectWithToken = true;
    const a = await new XtreamClient(def({ userAgent: 'MyUA/1' })).authenticate();
    expect(a.status).toBe('Active');
    expect(fake.state.requests.map((r) => r.path)).toEqual(['/player_api.php', '/lb/player_api.php']);
    expect(fake.state.requests.every((r) => r.userAgent === 'MyUA/1')).toBe(true);
  });
});

describe('readXtreamSource', () => {
  it('turns live streams into entries: ids as strings, duplicates and radio dropped, groups named', async () => {
    const snap = await readXtreamSource(def());
    const byId = Object.fromEntries(snap.entries.map((e) => [e.streamId, e]));
    expect(Object.keys(byId)).toEqual(['11', '12', '13', '2356443347']);
    expect(byId['11']).toMatchObject({
      name: 'UK: News HD',
      epgId: 'News.uk',
      group: 'UK News',
      logo: 'http://logo/n.png',
      number: '1',
      kind: 'ts',
    });
    expect(byId['11']!.url).toBe(`${fake.url}/live/alice.tv/s3cr%26t%23pw/11.ts`);
    expect(byId['12']).toMatchObject({ group: 'Sport', epgId: undefined, number: '2' });
    expect(byId['13']).toMatchObject({ name: 'Stream 13', epgId: undefined, group: undefined });
    expect(snap.skipped).toBe(2);
    expect(snap.provider?.maxConnections).toBe(2);
  });

  it('builds URLs in an allowed output format', async () => {
    fake.state.userInfo = { ...fake.state.userInfo, allowed_output_formats: ['m3u8'] };
    const snap = await readXtreamSource(def({ output: 'ts' }));
    expect(snap.entries[0]!.url).toMatch(/\/11\.m3u8$/);
    expect(snap.entries[0]!.kind).toBe('hls');
    expect(snap.warnings).toContain('output "ts" is not allowed for this line; using "m3u8"');
  });

  it('applies group and name filters', async () => {
    const snap = await readXtreamSource(
      def({ filters: { includeGroups: ['uk news'], excludeNames: ['^UK:'] } }),
    );
    expect(snap.entries.map((e) => e.streamId)).toEqual(['12']);
  });

  it('keeps working without categories', async () => {
    fake.state.faults['player_api:get_live_categories'] = { status: 500 };
    const snap = await readXtreamSource(def());
    expect(snap.entries).toHaveLength(4);
    expect(snap.entries[0]!.group).toBeUndefined();
    expect(snap.warnings[0]).toMatch(/categories unavailable: .*HTTP 500/);
  });
});

describe('lenient scalars', () => {
  it('parses numbers given as numbers or numeric strings, and nothing else', () => {
    expect([
      flexInt(3),
      flexInt('3'),
      flexInt(' 7 '),
      flexInt('N/A'),
      flexInt(''),
      flexInt(null),
      flexInt('2.0'),
    ]).toEqual([3, 3, 7, undefined, undefined, undefined, 2]);
    expect([flexId(12), flexId('0012'), flexId(''), flexId(null), flexId(2356443347)]).toEqual([
      '12',
      '0012',
      undefined,
      undefined,
      '2356443347',
    ]);
  });
});
