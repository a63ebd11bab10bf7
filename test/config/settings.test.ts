import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings, saveSettings, SettingsError } from '../../src/config/settings.js';
import { defaultSettings, durationMs, type Settings } from '../../src/config/schema.js';
import { forgetSecrets, redact } from '../../src/util/redact.js';
import { tempCwd } from './helpers.js';

afterEach(() => forgetSecrets());

async function withFile(content: string, dir = 'data'): Promise<{ cwd: string; file: string }> {
  const cwd = await tempCwd();
  await mkdir(path.join(cwd, dir), { recursive: true });
  const file = path.join(cwd, dir, 'settings.json');
  await writeFile(file, content);
  return { cwd, file };
}

const load = (cwd: string, argv: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  loadSettings({ argv, env, cwd });

async function loadError(
  cwd: string,
  argv: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<SettingsError> {
  const err = await load(cwd, argv, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SettingsError);
  return err as SettingsError;
}

describe('loadSettings: origins', () => {
  it('returns defaults without creating the file or the data directory', async () => {
    const cwd = await tempCwd();
    const { settings, sources, file } = await load(cwd);
    const expected = defaultSettings() as Settings & Record<string, unknown>;
    expect(settings).toEqual({
      ...expected,
      dataDir: path.join(cwd, 'data'),
      tunersDir: path.join(cwd, 'tuners'),
      epgDir: path.join(cwd, 'epg'),
    });
    expect(new Set(Object.values(sources))).toEqual(new Set(['default']));
    expect(file).toBe(path.join(cwd, 'data', 'settings.json'));
    expect(await readdir(cwd)).toEqual([]);
  });

  it('reads the file, leaving it byte-for-byte unchanged', async () => {
    const text = '{ "port": 6000,\n  "streaming": { "stallMs": 3000 } }\n';
    const { cwd, file } = await withFile(text);
    const { settings, sources } = await load(cwd);
    expect(settings.port).toBe(6000);
    expect(settings.streaming.stallMs).toBe(3000);
    expect(settings.streaming.lingerMs).toBe(defaultSettings().streaming.lingerMs);
    expect(sources).toMatchObject({
      port: 'file',
      'streaming.stallMs': 'file',
      'streaming.lingerMs': 'default',
    });
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('lets env override the file and flags override env', async () => {
    const { cwd } = await withFile(
      '{"port": 6000, "device": {"friendlyName": "file"}, "streaming": {"stallMs": 3000}}',
    );
    const env = {
      TUNERBRIDGE_PORT: '7000',
      TUNERBRIDGE_STREAMING_STALL_MS: '4000',
      TUNERBRIDGE_DEVICE_FRIENDLY_NAME: 'Living room',
      PATH: '/bin',
    };
    const a = await load(cwd, [], env);
    expect([a.settings.port, a.settings.streaming.stallMs, a.settings.device.friendlyName]).toEqual([
      7000,
      4000,
      'Living room',
    ]);
    expect(a.sources).toMatchObject({
      port: 'env',
      'streaming.stallMs': 'env',
      'device.friendlyName': 'env',
    });

    const b = await load(cwd, ['--port', '8000', '--streaming-stall-ms=2000'], env);
    expect([b.settings.port, b.settings.streaming.stallMs, b.settings.device.friendlyName]).toEqual([
      8000,
      2000,
      'Living room',
    ]);
    expect(b.sources).toMatchObject({
      port: 'flag',
      'streaming.stallMs': 'flag',
      'device.friendlyName': 'env',
    });
  });

  it('takes the last of repeated scalar flags', async () => {
    const cwd = await tempCwd();
    expect((await load(cwd, ['--port=5005', '--port', '5006'])).settings.port).toBe(5006);
  });

  it('finds the data directory by flag, then env, relative to cwd', async () => {
    const { cwd } = await withFile('{"port": 6001}', 'flagdir');
    await mkdir(path.join(cwd, 'envdir'));
    await writeFile(path.join(cwd, 'envdir', 'settings.json'), '{"port": 6002}');
    const env = { TUNERBRIDGE_DATA_DIR: 'envdir' };
    expect((await load(cwd, [], env)).settings.port).toBe(6002);
    const viaFlag = await load(cwd, ['--data-dir', 'flagdir'], env);
    expect(viaFlag.settings.port).toBe(6001);
    expect(viaFlag.settings.dataDir).toBe(path.join(cwd, 'flagdir'));
    expect(viaFlag.file).toBe(path.join(cwd, 'flagdir', 'settings.json'));
    expect(viaFlag.sources.dataDir).toBe('flag');
  });

  it('accepts the named directory and address flags', async () => {
    const cwd = await tempCwd();
    const { settings } = await load(cwd, [
      '--tuners-dir',
      'my/tuners',
      '--epg-dir=/srv/epg',
      '--advertise-address',
      '192.168.1.20',
    ]);
    expect(settings.tunersDir).toBe(path.join(cwd, 'my', 'tuners'));
    expect(settings.epgDir).toBe('/srv/epg');
    expect(settings.advertiseAddress).toBe('192.168.1.20');
  });
});

describe('loadSettings: coercion', () => {
  it('handles boolean flags and env words', async () => {
    const cwd = await tempCwd();
    const off = await load(cwd, ['--no-ssdp', '--no-udp-discovery', '--port80=false', '--demo', 'no']);
    expect([off.settings.ssdp, off.settings.udpDiscovery, off.settings.port80, off.settings.demo]).toEqual([
      false,
      false,
      false,
      false,
    ]);
    const on = await load(cwd, ['--ssdp', '--port', '5005'], {
      TUNERBRIDGE_SSDP: 'off',
      TUNERBRIDGE_DEMO: 'OFF',
    });
    expect(on.settings.ssdp).toBe(true);
    expect(on.settings.port).toBe(5005);
    expect(on.settings.demo).toBe(false);
    const env = await load(cwd, [], { TUNERBRIDGE_UDP_DISCOVERY: 'yes', TUNERBRIDGE_SSDP: '0' });
    expect([env.settings.udpDiscovery, env.settings.ssdp]).toEqual([true, false]);
  });

  it('splits lists on commas, appends repeated flags, and reads JSON arrays', async () => {
    const cwd = await tempCwd();
    const a = await load(cwd, ['--interfaces', 'eth0, 192.168.1.5', '--interfaces=eth1']);
    expect(a.settings.interfaces).toEqual(['eth0', '192.168.1.5', 'eth1']);
    const b = await load(cwd, ['--lineup-quality-preference='], { TUNERBRIDGE_INTERFACES: '["br0"]' });
    expect(b.settings.lineup.qualityPreference).toEqual([]);
    expect(b.settings.interfaces).toEqual(['br0']);
    const c = await load(cwd, [], { TUNERBRIDGE_GUIDE_PRECEDENCE: 'dummy,files' });
    expect(c.settings.guide.precedence).toEqual(['dummy', 'files']);
  });

  it('keeps durations as text that durationMs understands', async () => {
    const cwd = await tempCwd();
    const { settings } = await load(cwd, ['--lineup-refresh-interval', '30m'], {
      TUNERBRIDGE_GUIDE_REFRESH_INTERVAL: '90',
    });
    expect(settings.lineup.refreshInterval).toBe('30m');
    expect(durationMs(settings.lineup.refreshInterval)).toBe(30 * 60_000);
    expect(durationMs(settings.guide.refreshInterval)).toBe(90_000);
  });

  it('reads webhooks as JSON', async () => {
    const cwd = await tempCwd();
    const hooks = [{ url: 'http://127.0.0.1:9/hook', events: ['failover'], secret: 'hook-secret' }];
    const { settings } = await load(cwd, [], { TUNERBRIDGE_WEBHOOKS: JSON.stringify(hooks) });
    expect(settings.webhooks).toEqual(hooks);
  });

  it('registers secret settings so logs mask them', async () => {
    const { cwd } = await withFile('{"admin": {"token": "s3cret-admin"}}');
    await load(cwd);
    expect(redact('token=s3cret-admin')).not.toContain('s3cret-admin');
  });
});

describe('loadSettings: errors', () => {
  it('names the file, the JSON path, the reason and the value, and never rewrites the file', async () => {
    const text = '{\n  "streaming": { "stallMs": -5 }\n}\n';
    const { cwd, file } = await withFile(text);
    const before = await stat(file);
    const err = await loadError(cwd);
    expect(err.message).toBe('data/settings.json: streaming.stallMs must be >= 100 (got -5)');
    expect(err.problems).toEqual([
      { file: 'data/settings.json', field: 'streaming.stallMs', reason: 'must be >= 100 (got -5)' },
    ]);
    expect(await readFile(file, 'utf8')).toBe(text);
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
    expect(await readdir(path.dirname(file))).toEqual(['settings.json']);
  });

  it('lists every problem of the file', async () => {
    const { cwd } = await withFile(
      '{"port": -1, "bogus": 1, "lineup": {"hlsVariant": "best"}, "dataDir": "/x"}',
    );
    const err = await loadError(cwd);
    expect(err.problems.map((p) => p.field).sort()).toEqual([
      'bogus',
      'dataDir',
      'lineup.hlsVariant',
      'port',
    ]);
    expect(err.message.split('\n')).toHaveLength(4);
    expect(err.message).toContain('data/settings.json: bogus is not a known setting');
    expect(err.message).toContain('data/settings.json: dataDir cannot be set in the settings file');
  });

  it('reports malformed JSON by position without echoing its content', async () => {
    const text = '{\n  "admin": {"token": "tok-abc123"},\n  oops\n}';
    const { cwd, file } = await withFile(text);
    const err = await loadError(cwd);
    expect(err.problems).toHaveLength(1);
    expect(err.message).toMatch(/^data\/settings\.json: is not valid JSON \(line 3, column \d+\)$/);
    expect(err.message).not.toContain('tok-abc123');
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('reports a file that is not an object', async () => {
    const { cwd } = await withFile('[1, 2]');
    expect((await loadError(cwd)).message).toBe('data/settings.json: must hold a JSON object');
  });

  it('treats an empty file as no settings', async () => {
    const { cwd, file } = await withFile('\n');
    expect((await load(cwd)).settings.port).toBe(defaultSettings().port);
    expect(await readFile(file, 'utf8')).toBe('\n');
  });

  it('names the env var for env problems', async () => {
    const cwd = await tempCwd();
    const err = await loadError(cwd, [], {
      TUNERBRIDGE_STREAMING_STALL_MS: '-5',
      TUNERBRIDGE_PORT: 'eighty',
      TUNERBRIDGE_PROT: '1',
      TUNERBRIDGE_SSDP: 'maybe',
    });
    expect(err.message.split('\n').sort()).toEqual(
      [
        'TUNERBRIDGE_STREAMING_STALL_MS: streaming.stallMs must be >= 100 (got -5)',
        'TUNERBRIDGE_PORT: port must be an integer (got "eighty")',
        'TUNERBRIDGE_PROT: is not a known setting',
        'TUNERBRIDGE_SSDP: ssdp must be true or false (got "maybe")',
      ].sort(),
    );
  });

  it('names the flag for flag problems', async () => {
    const cwd = await tempCwd();
    const err = await loadError(cwd, [
      '--prot',
      '5005',
      '--streaming-stall-ms',
      '-5',
      '--no-port',
      '--no-ssdp=true',
      '--lineup-hls-variant=best',
      'serve',
      '-p',
      '--port',
    ]);
    expect(err.message.split('\n').sort()).toEqual(
      [
        '--prot: unknown option',
        '--streaming-stall-ms: streaming.stallMs must be >= 100 (got -5)',
        '--no-port: unknown option',
        '--no-ssdp: ssdp takes no value',
        '--lineup-hls-variant: lineup.hlsVariant must be one of: lowest, highest (got "best")',
        'serve: unexpected argument',
        '-p: unknown option',
        '--port: port needs a value',
      ].sort(),
    );
  });

  it('blames the winning origin only', async () => {
    const { cwd } = await withFile('{"port": 6000}');
    const err = await loadError(cwd, ['--port', '70000'], { TUNERBRIDGE_PORT: '7000' });
    expect(err.message).toBe('--port: port must be <= 65535 (got 70000)');
  });

  it('never echoes secrets given on the command line or in env', async () => {
    const cwd = await tempCwd();
    const err = await loadError(
      cwd,
      ['--guide-urls', 'ftp://user:pw-flag@host/x.xml', '--integrations-tvheadend-url=tvh://a:pw-tvh@h'],
      {
        TUNERBRIDGE_WEBHOOKS: '[{"url": "gopher://u:pw-env@h", "events": []}]',
        TUNERBRIDGE_ADMIN_TOKEN: 'ok-token',
      },
    );
    expect(err.problems.map((p) => p.file).sort()).toEqual([
      '--guide-urls',
      '--integrations-tvheadend-url',
      'TUNERBRIDGE_WEBHOOKS',
    ]);
    expect(err.message).not.toMatch(/pw-flag|pw-tvh|pw-env/);
    const bad = await loadError(cwd, [], { TUNERBRIDGE_WEBHOOKS: '{"url": "pw-json' });
    expect(bad.message).toMatch(/^TUNERBRIDGE_WEBHOOKS: webhooks must be a JSON list/);
    expect(bad.message).not.toContain('pw-json');
  });
});

describe('saveSettings', () => {
  it('creates the file, merges patches, and resets keys given as null', async () => {
    const cwd = await tempCwd();
    const dataDir = path.join(cwd, 'data');
    await saveSettings(dataDir, { port: 6100, streaming: { stallMs: 3000 }, admin: { token: 'tok' } });
    await saveSettings(dataDir, { streaming: { lingerMs: 0 }, admin: { token: null } });
    const file = path.join(dataDir, 'settings.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      port: 6100,
      streaming: { stallMs: 3000, lingerMs: 0 },
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const { settings, sources } = await load(cwd);
    expect(settings.streaming.lingerMs).toBe(0);
    expect(sources['admin.token']).toBe('default');
    expect(await readdir(dataDir)).toEqual(['settings.json']);
  });

  it('replaces lists rather than merging them', async () => {
    const cwd = await tempCwd();
    const dataDir = path.join(cwd, 'data');
    await saveSettings(dataDir, { interfaces: ['eth0', 'eth1'] });
    await saveSettings(dataDir, { interfaces: ['eth2'] });
    expect((await load(cwd)).settings.interfaces).toEqual(['eth2']);
  });

  it('rejects an invalid patch and writes nothing', async () => {
    const text = '{"port": 6000}';
    const { cwd, file } = await withFile(text);
    const err = await saveSettings(path.join(cwd, 'data'), { streaming: { stallMs: 1 } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SettingsError);
    expect((err as SettingsError).problems).toEqual([
      {
        file: path.join(cwd, 'data', 'settings.json'),
        field: 'streaming.stallMs',
        reason: 'must be >= 100 (got 1)',
      },
    ]);
    expect(await readFile(file, 'utf8')).toBe(text);
    await expect(saveSettings(path.join(cwd, 'data'), { dataDir: '/elsewhere' })).rejects.toThrow(
      /dataDir cannot be set/,
    );
  });

  it('never rewrites an invalid file, even with a patch that would fix it', async () => {
    const text = '{"port": -1, "junk": true}';
    const { cwd, file } = await withFile(text);
    await expect(saveSettings(path.join(cwd, 'data'), { port: 6000 })).rejects.toThrow(/port must be >= 0/);
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});
