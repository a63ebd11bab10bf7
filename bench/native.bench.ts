// Native tuning data path: remux into a mux slot + PID filter + 7-packet datagrams (CPU), and a
// join burst sent through the paced UDP output vs straight onto the socket (loss). Loopback only.
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { demoClips } from '../src/media/assets.js';
import { DatagramPacker } from '../src/native/datagrams.js';
import { slotPids } from '../src/native/mux-psi.js';
import { ProgramRemux } from '../src/native/program-remux.js';
import { allPids, applyFilter } from '../src/native/tuning-values.js';
import { UdpOutput } from '../src/native/udp-output.js';
import type { Bench } from './types.js';

const MB = 1024 * 1024;

async function clip(): Promise<Buffer> {
  const file = demoClips()[0]!.file;
  const data = await readFile(file);
  return data.subarray(0, data.length - (data.length % 188));
}

function mbitPerS(bytes: number, ms: number): number {
  return (bytes * 8) / 1e6 / (ms / 1000);
}

function dataPath(input: Buffer, rounds: number): number {
  const remux = new ProgramRemux(slotPids(2).esBase, () => undefined);
  const filter = allPids();
  const packer = new DatagramPacker();
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let o = 0; o < input.length; o += 188 * 64) {
      packer.push(applyFilter(remux.push(input.subarray(o, Math.min(o + 188 * 64, input.length))), filter));
    }
  }
  return performance.now() - t0;
}

function copyOnly(input: Buffer, rounds: number): number {
  const packer = new DatagramPacker();
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let o = 0; o < input.length; o += 188 * 64)
      packer.push(input.subarray(o, Math.min(o + 188 * 64, input.length)));
  }
  return performance.now() - t0;
}

async function burst(datagrams: number, paced: boolean): Promise<number> {
  const rx = dgram.createSocket('udp4');
  let got = 0;
  rx.on('message', () => got++);
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  rx.setRecvBufferSize(256 * 1024);
  const port = rx.address().port;
  const payload = Buffer.alloc(188 * 7, 0x47);
  if (paced) {
    const out = new UdpOutput({ protocol: 'udp', host: '127.0.0.1', port });
    out.write(Buffer.alloc(datagrams * 188 * 7, 0x47));
    for (let i = 0; i < 300 && out.stats.datagrams < datagrams; i++)
      await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    out.close();
  } else {
    const tx = dgram.createSocket('udp4');
    await Promise.all(
      Array.from(
        { length: datagrams },
        () => new Promise<void>((r) => tx.send(payload, port, '127.0.0.1', () => r())),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    tx.close();
  }
  rx.close();
  return (100 * got) / datagrams;
}

export default (async (report) => {
  const input = await clip();
  const rounds = Math.max(1, Math.round((64 * MB) / input.length));
  dataPath(input, 1); // warm-up
  copyOnly(input, 1);
  const ms = dataPath(input, rounds);
  const base = copyOnly(input, rounds);
  const bytes = input.length * rounds;
  report({
    bench: 'native data path (remux + filter + datagrams)',
    metric: 'throughput',
    value: mbitPerS(bytes, ms),
    unit: 'Mbit/s',
    baseline: { name: 'datagram packing only', value: mbitPerS(bytes, base) },
    target: '> 1000 Mbit/s (≈ 50 HD streams per core)',
    pass: mbitPerS(bytes, ms) > 1000,
  });
  const n = 2000; // ~2.6 MB: a keyframe's worth of backlog for several streams at once
  const paced = await burst(n, true);
  const raw = await burst(n, false);
  report({
    bench: `native join burst (${n} datagrams, 256 KiB receive buffer)`,
    metric: 'delivered',
    value: paced,
    unit: '%',
    baseline: { name: 'unpaced socket sends', value: raw },
    target: '≥ 99 %',
    pass: paced >= 99,
  });
}) satisfies Bench;
