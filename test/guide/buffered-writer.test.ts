import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BufferedWriter } from '../../src/guide/buffered-writer.js';

describe('BufferedWriter', () => {
  it('batches writes and honours back-pressure', async () => {
    const writes: number[] = [];
    let pending: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 10,
      write(chunk: Buffer, _e, cb) {
        writes.push(chunk.length);
        pending = cb;
      },
    });
    const w = new BufferedWriter(slow, 100);
    await w.write('x'.repeat(40));
    expect(writes).toEqual([]);
    let done = false;
    const p = w.write('y'.repeat(70))?.then(() => (done = true));
    expect(p).toBeDefined();
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([110]);
    expect(done).toBe(false);
    pending?.();
    await p;
    expect(done).toBe(true);
  });

  it('fails when the destination goes away', async () => {
    const out = new PassThrough({ highWaterMark: 1 });
    const w = new BufferedWriter(out, 1);
    const p = w.write('abc');
    out.destroy();
    await expect(p).rejects.toThrow(/closed/);
  });

  it('writes strings and byte ranges in order, as UTF-8', async () => {
    const got: Buffer[] = [];
    const out = new Writable({
      write(chunk: Buffer, _e, cb) {
        got.push(Buffer.from(chunk));
        cb();
      },
    });
    const w = new BufferedWriter(out, 64);
    const src = Buffer.from('xx<body>Ünïcödé</body>yy');
    let want = '';
    for (let i = 0; i < 50; i++) {
      // Short ASCII, short non-ASCII, long strings and byte ranges, across many chunks.
      for (const s of [`<p n="${i}">`, 'é中', 'z'.repeat(i * 7), '😀'.repeat(i % 3)]) {
        w.put(s);
        want += s;
      }
      w.putBytes(src, 2, src.length - 2);
      want += src.subarray(2, src.length - 2).toString();
    }
    await w.flush();
    expect(Buffer.concat(got).toString('utf8')).toBe(want);
    expect(got.length).toBeGreaterThan(10);
  });

  it('reuses chunk memory only after the destination is done with it', async () => {
    // Like a file: a chunk is in use from write() until its (late) callback, and must not change.
    const got: Buffer[] = [];
    let changed = 0;
    const out = new Writable({
      highWaterMark: 4096,
      write(chunk: Buffer, _e, cb) {
        const copy = Buffer.from(chunk);
        got.push(copy);
        setTimeout(() => {
          if (!chunk.equals(copy)) changed++;
          cb();
        }, 1);
      },
    });
    const w = new BufferedWriter(out, 1024, true);
    let want = '';
    for (let i = 0; i < 2000; i++) {
      const s = `<line ${i}>${'abcdefgh'.repeat(i % 9)}</line>\n`;
      w.put(s);
      want += s;
      if (i % 20 === 0) await w.ready();
    }
    await w.flush();
    await new Promise<void>((resolve) => out.end(resolve));
    expect(changed).toBe(0);
    expect(Buffer.concat(got).toString()).toBe(want);
  });
});
