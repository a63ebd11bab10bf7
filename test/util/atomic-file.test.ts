import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isObject,
  readJsonFile,
  readTextIfExists,
  writeFileAtomic,
  writeJsonAtomic,
  writeStreamAtomic,
} from '../../src/util/atomic-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tb-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('atomic writes', () => {
  it('creates missing directories and writes 0600 by default', async () => {
    const file = path.join(dir, 'a', 'b', 'secret.json');
    await writeJsonAtomic(file, { password: 'x' }, { indent: 2 });
    expect(await readFile(file, 'utf8')).toBe('{\n  "password": "x"\n}\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(file))).toEqual(['secret.json']);
  });

  it('replaces an existing file and honours an explicit mode', async () => {
    const file = path.join(dir, 'guide.xml');
    await writeFile(file, 'old');
    await writeFileAtomic(file, Buffer.from('new'), { mode: 0o644 });
    expect(await readFile(file, 'utf8')).toBe('new');
    expect((await stat(file)).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('keeps the old file and leaves no temp file when the stream writer fails', async () => {
    const file = path.join(dir, 'guide.xml');
    await writeFile(file, 'old');
    const failing = writeStreamAtomic(file, async (out) => {
      out.write('half a guide');
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('source went away');
    });
    await expect(failing).rejects.toThrow('source went away');
    expect(await readFile(file, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['guide.xml']);
  });

  it('streams a large file into place and returns what the writer returns', async () => {
    const file = path.join(dir, 'big.txt');
    const line = 'x'.repeat(1000) + '\n';
    const n = await writeStreamAtomic(file, async (out) => {
      for (let i = 0; i < 3000; i++) if (!out.write(line)) await new Promise((r) => out.once('drain', r));
      return 3000;
    });
    expect(n).toBe(3000);
    expect((await stat(file)).size).toBe(3000 * line.length);
    expect(await readdir(dir)).toEqual(['big.txt']);
  });

  it('removes the temp file when the rename fails (target is a directory)', async () => {
    const file = path.join(dir, 'taken');
    await mkdir(path.join(file, 'inner'), { recursive: true });
    await expect(writeFileAtomic(file, 'data')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['taken']);
  });

  it('gives every write its own temp file, so concurrent saves all complete', async () => {
    const file = path.join(dir, 'state.json');
    await Promise.all(Array.from({ length: 8 }, (_, i) => writeJsonAtomic(file, { i })));
    const v = JSON.parse(await readFile(file, 'utf8')) as { i: number };
    expect(v.i).toBeGreaterThanOrEqual(0);
    expect(v.i).toBeLessThan(8);
    expect(await readdir(dir)).toEqual(['state.json']);
  });
});

describe('reading', () => {
  it('readTextIfExists: undefined only for a missing file', async () => {
    expect(await readTextIfExists(path.join(dir, 'nope'))).toBeUndefined();
    await expect(readTextIfExists(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('readJsonFile: ok, missing, and corrupt (moved aside, not overwritten)', async () => {
    const file = path.join(dir, 'map.json');
    expect(await readJsonFile(file, isObject)).toEqual({ status: 'missing' });
    await writeFile(file, '{"a":1}');
    expect(await readJsonFile(file, isObject)).toEqual({ status: 'ok', value: { a: 1 } });
    await writeFile(file, '[1]');
    const bad = await readJsonFile(file, isObject);
    expect(bad).toMatchObject({ status: 'corrupt', reason: 'unexpected content' });
    if (bad.status === 'corrupt') expect(await readFile(bad.movedTo, 'utf8')).toBe('[1]');
    await writeFile(file, '{"a":');
    const worse = await readJsonFile(file, isObject);
    expect(worse.status).toBe('corrupt');
    if (worse.status !== 'corrupt') return;
    expect(worse.reason).toMatch(/JSON/);
    expect(worse.movedTo).toMatch(/map\.json\.corrupt-\d+$/);
    expect(await readFile(worse.movedTo, 'utf8')).toBe('{"a":');
    expect(await readTextIfExists(file)).toBeUndefined();
  });
});
