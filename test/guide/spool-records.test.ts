import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrangeTimes } from '../../src/guide/build.js';
import {
  SpoolReader,
  parseSpoolRecords,
  readSpoolBytes,
  type SpoolRecords,
  type SpoolRef,
} from '../../src/guide/spool-records.js';

const H = 3600_000;

/** Each record as `start stop body`, bodies decoded from the bytes. */
function lines(r: SpoolRecords): string[] {
  return Array.from(
    { length: r.count },
    (_, i) => `${r.starts[i]} ${r.stops[i]} ${r.data.toString('utf8', r.bodyStart[i], r.bodyEnd[i])}`,
  );
}

describe('parseSpoolRecords', () => {
  it('splits lines into times and body byte ranges, keeping UTF-8 bodies intact', () => {
    const data = Buffer.from('1000\t2000\t<title>Ünïcödé 中文</title>\n-5\t0\ta\tb\n', 'utf8');
    const r = parseSpoolRecords(data);
    expect(lines(r)).toEqual(['1000 2000 <title>Ünïcödé 中文</title>', '-5 0 a\tb']);
    // Body ranges are byte offsets: the first body ends at its newline byte.
    expect(data[r.bodyEnd[0] as number]).toBe(0x0a);
    expect(r.bodyStart[1]).toBe(data.indexOf('a\tb'));
  });

  it('skips broken lines and reads a last line without a newline', () => {
    const data = Buffer.from('no tabs here\n\t5\tempty start\n7\tonly one tab\n1\t2\tok\n3\t\tlast', 'utf8');
    // Wrong line counts (an index out of step) only size the arrays.
    for (const expected of [undefined, 0, 1, 50]) {
      expect(lines(parseSpoolRecords(data, expected))).toEqual(['1 2 ok', '3 0 last']);
    }
  });

  it('reads numbers the way Number() does, beyond plain digits too', () => {
    const big = '12345678901234567890';
    const r = parseSpoolRecords(Buffer.from(`1e3\t${big}\tx\n1735689600000\t-0\ty\n`));
    expect([r.starts[0], r.stops[0]]).toEqual([1000, Number(big)]);
    expect([r.starts[1], r.stops[1]]).toEqual([1735689600000, -0]);
  });
});

describe('arrangeTimes', () => {
  it('orders by start, first of equal starts wins, trims overlaps, infers stops', () => {
    const starts = new Float64Array([3 * H, 1 * H, 1 * H, 2 * H, 6 * H]);
    const stops = new Float64Array([4 * H, 0, 5 * H, 3.5 * H, 0]);
    const r = arrangeTimes(starts.length, starts, stops, { from: 0, to: 100 * H });
    expect(r.order).toEqual([1, 3, 0, 4]);
    expect(r.stops).toEqual([2 * H, 3 * H, 4 * H, 7 * H]);
  });
});

describe('SpoolReader', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tb-spool-read-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hands each channel its own bytes, whether read alone or with its neighbours', async () => {
    // 300 channels of ~10 KB each, so runs of neighbours are cut by the run size limit.
    const parts: Buffer[] = [];
    const refs: (SpoolRef | undefined)[] = [];
    const expected: string[] = [];
    let at = 0;
    for (let c = 0; c < 300; c++) {
      const text = `${c}\t${c + 1}\t${`<title>${c}</title>`.padEnd(10_000 + c, '·')}\n`;
      const b = Buffer.from(text);
      parts.push(b);
      expected.push(text);
      refs.push({ inputId: 'in', entry: { count: 1, segs: [at, b.length] } });
      at += b.length;
    }
    // A channel split over two segments, one read out of file order, one not spooled.
    refs[10] = { inputId: 'in', entry: { count: 2, segs: [refs[11]?.entry.segs[0] as number, 5, 0, 7] } };
    expected[10] = expected[11]?.slice(0, 5) + (expected[0] as string).slice(0, 7);
    const order = refs.map((_, i) => i);
    [order[50], order[200]] = [200, 50];
    const ordered = order.map((i) => refs[i]);
    ordered.splice(120, 0, undefined);
    const want = order.map((i) => expected[i] as string);
    want.splice(120, 0, '');
    await writeFile(join(dir, 'in.lines'), Buffer.concat(parts));

    const reader = new SpoolReader(ordered, (id) => join(dir, `${id}.lines`));
    const got: string[] = [];
    try {
      for (let n = 0; n < ordered.length; n++) {
        got.push(ordered[n] ? (await reader.take(n)).toString('utf8') : '');
      }
    } finally {
      await reader.close();
    }
    expect(got.length).toBe(want.length);
    for (let n = 0; n < want.length; n++) expect(got[n], `channel at ${n}`).toBe(want[n]);
  });

  it('reads one entry with readSpoolBytes', async () => {
    await writeFile(join(dir, 'x.lines'), 'abcdefghij');
    const fh = await open(join(dir, 'x.lines'), 'r');
    try {
      expect((await readSpoolBytes(fh, { count: 0, segs: [7, 3, 0, 2] })).toString()).toBe('hijab');
    } finally {
      await fh.close();
    }
  });

  it('fails the channel whose spool file is missing, and closes cleanly', async () => {
    const reader = new SpoolReader([{ inputId: 'gone', entry: { count: 1, segs: [0, 4] } }], (id) =>
      join(dir, `${id}.lines`),
    );
    await expect(reader.take(0)).rejects.toThrow(/ENOENT/);
    await reader.close();
  });
});
