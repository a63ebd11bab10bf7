// Splice-layer throughput: the Splicer's in-place rewrite (PID remap, CC, PCR/PTS/DTS rebase,
// PSI insertion, output assembly) and the looping clip source, each beside what the same bytes
// cost to merely copy or header-scan in the same run. Figures are CPU time (process.cpuUsage),
// best of several rounds after a warm-up, because the machine is shared with other processes.
import { readFile } from 'node:fs/promises';
import { demoClips } from '../src/media/assets.js';
import { parseClip } from '../src/media/clip.js';
import { LoopCursor } from '../src/media/loop-cursor.js';
import { Splicer } from '../src/ts/splicer.js';
import type { Bench } from './types.js';

const TARGET_BYTES = 64 * 1024 * 1024;
const CHUNK = 64 * 1024 - ((64 * 1024) % 188); // whole packets, like an aligned upstream read
const ROUNDS = 6; // the first is a warm-up
const CHANNEL_BYTES_PER_S = 10e6 / 8; // one 10 Mbit/s channel

/** Best CPU time (ms) of `fn` over the rounds after the first, each on a fresh copy of `base`. */
function best(base: Buffer, fn: (work: Buffer) => void): number {
  let min = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const work = Buffer.from(base);
    const c0 = process.cpuUsage();
    fn(work);
    const c = process.cpuUsage(c0);
    if (i > 0) min = Math.min(min, (c.user + c.system) / 1000);
  }
  return min;
}

const gbps = (bytes: number, ms: number): number => bytes / 1e9 / (ms / 1000);

export default (async (report) => {
  const clipBytes = await readFile(demoClips()[0]!.file);
  const base = Buffer.alloc(Math.floor(TARGET_BYTES / clipBytes.length) * clipBytes.length);
  for (let o = 0; o < base.length; o += clipBytes.length) clipBytes.copy(base, o);
  const n = base.length;

  const sink = Buffer.allocUnsafe(CHUNK);
  const copy = gbps(
    n,
    best(base, (w) => {
      for (let o = 0; o < w.length; o += CHUNK) w.copy(sink, 0, o, Math.min(o + CHUNK, w.length));
    }),
  );
  let checksum = 0;
  const scan = gbps(
    n,
    best(base, (w) => {
      for (let o = 0; o < w.length; o += 188)
        checksum += (((w[o + 1]! & 0x1f) << 8) | w[o + 2]!) + (w[o + 3]! & 15);
    }),
  );
  let outBytes = 0;
  const splice = gbps(
    n,
    best(base, (w) => {
      const s = new Splicer();
      s.begin('bench');
      for (let o = 0; o < w.length; o += CHUNK) outBytes += s.push(w.subarray(o, o + CHUNK)).data.length;
      outBytes += s.flush().data.length;
    }),
  );
  if (outBytes === 0 || checksum === 0) throw new Error('splice bench produced no output');

  const copyBase = { name: 'Buffer.copy, 64 KiB chunks', value: copy };
  report({
    bench: 'splice',
    metric: 'header scan PID+CC (CPU)',
    value: scan,
    unit: 'GB/s',
    baseline: copyBase,
  });
  report({
    bench: 'splice',
    metric: 'Splicer.push (CPU)',
    value: splice,
    unit: 'GB/s',
    baseline: { name: 'header scan', value: scan },
  });
  const pct = (rate: number): number => (CHANNEL_BYTES_PER_S / (rate * 1e9)) * 100;
  report({
    bench: 'splice',
    metric: 'Splicer CPU per 10 Mbit/s channel',
    value: pct(splice),
    unit: '% of a core',
    baseline: { name: 'Buffer.copy', value: pct(copy) },
    target: '< 1 %',
    pass: pct(splice) < 1,
  });

  const clip = parseClip(clipBytes, 'bench');
  const packets = Math.floor(n / 188);
  const loop = gbps(
    n,
    best(Buffer.alloc(0), () => {
      const cur = new LoopCursor(clip);
      for (let left = packets; left > 0; left -= 348) cur.take(Math.min(348, left));
    }),
  );
  report({ bench: 'splice', metric: 'LoopCursor.take (CPU)', value: loop, unit: 'GB/s', baseline: copyBase });
  report({
    bench: 'splice',
    metric: 'loop source CPU per 10 Mbit/s channel',
    value: pct(loop),
    unit: '% of a core',
    baseline: { name: 'Buffer.copy', value: pct(copy) },
    target: '< 1 %',
    pass: pct(loop) < 1,
  });
}) satisfies Bench;
