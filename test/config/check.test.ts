import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSettings, formatProblems } from '../../src/config/check.js';
import { tempCwd } from './helpers.js';

describe('checkSettings', () => {
  it('returns nothing for a good setup and creates no file', async () => {
    const cwd = await tempCwd();
    expect(
      await checkSettings({ argv: ['--port', '5005'], env: { TUNERBRIDGE_SSDP: 'false' }, cwd }),
    ).toEqual([]);
    expect(await readdir(cwd)).toEqual([]);
  });

  it('reports each problem of every origin', async () => {
    const cwd = await tempCwd();
    await mkdir(path.join(cwd, 'data'));
    await writeFile(
      path.join(cwd, 'data', 'settings.json'),
      JSON.stringify({ port: -1, tuners: { max: 300 }, guide: { channelId: 'name' }, extra: 1 }),
    );
    const problems = await checkSettings({
      argv: ['--streaming-ring-seconds', '0', '--bogus'],
      env: { TUNERBRIDGE_LOG_LEVEL: 'loud' },
      cwd,
    });
    expect(problems).toHaveLength(7);
    expect(
      problems
        .filter((p) => p.file === 'data/settings.json')
        .map((p) => p.field)
        .sort(),
    ).toEqual(['extra', 'guide.channelId', 'port', 'tuners.max']);
    expect(problems).toContainEqual({
      file: 'TUNERBRIDGE_LOG_LEVEL',
      field: 'logLevel',
      reason: expect.stringMatching(/one of/),
    });
    expect(problems).toContainEqual({
      file: '--streaming-ring-seconds',
      field: 'streaming.ringSeconds',
      reason: 'must be >= 1 (got 0)',
    });
    expect(problems).toContainEqual({ file: '--bogus', field: '', reason: 'unknown option' });
  });
});

describe('formatProblems', () => {
  it('prints one line per problem, with the field when there is one', () => {
    expect(
      formatProblems([
        { file: 'data/settings.json', field: 'port', reason: 'must be >= 0 (got -1)' },
        { file: '--bogus', field: '', reason: 'unknown option' },
      ]),
    ).toBe('data/settings.json: port must be >= 0 (got -1)\n--bogus: unknown option');
    expect(formatProblems([])).toBe('');
  });
});
