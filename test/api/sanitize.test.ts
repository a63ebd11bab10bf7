import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SECRET_PLACEHOLDER,
  dropPlaceholders,
  maskPaths,
  restoreSecrets,
  sanitize,
} from '../../src/api/sanitize.js';
import { createFileSourceStore } from '../../src/api/source-store.js';

describe('sanitize / restoreSecrets', () => {
  it('masks secret-named fields, credential URLs and nested headers', () => {
    const out = sanitize({
      name: 'x',
      password: 'p1',
      nested: { apiKey: 'k', headers: { Authorization: 'Bearer z', 'User-Agent': 'VLC' } },
      list: ['http://h.invalid/get.php?username=u1&password=p2', 'plain'],
      empty: { token: '' },
    });
    expect(out).toEqual({
      name: 'x',
      password: SECRET_PLACEHOLDER,
      nested: {
        apiKey: SECRET_PLACEHOLDER,
        headers: { Authorization: SECRET_PLACEHOLDER, 'User-Agent': 'VLC' },
      },
      list: ['http://h.invalid/get.php?username=***&password=***', 'plain'],
      empty: { token: '' },
    });
  });

  it('restores placeholders and unchanged masked URLs from the stored definition, takes real edits', () => {
    const stored = {
      url: 'http://u:p@h.invalid/list.m3u',
      password: 'old',
      headers: { Cookie: 'c=1' },
      epgUrl: ['http://e.invalid/x?token=abc'],
    };
    const shown = sanitize(stored) as Record<string, unknown>;
    expect(restoreSecrets(shown, stored)).toEqual(stored);
    expect(restoreSecrets({ ...shown, password: 'new' }, stored)).toEqual({ ...stored, password: 'new' });
    expect(restoreSecrets({ ...shown, url: 'http://other.invalid/' }, stored)).toMatchObject({
      url: 'http://other.invalid/',
    });
    // A placeholder with nothing stored behind it is dropped, not saved literally.
    expect(restoreSecrets({ password: SECRET_PLACEHOLDER }, {})).toEqual({});
  });

  it('masks and un-masks settings by dotted path', () => {
    const s = { admin: { token: 't' }, guide: { urls: ['a', 'b'] }, port: 1 };
    const m = maskPaths(s, ['admin.token', 'guide.urls', 'missing.path']) as typeof s;
    expect(m).toEqual({
      admin: { token: SECRET_PLACEHOLDER },
      guide: { urls: [SECRET_PLACEHOLDER, SECRET_PLACEHOLDER] },
      port: 1,
    });
    expect(s.admin.token).toBe('t');
    expect(dropPlaceholders(m as unknown as Record<string, unknown>, ['admin.token', 'guide.urls'])).toEqual({
      admin: {},
      guide: {},
      port: 1,
    });
  });
});

describe('file source store', () => {
  it('writes atomically, serialises concurrent writes and leaves no temp files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tb-store-'));
    const store = createFileSourceStore({
      dir,
      validate: (d) => {
        if (typeof d.n !== 'number') throw Object.assign(new Error('must be a number'), { field: 'n' });
      },
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put('s1', { n: i })));
    expect(JSON.parse(await readFile(path.join(dir, 's1.json'), 'utf8'))).toEqual({ n: 19 });
    await expect(store.put('s1', { n: 'x' })).rejects.toMatchObject({ field: 'n' });
    expect(await store.get('s1')).toEqual({ n: 19 });
    await expect(store.put('../evil', { n: 1 })).rejects.toMatchObject({ field: 'id' });
    expect((await readdir(dir)).sort()).toEqual(['s1.json']);
    expect((await store.list()).map((s) => s.id)).toEqual(['s1']);
    expect(await store.remove('s1')).toBe(true);
    expect(await store.remove('s1')).toBe(false);
    await rm(dir, { recursive: true });
    expect(await store.list()).toEqual([]);
  });
});
