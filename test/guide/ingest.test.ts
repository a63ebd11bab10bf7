import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutAfter, ingestXmltv, processBatch, type IngestOptions } from '../../src/guide/ingest.js';
import { SpoolWriter, readSpoolLines, type SpoolEntry } from '../../src/guide/spool.js';
import { readXmltv, type ReadReport } from '../../src/guide/xmltv-reader.js';
import type { GuideChannel } from '../../src/guide/types.js';
import { xmltvTime } from './helpers.js';

const H = 3600_000;
const T0 = Date.UTC(2025, 0, 1);
const WINDOW = { from: T0 - 24 * H, to: T0 + 400 * 24 * H };

/** A multi-megabyte guide: time-ordered (interleaved channels), CRLF, non-ASCII text. */
function bigGuide(channels: number, perChannel: number, eol = '\r\n'): string {
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<tv>'];
  for (let c = 0; c < channels; c++)
    parts.push(`<channel id="c${c}"><display-name>Ch ${c}</display-name></channel>`);
  for (let i = 0; i < perChannel; i++) {
    for (let c = 0; c < channels; c++) {
      const s = T0 + i * H;
      parts.push(
        `<programme start="${xmltvTime(s)}" stop="${xmltvTime(s + H)}" channel="c${c}"><title>Prog ${i} &amp; ünïcödé 中文 ${c}</title>` +
          `<desc>${'Beschreibung '.repeat(20)}${i}</desc></programme>`,
      );
    }
  }
  parts.push('</tv>');
  return parts.join(eol) + eol;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tb-ingest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Lines = Record<string, string[]>;

async function spoolOf(
  name: string,
  fill: (w: SpoolWriter) => Promise<ReadReport>,
): Promise<{ report: ReadReport; lines: Lines; written: number; channels: GuideChannel[] }> {
  const base = join(dir, name);
  const w = new SpoolWriter(base, WINDOW);
  await w.openFile();
  const report = await fill(w);
  const index = await w.finish();
  const fh = await open(base + '.tmp', 'r');
  const lines: Lines = {};
  try {
    for (const [id, e] of Object.entries(index)) {
      lines[id] = (await readSpoolLines(fh, e as SpoolEntry)).map((l) => `${l.start} ${l.stop} ${l.body}`);
    }
  } finally {
    await fh.close();
  }
  return { report, lines, written: w.written, channels: w.channels };
}

function chunks(buf: Buffer, size = 64 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** `ingestXmltv` of `doc` arriving in `size`-byte chunks, into a spool named `name` (inline by default). */
function ingested(
  name: string,
  doc: Buffer,
  size?: number,
  opts: Partial<IngestOptions> = {},
): ReturnType<typeof spoolOf> {
  return spoolOf(name, (w) =>
    ingestXmltv(
      (async function* () {
        yield* chunks(doc, size);
      })(),
      w,
      { window: WINDOW, timeShiftMinutes: 0, workers: 0, ...opts },
    ),
  );
}

describe('ingestXmltv', () => {
  const xml = Buffer.from(bigGuide(40, 120));

  it('cuts a large input into batches with the same result as a single pass', async () => {
    expect(xml.length).toBeGreaterThan(1.5 * (1 << 20)); // at least two batches
    const single = await spoolOf('single', (w) => readXmltv(chunks(xml), w));
    const batched = await ingested('batched', xml);
    expect(batched.report).toMatchObject({ complete: true, channels: 40, programmes: 4800, problemCount: 0 });
    expect(batched.written).toBe(4800);
    expect(batched.lines).toEqual(single.lines);
  });

  it('cuts around programmes longer than a batch, whatever the chunk size', async () => {
    // A 300 KB description, then a run of 1 MB with no programme end at all (a comment).
    const long = `<programme start="${xmltvTime(T0)}" stop="${xmltvTime(T0 + H)}" channel="c1"><title>Long</title><desc>${'ü'.repeat(150_000)}</desc></programme>`;
    const gap = `<!-- ${'x'.repeat(1 << 20)} -->`;
    const doc = Buffer.from(bigGuide(20, 30).replace('<tv>', `<tv>${gap}`).replace('</tv>', `${long}</tv>`));
    const single = await spoolOf('long-single', (w) => readXmltv(chunks(doc), w));
    expect(single.report).toMatchObject({ complete: true, programmes: 601 });
    for (const size of [1000, 300 * 1024]) {
      const batched = await ingested(`long-${size}`, doc, size);
      expect(batched.report).toMatchObject({ complete: true, programmes: 601, problemCount: 0 });
      expect(batched.lines).toEqual(single.lines);
    }
  });

  it('keeps every channel of a channel list longer than many batches', async () => {
    // 2 MB of <channel> elements before the first programme.
    const chans = Array.from(
      { length: 6000 },
      (_, c) =>
        `<channel id="c${c}"><display-name>Chaîne ${c} ${'·'.repeat(100)}</display-name><icon src="http://logo/${c}.png"/></channel>`,
    ).join('\n');
    const doc = Buffer.from(bigGuide(3, 5).replace('<tv>', `<tv>${chans}`));
    const single = await spoolOf('chans-single', (w) => readXmltv(chunks(doc), w));
    expect(single.channels.length).toBe(6003);
    for (const size of [777, 256 * 1024]) {
      const batched = await ingested(`chans-${size}`, doc, size);
      expect(batched.report).toMatchObject({ complete: true, channels: 6003, problemCount: 0 });
      expect(batched.channels).toEqual(single.channels);
      expect(batched.lines).toEqual(single.lines);
    }
  });

  it('cuts ISO-8859-1 input safely and reads gzip', async () => {
    const latin = Buffer.from(
      bigGuide(10, 400, '\n').replace('UTF-8', 'ISO-8859-1').replace(/ 中文/g, ''),
      'latin1',
    );
    const r = await ingested('latin', gzipSync(latin));
    expect(r.report).toMatchObject({
      complete: true,
      compression: 'gzip',
      encoding: 'windows-1252',
      programmes: 4000,
    });
    expect(r.lines.c3?.[0]).toContain('<title>Prog 0 &amp; ünïcödé 3</title>');
  });

  it('keeps the batches before a truncation and reports it', async () => {
    const cut = xml.subarray(0, Math.floor(xml.length * 0.7));
    const r = await ingested('cut', cut, undefined, { timeShiftMinutes: 60 });
    expect(r.report.complete).toBe(false);
    expect(r.report.problems.join()).toMatch(/truncated/);
    expect(r.written).toBeGreaterThan(2000);
    expect(r.written).toBeLessThan(4800);
    expect(r.lines.c0?.[0]?.startsWith(`${T0 + H} ${T0 + 2 * H} `)).toBe(true);
  });

  it('reads UTF-16 on the main thread', async () => {
    const u16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(bigGuide(3, 5).replace('UTF-8', 'UTF-16'), 'utf16le'),
    ]);
    const r = await ingested('u16', u16, 100);
    expect(r.report).toMatchObject({ complete: true, programmes: 15, encoding: 'utf-16le' });
  });

  // One worker: the first two batches go to it and later ones run here while it is busy (the
  // 2-core layout); two workers: batches spread over both.
  it.each([1, 2])(
    'runs batches on %i worker thread(s) beside this one with the same result',
    async (workers) => {
      // The worker needs compiled JavaScript: bundle it with esbuild (vitest's own compiler).
      const { build } = await import('esbuild');
      const workerFile = join(dir, `ingest-worker-${workers}.mjs`);
      await build({
        entryPoints: ['src/guide/ingest-worker.ts'],
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: workerFile,
        logLevel: 'silent',
      });
      const large = Buffer.from(bigGuide(40, 400));
      expect(large.length).toBeGreaterThan(4 * (1 << 20)); // more batches than the workers take at once
      const single = await spoolOf(`single-w${workers}`, (w) => readXmltv(chunks(large), w));
      const threaded = await ingested(`threaded-w${workers}`, large, undefined, {
        workers,
        workerFile: pathToFileURL(workerFile),
      });
      expect(threaded.report).toMatchObject({ complete: true, programmes: 16_000, problemCount: 0 });
      expect(threaded.lines).toEqual(single.lines);
      expect(threaded.channels).toEqual(single.channels);
    },
  );
});

