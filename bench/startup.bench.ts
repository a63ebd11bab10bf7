// Start-to-discoverable time and the CPU cost of playing a demo channel, measured on the real CLI in a child
// process. Loopback only: discovery is asked by unicast to 127.0.0.1:65001, SSDP is off.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame, PacketType, Tag, u32Tlv, decodeFrame } from '../src/hdhr/packet.js';
import type { Bench } from './types.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli.js');
const ticks = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / ticks; // utime + stime
}

function discoverOnce(timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const done = (ok: boolean): void => {
      clearTimeout(t);
      s.close();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.on('message', (m) => {
      const f = decodeFrame(m);
      done(f.ok && f.type === PacketType.DISCOVER_RPY);
    });
    s.on('error', () => done(false));
    s.send(encodeFrame(PacketType.DISCOVER_REQ, [u32Tlv(Tag.DEVICE_TYPE, 0xffffffff)]), 65001, '127.0.0.1');
  });
}

async function timeToDiscoverable(args: string[], cwd: string): Promise<{ ms: number; child: ChildProcess }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 400; i++) {
    if (await discoverOnce(25)) return { ms: performance.now() - t0, child };
  }
  child.kill();
  throw new Error('service never answered discovery');
}

async function nodeStartMs(): Promise<number> {
  const t0 = performance.now();
  await new Promise((r) => spawn(process.execPath, ['-e', '0']).on('exit', r));
  return performance.now() - t0;
}

export default (async (report) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tb-bench-'));
  const port = 5150 + Math.floor(Math.random() * 500);
  const args = [
    '--port',
    String(port),
    '--data-dir',
    dir,
    '--tuners-dir',
    path.join(dir, 't'),
    '--epg-dir',
    dir,
  ];
  args.push('--no-ssdp', '--no-port80', '--no-native-control-protocol', '--log-level', 'warn');
  try {
    const runs: number[] = [];
    const bases: number[] = [];
    let child: ChildProcess | undefined;
    for (let i = 0; i < 3; i++) {
      bases.push(await nodeStartMs());
      const r = await timeToDiscoverable(args, dir);
      runs.push(r.ms);
      if (i < 2) {
        r.child.kill();
        await new Promise((res) => r.child.once('exit', res));
      } else child = r.child;
    }
    const median = (a: number[]): number => [...a].sort((x, y) => x - y)[1]!;
    report({
      bench: 'startup',
      metric: 'start → answers UDP discovery (median of 3)',
      value: median(runs),
      unit: 'ms',
      baseline: { name: 'bare `node -e 0` start', value: median(bases) },
      target: '< 2000 ms',
      pass: median(runs) < 2000,
    });

    // Demo stream CPU: 10 s idle, then 10 s with one client playing a demo channel in real time.
    const pid = child!.pid!;
    const idle0 = await cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 10_000));
    const idle = (await cpuSeconds(pid)) - idle0;
    let bytes = 0;
    const req = http.get(`http://127.0.0.1:${port}/auto/v100`, (res) =>
      res.on('data', (c: Buffer) => (bytes += c.length)),
    );
    req.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 2_000)); // past the cold start
    const play0 = await cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 10_000));
    const play = (await cpuSeconds(pid)) - play0;
    req.destroy();
    report({
      bench: 'demo stream',
      metric: `CPU of one real-time demo channel (${((bytes * 8) / 12 / 1e6).toFixed(2)} Mbit/s)`,
      value: (play / 10) * 100,
      unit: '% of a core',
      baseline: { name: 'same process idle', value: (idle / 10) * 100 },
      target: '< 2 %',
      pass: (play / 10) * 100 < 2,
    });
    child!.kill();
    await new Promise((res) => child!.once('exit', res));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}) satisfies Bench;
