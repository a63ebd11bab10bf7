import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { arrange } from '../../src/guide/build.js';
import { SpoolWriter, loadSpoolMeta, readSpoolLines, type SpoolMeta } from '../../src/guide/spool.js';
import type { Programme } from '../../src/guide/types.js';

const H = 3600_000;
const W = { from: 0, to: 100 * H };
const line = (start: number, stop: number, body = `b${start}`) => ({ start, stop, body });

describe('arrange', () => {
  it('sorts, drops same-start duplicates, infers stops and trims overlaps', () => {
    const got = arrange(
      [line(3 * H, 4 * H), line(1 * H, 0), line(1 * H, 5 * H, 'dup'), line(2 * H, 3.5 * H), line(6 * H, 0)],
      W,
    );
    expect(got).toEqual([
      line(1 * H, 2 * H, `b${H}`),
      line(2 * H, 3 * H),
      line(3 * H, 4 * H),
      line(6 * H, 7 * H),
    ]);
  });
  it('keeps only what touches the window', () => {
    const got = arrange([line(0, H), line(H, 2 * H), line(5 * H, 6 * H)], { from: H, to: 5 * H });
    expect(got.map((l) => l.start)).toEqual([H]);
  });
});

describe('SpoolWriter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tb-spool-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('groups interleaved programmes per channel and reads them back', async () => {
    const base = join(dir, 'in');
    const w = new SpoolWriter(base, { from: 10 * H, to: 5000 * H });
    await w.openFile();
    const p = (channel: string, start: number, title: string): Programme => ({
      channel,
      start,
      stop: start + H,
      titles: [{ text: title }],
    });
    // Time-ordered (interleaved) input, plus programmes outside the window.
    for (let i = 0; i < 3000; i++) w.programme(p(`ch${i % 3}`, (10 + i) * H, `t & ${i}`));
    w.programme(p('ch0', 0, 'too old'));
    w.programme(p('ch0', 6000 * H, 'too far'));
    w.channel({ id: 'ch0', names: ['Zero'] });
    await w.drain();
    const index = await w.finish();
    expect(Object.keys(index).sort()).toEqual(['ch0', 'ch1', 'ch2']);
    expect(index.ch1?.count).toBe(1000);
    const meta: SpoolMeta = {
      version: 1,
      inputId: 'in',
      kind: 'files',
      label: 'x',
      fetchedAt: 1,
      channels: w.channels,
      index,
      programmes: w.written,
      bytes: 0,
      complete: true,
      problems: [],
      problemCount: 0,
    };
    await w.commit(meta);
    expect((await loadSpoolMeta(base))?.programmes).toBe(3000);
    const fh = await open(base + '.lines', 'r');
    try {
      const lines = await readSpoolLines(fh, index.ch1 as { count: number; segs: number[] });
      expect(lines.length).toBe(1000);
      expect(lines[0]).toEqual({ start: 11 * H, stop: 12 * H, body: '<title>t &amp; 1</title>' });
      expect(lines.every((l, i) => l.start === (11 + 3 * i) * H)).toBe(true);
    } finally {
      await fh.close();
    }
    expect((await stat(base + '.lines')).size).toBeGreaterThan(3000 * 30);
  });
});
