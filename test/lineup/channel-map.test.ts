import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ChannelMap, compareGuideNumbers, normaliseNumber } from '../../src/lineup/channel-map.js';
import { Overrides, OverrideError } from '../../src/lineup/overrides.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tb-map-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const ch = (key: string, providerNumber?: string) => ({ key, name: key.toUpperCase(), providerNumber });

describe('ChannelMap', () => {
  it('hands out numbers from firstNumber, keeps them across reloads, never reuses removed ones', async () => {
    const file = path.join(dir, 'channel-map.json');
    const m = await ChannelMap.load(file, 100);
    m.assign([ch('a'), ch('b'), ch('c')], { useProviderNumbers: false });
    expect(['a', 'b', 'c'].map((k) => m.numberOf(k))).toEqual(['100', '101', '102']);
    await m.save();
    const m2 = await ChannelMap.load(file, 100);
    // b removed, order changed, d added: d takes the next number, b's stays reserved.
    m2.assign([ch('c'), ch('d'), ch('a')], { useProviderNumbers: false });
    expect(['a', 'b', 'c', 'd'].map((k) => m2.numberOf(k))).toEqual(['100', '101', '102', '103']);
    expect(m2.ownerOf('101')).toBe('b');
  });

  it('uses free provider numbers when asked, skipping taken and pinned ones', async () => {
    const m = await ChannelMap.load(path.join(dir, 'm.json'), 1);
    m.assign([ch('a', '007'), ch('b', '7'), ch('c', '22.1'), ch('d', 'abc'), ch('e', '5')], {
      useProviderNumbers: true,
      pinned: new Set(['5', '1']),
    });
    expect(['a', 'b', 'c', 'd', 'e'].map((k) => m.numberOf(k))).toEqual(['7', '2', '22.1', '3', '4']);
  });

  it('moves a corrupt file aside instead of overwriting it', async () => {
    const file = path.join(dir, 'channel-map.json');
    await writeFile(file, '{"version":1,');
    let moved = '';
    const m = await ChannelMap.load(file, 100, (to) => (moved = to));
    expect(moved).toMatch(/channel-map\.json\.corrupt-\d+$/);
    expect(await readFile(moved, 'utf8')).toBe('{"version":1,');
    m.assign([ch('a')], { useProviderNumbers: false });
    await m.save();
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(JSON.parse(await readFile(file, 'utf8')).channels.a.number).toBe('100');
  });
});

describe('GuideNumbers', () => {
  it('normalises and orders numerically', () => {
    expect(['007', '22.1', '1.2.3', '', 'x', '5.'].map(normaliseNumber)).toEqual([
      '7',
      '22.1',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(['10', '9', '10.1', '2.10', '2.9', '2'].sort(compareGuideNumbers)).toEqual([
      '2',
      '2.9',
      '2.10',
      '9',
      '10',
      '10.1',
    ]);
  });
});

describe('Overrides', () => {
  it('validates and persists patches; null clears a field', async () => {
    const file = path.join(dir, 'overrides.json');
    const o = await Overrides.load(file);
    expect(o.set('k', { name: ' News ', guideNumber: '0042', disabled: true })).toEqual({
      name: 'News',
      guideNumber: '42',
      disabled: true,
    });
    expect(o.set('k', { disabled: null })).toEqual({ name: 'News', guideNumber: '42' });
    expect(() => o.set('k', { guideNumber: '4-2' })).toThrow(OverrideError);
    expect(() => o.set('k', { disabled: 'yes' as unknown as boolean })).toThrow(
      /disabled must be true or false/,
    );
    await o.save();
    const o2 = await Overrides.load(file);
    expect(o2.get('k')).toEqual({ name: 'News', guideNumber: '42' });
    expect([...o2.pinnedNumbers()]).toEqual([['42', 'k']]);
  });

  it('routes merges (transitively) and splits; clear undoes them', async () => {
    const o = await Overrides.load(path.join(dir, 'o.json'));
    o.merge(['b', 'c']);
    o.merge(['a', 'b']);
    expect(['a', 'b', 'c', 'd'].map((k) => o.route('x:1', k))).toEqual(['a', 'a', 'a', 'd']);
    const s = o.split('a', ['x:9', 'x:8']);
    expect(s).toMatch(/^split:[0-9a-f]{12}$/);
    expect(o.split('a', ['x:8', 'x:9'])).toBe(s);
    expect(o.route('x:9', 'a')).toBe(s);
    o.clear(s);
    expect(o.route('x:9', 'a')).toBe('a');
    o.clear('a');
    expect(o.route('x:1', 'c')).toBe('c');
    expect(() => o.merge(['a'])).toThrow(/at least two/);
  });
});
