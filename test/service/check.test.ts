import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCheck } from '../../src/commands/check.js';

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tb-check-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

describe('tunerbridge check', () => {
  it('passes a clean tree', async () => {
    const cwd = await tree({
      'tuners/acme.json': JSON.stringify({ type: 'm3u', name: 'Acme', url: 'http://acme.invalid/list.m3u' }),
    });
    const r = await runCheck({ argv: [], env: {}, cwd });
    expect(r.text).toBe('tunerbridge check: settings and tuners/ files are valid\n');
    expect(r.code).toBe(0);
  });

  it('names file, field and reason for every bad setting, and does not touch the file', async () => {
    const bad = '{"port": 70000, "streaming": {"stallMs": "fast"}}';
    const cwd = await tree({ 'data/settings.json': bad });
    const r = await runCheck({ argv: ['--bogus'], env: {}, cwd });
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/settings\.json: port must be <= 65535/);
    expect(r.text).toMatch(/settings\.json: streaming\.stallMs/);
    expect(r.text).toMatch(/--bogus: unknown option/);
    expect(await readFile(path.join(cwd, 'data/settings.json'), 'utf8')).toBe(bad);
  });

  it('reports broken tuners/ files with file and field, and keeps checking the others', async () => {
    const cwd = await tree({
      'tuners/good.json': JSON.stringify({ type: 'm3u', name: 'Good', url: 'http://good.invalid/a.m3u' }),
      'tuners/typo.json': '{ "type": "xtream", "name": "Typo", ',
      'tuners/nouser.json': JSON.stringify({
        type: 'xtream',
        name: 'No user',
        url: 'http://p.invalid',
        password: 'x',
      }),
      'tuners/kind.json': JSON.stringify({ type: 'dvb', name: 'Kind' }),
    });
    const r = await runCheck({ argv: [], env: {}, cwd });
    expect(r.code).toBe(1);
    const files = r.problems.map((p) => path.basename(p.file));
    expect(files).toEqual(expect.arrayContaining(['typo.json', 'nouser.json', 'kind.json']));
    expect(files).not.toContain('good.json');
    expect(r.problems.find((p) => p.file.endsWith('nouser.json'))?.field).toBe('username');
    expect(r.problems.find((p) => p.file.endsWith('kind.json'))?.field).toBe('type');
  });
});