describe('cutAfter', () => {
  const doc = Buffer.from('<channel id="a"></channel><programme>1</programme><programme>22</programme>tail');
  const endOf = (s: string, nth = 0): number => {
    let at = -1;
    for (let i = 0; i <= nth; i++) at = doc.indexOf(s, at + 1);
    return at + s.length;
  };

  it('cuts after the last programme end within the batch, else after a channel end', () => {
    expect(cutAfter(doc, 0, doc.length)).toBe(endOf('</programme>', 1));
    expect(cutAfter(doc, 0, endOf('</programme>', 1) - 1)).toBe(endOf('</programme>'));
    expect(cutAfter(doc, 0, endOf('</channel>'))).toBe(endOf('</channel>'));
  });

  it('takes the first end beyond a batch too short for any, and -1 when there is none', () => {
    expect(cutAfter(doc, 0, 5)).toBe(endOf('</channel>'));
    expect(cutAfter(doc, endOf('</channel>'), 5)).toBe(endOf('</programme>'));
    expect(cutAfter(doc, endOf('</programme>', 1), 2)).toBe(-1);
  });
});

describe('processBatch', () => {
  it('parses a continued batch as if inside the root', () => {
    const body = `<programme start="${xmltvTime(T0)}" stop="${xmltvTime(T0 + H)}" channel="x"><title>A</title></programme>`;
    const r = processBatch({
      data: Buffer.from(body),
      encoding: 'utf-8',
      continued: true,
      final: false,
      window: WINDOW,
      timeShiftMinutes: 0,
    });
    expect(r).toMatchObject({
      programmes: 1,
      problemCount: 0,
      truncated: false,
      groups: [{ id: 'x', count: 1 }],
    });
    expect(Buffer.from(r.data).toString()).toBe(`${T0}\t${T0 + H}\t<title>A</title>\n`);
    const last = processBatch({
      data: Buffer.from(body + '</tv>'),
      encoding: 'utf-8',
      continued: true,
      final: true,
      window: WINDOW,
      timeShiftMinutes: 0,
    });
    expect(last.truncated).toBe(false);
  });
});
