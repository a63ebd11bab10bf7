import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  loadSourceDir,
  normalizePanelUrl,
  parseDefinition,
  validateSourceDir,
  xtreamAccountKey,
} from '../../src/sources/definition.js';
import { redact } from '../../src/util/redact.js';

const FILE = '/srv/tuners/acme.json';
const parse = (o: unknown, env: Record<string, string> = {}) => parseDefinition(JSON.stringify(o), FILE, env);

describe('parseDefinition', () => {
  it('fills defaults for an Xtream source and expands ${ENV} secrets', () => {
    const r = parse(
      { type: 'xtream', url: 'http://panel.example:8080/', username: 'bob123', password: '${ACME_PASS}' },
      { ACME_PASS: 'pw-from-env' },
    );
    expect(r.problems).toEqual([]);
    expect(r.definition).toMatchObject({
      id: 'acme',
      definitionFile: 'tuners/acme.json',
      type: 'xtream',
      name: 'acme',
      url: 'http://panel.example:8080',
      username: 'bob123',
      password: 'pw-from-env',
      output: 'ts',
      enabled: true,
      priority: 100,
      userAgent: 'VLC/3.0.20 LibVLC/3.0.20',
      timeoutMs: 30_000,
      epgUrls: [],
      timeShiftMinutes: 0,
    });
    expect(r.definition!.maxConnections).toBeUndefined();
    // Registered for redaction the moment they are read.
    expect(redact('user bob123 pass pw-from-env')).toBe('user *** pass ***');
  });

  it('reports every bad field with file, field and reason', () => {
    const r = parse({
      type: 'xtream',
      url: 'ftp://x',
      password: '${MISSING_VAR}',
      maxConnections: 0,
      priority: 'high',
      output: 'mkv',
      refreshInterval: '5s',
      filters: { excludeNames: ['(unclosed'], includeGroupz: ['x'] },
      headers: { 'Bad Header': 'x' },
      enabled: 'yes',
      typo: 1,
    });
    expect(r.definition).toBeUndefined();
    const got = r.problems.map((p) => `${p.field}: ${p.reason}${p.warning ? ' [warning]' : ''}`);
    expect(got).toEqual([
      'typo: unknown field (ignored) [warning]',
      'enabled: must be true or false',
      'priority: must be an integer from -1000 to 1000',
      'maxConnections: must be an integer from 1 to 255',
      'headers.Bad Header: is not a valid header name',
      'refreshInterval: must be a duration of at least one minute: seconds, or "30m", "6h", "1d"',
      expect.stringMatching(/^filters\.excludeNames\[0\]: invalid regular expression: /),
      'filters.includeGroupz: unknown filter (use includeGroups, excludeGroups, includeNames, excludeNames, includeUrls, excludeUrls)',
      'url: must be an http(s) URL of the panel, e.g. http://provider.example:8080',
      'username: is required',
      'password: environment variable MISSING_VAR is not set',
      'output: must be "ts" or "m3u8"',
    ]);
    expect(r.problems.every((p) => p.file === 'tuners/acme.json')).toBe(true);
  });

  it('takes credentials from a pasted get.php URL and keeps the sub-path', () => {
    const r = parse({
      type: 'xtream',
      url: 'https://p.example/Pluto/gb/get.php?username=u5er&password=p4ss&type=m3u_plus',
    });
    expect(r.definition).toMatchObject({
      url: 'https://p.example/Pluto/gb',
      username: 'u5er',
      password: 'p4ss',
    });
  });

  it('validates M3U sources: url or file, not both, no separate credentials', () => {
    expect(parse({ type: 'm3u' }).problems.map((p) => p.field)).toEqual(['url']);
    expect(parse({ type: 'm3u', url: 'http://a/b.m3u', file: 'x.m3u' }).problems.map((p) => p.field)).toEqual(
      ['file'],
    );
    expect(parse({ type: 'm3u', url: 'http://a/b', username: 'x' }).problems.map((p) => p.field)).toEqual([
      'username',
    ]);
    const ok = parse({
      type: 'm3u',
      file: 'lists/x.m3u',
      maxConnections: 3,
      refreshInterval: '6h',
      epgUrl: ['http://e/1.xml'],
    });
    expect(ok.definition).toMatchObject({
      file: '/srv/tuners/lists/x.m3u',
      maxConnections: 3,
      refreshInterval: 21_600_000,
      epgUrls: ['http://e/1.xml'],
    });
  });

  it('registers credentials found in playlist URLs', () => {
    parse({ type: 'm3u', url: 'http://h/get.php?username=zed777&password=qq-secret-9' });
    expect(redact('zed777 / qq-secret-9')).toBe('*** / ***');
  });

  it('rejects bad JSON and the reserved id', () => {
    expect(parseDefinition('{nope', FILE, {}).problems[0]).toMatchObject({
      file: 'tuners/acme.json',
      field: '',
      reason: expect.stringMatching(/^not valid JSON: /),
    });
    expect(parseDefinition('[]', FILE, {}).problems[0]!.reason).toBe('must be a JSON object');
    expect(parseDefinition('{"type":"m3u","url":"http://a/b"}', '/t/demo.json', {}).problems[0]!.field).toBe(
      '',
    );
  });
});

describe('panel URL and account key', () => {
  it('normalises pasted panel URLs', () => {
    expect(normalizePanelUrl('http://h:8080/player_api.php?username=a&password=b')).toEqual({
      url: 'http://h:8080',
      credentials: { username: 'a', password: 'b' },
    });
    expect(normalizePanelUrl('http://h/sub/path/')?.url).toBe('http://h/sub/path');
    expect(normalizePanelUrl('not a url')).toBeUndefined();
  });

  it('hashes the account key (same account, same key; never the raw username)', () => {
    const a = xtreamAccountKey('http://H:8080/x', 'bob');
    expect(a).toMatch(/^xtream:[0-9a-f]{16}$/);
    expect(a).toBe(xtreamAccountKey('http://h:8080', 'bob'));
    expect(a).not.toBe(xtreamAccountKey('http://h:8080', 'bobby'));
  });
});

describe('loadSourceDir / validateSourceDir', () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'tb-def-')), 'tuners');
    await mkdir(dir);
    await writeFile(path.join(dir, 'good.json'), JSON.stringify({ type: 'm3u', url: 'http://a/list.m3u' }));
    await writeFile(path.join(dir, 'bad.json'), JSON.stringify({ type: 'satellite' }));
    await writeFile(path.join(dir, 'notes.txt'), 'ignored');
  });
  afterAll(() => rm(path.dirname(dir), { recursive: true, force: true }));

  it('loads good files and reports bad ones without stopping', async () => {
    const { definitions, problems } = await loadSourceDir(dir, {});
    expect(definitions.map((d) => d.id)).toEqual(['good']);
    expect(problems).toContainEqual({
      file: 'tuners/bad.json',
      field: 'type',
      reason: 'must be "xtream" or "m3u"',
    });
    expect(await validateSourceDir(dir)).toEqual(problems);
  });

  it('treats a missing directory as empty', async () => {
    expect(await loadSourceDir(path.join(dir, 'nope'))).toEqual({ definitions: [], problems: [] });
  });
});
