// Streaming core on loopback: cold tune and warm join latency, failover detection and client
// silence per fault kind, fan-out of one 8 Mbit/s channel to 500 clients (clients in a child
// process), and throughput through the session vs a direct fetch of the same upstream by the
// same kind of client (plus a bare relay, to show what the extra hop alone costs). Every figure
// sits beside a baseline measured in this run. Upstreams are a local HTTP server playing a demo
// clip.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { demoClips } from '../src/media/assets.js';
import { loadClip, parseClip, type TsClip } from '../src/media/clip.js';
import { createLoopStream } from '../src/media/loop-source.js';
import { silentLogger } from '../src/log.js';
import type { Channel, SourceLimit } from '../src/model.js';
import { DEFAULT_STREAMING, SessionManager, type SwitchRecord } from '../src/stream/session-manager.js';
import { PacketAligner } from '../src/ts/aligner.js';
import { StreamAnalyzer } from '../src/ts/analyzer.js';
import { TS_PACKET_SIZE as P } from '../src/ts/constants.js';
import { afcOf, ccOf, hasPayload, pidOf } from '../src/ts/packet.js';
import type { Bench, Report } from './types.js';

const B = 'stream';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

// ---- upstream: a clip served over HTTP, with faults ------------------------------------------

interface Upstream {
  url: string;
  /** When the last byte of each faulty response was written (ms, performance.now). */
  faultAt: Map<string, number>;
  close(): Promise<void>;
}

async function startUpstream(clips: Record<string, TsClip>): Promise<Upstream> {
  const faultAt = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const clip = clips.main!;
    const kind = u.pathname.slice(1);
    const id = u.searchParams.get('id') ?? '';
    if (kind === 'refuse') {
      faultAt.set(id, performance.now());
      return void req.socket.destroy();
    }
    if (kind === 'html') {
      faultAt.set(id, performance.now());
      return void res
        .writeHead(200, { 'content-type': 'video/mp2t' })
        .end('<html><body>blocked</body></html>');
    }
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    req.socket.setNoDelay(true);
    const src = createLoopStream(clip, { realtime: kind !== 'fast' });
    const after = Number(u.searchParams.get('after') ?? Infinity);
    let sent = 0;
    src.on('data', (b: Buffer) => {
      if (sent >= after) return;
      if (sent + b.length >= after) {
        res.write(b.subarray(0, after - sent));
        sent = after;
        faultAt.set(id, performance.now());
        src.destroy();
        if (kind === 'eof') res.end(); // 'stall' keeps the socket open, silent
        return;
      }
      sent += b.length;
      if (!res.write(b)) {
        src.pause();
        res.once('drain', () => src.resume());
      }
    });
    res.on('close', () => src.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    faultAt,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/**
 * The same upstream in a child process (for the CPU and throughput figures, so its own work is
 * not counted): /fast is the main clip unpaced, /fat the 8 Mbit/s clip in real time.
 */
async function startChildUpstream(mainFile: string, fatFile: string): Promise<{ url: string; stop(): void }> {
  const mod = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
  const code = `
    import http from 'node:http';
    const { loadClip } = await import(${mod('../src/media/clip.js')});
    const { createLoopStream } = await import(${mod('../src/media/loop-source.js')});
    const main = await loadClip(${JSON.stringify(mainFile)});
    const fat = await loadClip(${JSON.stringify(fatFile)});
    const server = http.createServer((req, res) => {
      const fast = req.url.startsWith('/fast');
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      const s = createLoopStream(fast ? main : fat, { realtime: !fast });
      s.pipe(res);
      res.on('close', () => s.destroy());
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', () => reject(new Error('upstream child exited')));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.stdin.end() };
}

/** The clip padded with adaptation-only stuffing on the video PID up to about `bps`. */
function inflate(clip: TsClip, bps: number): TsClip {
  const rate = (clip.data.length * 8) / (clip.durationMs / 1000);
  const extra = Math.max(0, Math.ceil(bps / rate) - 1);
  const parts: Buffer[] = [];
  const stuffing = Buffer.alloc(P, 0xff);
  for (let off = 0; off < clip.data.length; off += P) {
    parts.push(clip.data.subarray(off, off + P));
    if (pidOf(clip.data, off) !== clip.videoPid || !hasPayload(clip.data, off) || afcOf(clip.data, off) === 0)
      continue;
    for (let k = 0; k < extra; k++) {
      const s = Buffer.from(stuffing);
      s[0] = 0x47;
      s[1] = (clip.videoPid >> 8) & 0x1f;
      s[2] = clip.videoPid & 0xff;
      s[3] = 0x20 | ccOf(clip.data, off); // adaptation field only: the CC does not move
      s[4] = 183;
      s[5] = 0x00;
      parts.push(s);
    }
  }
  return parseClip(Buffer.concat(parts), 'inflated');
}

// ---- helpers -------------------------------------------------------------------------------

const limits: SourceLimit[] = [
  {
    sourceId: 'up',
    name: 'up',
    accountKey: 'up',
    maxConnections: 50,
    enabled: true,
    status: 'ok',
    channelCount: 1,
  },
];

function channel(guideNumber: string, ...urls: string[]): Channel {
  return {
    key: guideNumber,
    guideNumber,
    name: `ch${guideNumber}`,
    hd: true,
    candidates: urls.map((url, i) => ({
      sourceId: `s${i}`,
      accountKey: 'up',
      url,
      label: `s${i}`,
      headers: {},
      priority: i,
      name: `s${i}`,
      streamId: String(i),
      quality: 0,
      kind: 'ts' as const,
    })),
  };
}

function manager(opts: Partial<typeof DEFAULT_STREAMING> = {}): SessionManager {
  return new SessionManager({
    options: { ...DEFAULT_STREAMING, ffmpegPath: '', lingerMs: 0, ...opts },
    limits: () => limits,
    tunerCount: () => 20,
    logger: silentLogger,
  });
}

/** A sink that notes the first byte, the first random-access point and the longest silence. */
class Probe {
  readonly sink: Writable;
  firstByte?: number;
  firstRap?: number;
  bytes = 0;
  maxGap = 0;
  private last?: number;
  private readonly an = new StreamAnalyzer();
  private readonly al = new PacketAligner();
  constructor(
    private readonly t0: number,
    watchRap = true,
  ) {
    this.sink = new Writable({
      write: (chunk: Buffer, _e, cb) => {
        this.onData(chunk, watchRap);
        cb();
      },
    });
  }
  private onData(chunk: Buffer, watchRap: boolean): void {
    const now = performance.now();
    this.firstByte ??= now - this.t0;
    if (this.last !== undefined) this.maxGap = Math.max(this.maxGap, now - this.last);
    this.last = now;
    this.bytes += chunk.length;
    if (watchRap && this.firstRap === undefined) {
      this.an.push(this.al.push(Buffer.from(chunk)));
      if (this.an.ready()) this.firstRap = now - this.t0;
    }
  }
}

/** Time from request to the first random-access point of a direct fetch (the baseline). */
async function directTimeToRap(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await request(url);
  const an = new StreamAnalyzer();
  const al = new PacketAligner();
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    an.push(al.push(chunk));
    if (an.ready()) break;
  }
  const t = performance.now() - t0;
  res.body.on('error', () => {});
  res.body.destroy();
  return t;
}

// ---- the figures ---------------------------------------------------------------------------

async function coldTune(report: Report, up: Upstream): Promise<void> {
  const over: number[] = [];
  const direct: number[] = [];
  const first: number[] = [];
  const mgr = manager();
  for (let i = 0; i < 15; i++) {
    direct.push(await directTimeToRap(`${up.url}/good?n=${i}`));
    const t0 = performance.now();
    const p = new Probe(t0);
    await mgr.attach(channel(`c${i}`, `${up.url}/good?m=${i}`), p.sink, { client: 'bench' });
    while (p.firstRap === undefined && performance.now() - t0 < 5000) await sleep(5);
    first.push(p.firstByte ?? NaN);
    over.push((p.firstRap ?? NaN) - direct[direct.length - 1]!);
    mgr.kill(`c${i}`);
    await sleep(50);
  }
  await mgr.close();
  const p95 = pct(over, 95);
  report({ bench: B, metric: 'cold tune: extra time to first keyframe p50', value: pct(over, 50), unit: 'ms', baseline: { name: 'direct fetch to first keyframe p50', value: pct(direct, 50) } }); // prettier-ignore
  report({ bench: B, metric: 'cold tune: extra time to first keyframe p95', value: p95, unit: 'ms', baseline: { name: 'direct fetch to first keyframe p95', value: pct(direct, 95) }, target: '< 50 ms', pass: p95 < 50 }); // prettier-ignore
  report({ bench: B, metric: 'cold tune: first byte (keepalive) p95', value: pct(first, 95), unit: 'ms', baseline: { name: 'direct fetch to first keyframe p95', value: pct(direct, 95) } }); // prettier-ignore
}

async function warmJoin(report: Report, up: Upstream): Promise<void> {
  const mgr = manager();
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    if (req.url === '/static') return void res.end(Buffer.alloc(P, 0xff));
    void mgr.attach(channel('w', `${up.url}/good?w`), res, { client: 'bench' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const firstByte = async (path: string): Promise<number> => {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      http
        .get(`${base}${path}`, (res) => {
          res.once('data', () => {
            resolve(performance.now() - t0);
            res.destroy();
          });
        })
        .on('error', reject);
    });
  };
  const keeper = http.get(`${base}/tune`, (res) => res.resume()); // keeps the channel warm
  await sleep(2000);
  const ours: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < 30; i++) {
    plain.push(await firstByte('/static'));
    ours.push(await firstByte('/tune'));
  }
  keeper.destroy();
  await mgr.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  const p95 = pct(ours, 95);
  report({ bench: B, metric: 'warm join: first byte over HTTP p95', value: p95, unit: 'ms', baseline: { name: 'static 188-byte response p95', value: pct(plain, 95) }, target: '< 50 ms', pass: p95 < 50 }); // prettier-ignore
}

async function failover(report: Report, up: Upstream): Promise<void> {
  const stallMs = DEFAULT_STREAMING.stallMs;
  const kinds: [string, string][] = [
    ['stall', `${up.url}/stall?after=300000&id=stall`],
    ['eof', `${up.url}/eof?after=300000&id=eof`],
    ['refuse', `${up.url}/refuse?id=refuse`],
    ['html-200', `${up.url}/html?id=html`],
  ];
  let worstSilence = 0;
  for (const [kind, url] of kinds) {
    const mgr = manager({ stallMs });
    const switches: { at: number; s: SwitchRecord }[] = [];
    mgr.on('switch', (s: SwitchRecord) => switches.push({ at: performance.now(), s }));
    const p = new Probe(performance.now(), false);
    await mgr.attach(channel(kind, url, `${up.url}/good?${kind}`), p.sink, { client: 'bench' });
    const t0 = performance.now();
    while (!switches.some((x) => x.s.to === 's1') && performance.now() - t0 < 15_000) await sleep(10);
    const sw = switches.find((x) => x.s.to === 's1');
    const detect = sw && up.faultAt.has(kind === 'html-200' ? 'html' : kind) ? sw.at - up.faultAt.get(kind === 'html-200' ? 'html' : kind)! : NaN; // prettier-ignore
    await sleep(1000);
    worstSilence = Math.max(worstSilence, p.maxGap);
    await mgr.close();
    // Baseline: a plain undici fetch with bodyTimeout = stallMs notices the same fault.
    const b0 = performance.now();
    let base = NaN;
    try {
      const res = await request(url.replace(/id=\w+/, 'id=base'), {
        bodyTimeout: stallMs,
        headersTimeout: stallMs,
      });
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (chunk[0] === 0x3c) break; // HTML noticed at the first byte
      }
    } catch {
      // the fault, as expected
    }
    base = performance.now() - (up.faultAt.get('base') ?? b0);
    report({ bench: B, metric: `failover: ${kind} → next source live`, value: detect, unit: 'ms', baseline: { name: `undici bodyTimeout=${stallMs} notices it`, value: base } }); // prettier-ignore
  }
  report({ bench: B, metric: 'failover: longest client silence', value: worstSilence, unit: 'ms', baseline: { name: 'stallMs (no keepalive would be silent this long)', value: stallMs }, target: '≤ 1000 ms', pass: worstSilence <= 1000 }); // prettier-ignore
}

/** 500 HTTP clients in a child process; returns bytes each received. */
function clients(url: string, n: number, seconds: number): Promise<{ total: number; min: number }> {
  const code = `
    import http from 'node:http';
    const agent = new http.Agent({ maxSockets: ${n} });
    const counts = new Array(${n}).fill(0);
    let open = 0;
    for (let i = 0; i < ${n}; i++) {
      http.get(${JSON.stringify(url)}, { agent }, (res) => { open++; res.on('data', (d) => (counts[i] += d.length)); }).on('error', () => {});
    }
    setTimeout(() => {
      process.stdout.write(JSON.stringify({ total: counts.reduce((a, b) => a + b, 0), min: Math.min(...counts), open }));
      process.exit(0);
    }, ${seconds * 1000});`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as { total: number; min: number });
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

async function fanOut(report: Report, up: { url: string }, seconds: number, n: number): Promise<void> {
  const measure = async (
    handler: http.RequestListener,
  ): Promise<{ cpu: number; rss: number; mbps: number }> => {
    const server = http.createServer(handler);
    server.maxConnections = n + 10;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', 1024, r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    let rss = process.memoryUsage().rss;
    const t = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 200);
    const run = clients(url, n, seconds + 2);
    await sleep(2000); // connections up, then measure
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const res = await run;
    const cpu = process.cpuUsage(c0);
    const wall = performance.now() - w0;
    clearInterval(t);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    return {
      cpu: ((cpu.user + cpu.system) / 1000 / wall) * 100,
      rss: rss / 2 ** 20,
      mbps: (res.total * 8) / (seconds + 2) / 1e6,
    };
  };
  // Ours first: RSS only grows, so the baseline's peak must not be charged to us.
  const mgr = manager({ maxLagMs: 8000 });
  const ch = channel('fan', `${up.url}/fat`);
  const ours = await measure((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    void mgr.attach(ch, res, { client: 'bench' });
  });
  const drops = mgr.sessions()[0]?.clients.reduce((a, c) => a + c.drops, 0) ?? 0;
  await mgr.close();
  // Baseline: each client gets its own direct upstream fetch piped straight through (no session, no ring).
  const direct = await measure((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    void request(`${up.url}/fat`).then((r) => {
      r.body.on('data', (b: Buffer) => res.write(b));
      r.body.on('error', () => {});
      res.on('close', () => r.body.destroy());
    });
  });
  report({ bench: B, metric: `fan-out 8 Mbit/s × ${n}: CPU`, value: ours.cpu, unit: '% core', baseline: { name: `${n} direct upstream pipes`, value: direct.cpu }, target: '≤ 30 %', pass: ours.cpu <= 30 }); // prettier-ignore
  report({ bench: B, metric: `fan-out 8 Mbit/s × ${n}: peak RSS`, value: ours.rss, unit: 'MB', baseline: { name: `${n} direct upstream pipes`, value: direct.rss }, target: '< 150 MB', pass: ours.rss < 150 }); // prettier-ignore
  report({ bench: B, metric: `fan-out 8 Mbit/s × ${n}: delivered (skips ${drops})`, value: ours.mbps, unit: 'Mbit/s', baseline: { name: `${n} direct upstream pipes`, value: direct.mbps } }); // prettier-ignore
}

/** An HTTP server on loopback for one handler; resolves to its URL and a close(). */
async function serve(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/**
 * One client (http.get in a child process, like the baseline's) reads as fast as it can: a
 * direct fetch of the upstream, the same upstream through a bare relay (undici body → res.write,
 * no parsing: the cost of the extra hop itself), and through the session. Rounds alternate so
 * load from other processes on the machine hits all three alike; medians are reported.
 */
async function throughput(report: Report, up: { url: string }): Promise<void> {
  const seconds = 3;
  const rounds = 3;
  const mgr = manager({ ringSeconds: 2 });
  const ours = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    void mgr.attach(channel('tp', `${up.url}/fast`), res, { client: 'bench' });
  });
  const relay = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    void request(`${up.url}/fast`).then((r) => {
      const body = r.body;
      body.on('data', (b: Buffer) => {
        if (!res.write(b)) {
          body.pause();
          res.once('drain', () => body.resume());
        }
      });
      body.on('error', () => {});
      res.on('close', () => body.destroy());
    });
  });
  /** Mbit/s delivered, and this process's CPU per Gbit/s (% of a core) while delivering it. */
  const run = async (url: string): Promise<{ mbps: number; cpu: number }> => {
    const c0 = process.cpuUsage();
    const { total } = await clients(url, 1, seconds);
    const c = process.cpuUsage(c0);
    const mbps = (total * 8) / seconds / 1e6;
    const corePct = ((c.user + c.system) / 1000 / (seconds * 1000)) * 100;
    return { mbps, cpu: corePct / (mbps / 1000) };
  };
  const direct: number[] = [];
  const viaRelay: { mbps: number; cpu: number }[] = [];
  const viaUs: { mbps: number; cpu: number }[] = [];
  for (let i = 0; i < rounds; i++) {
    direct.push((await run(`${up.url}/fast`)).mbps);
    viaRelay.push(await run(relay.url));
    viaUs.push(await run(ours.url));
  }
  await mgr.close();
  await ours.close();
  await relay.close();
  const med = (xs: number[]): number => pct(xs, 50);
  const d = med(direct);
  const o = med(viaUs.map((x) => x.mbps));
  const r = med(viaRelay.map((x) => x.mbps));
  report({ bench: B, metric: 'throughput through the session (unpaced upstream)', value: o, unit: 'Mbit/s', baseline: { name: 'direct fetch, same upstream and client', value: d }, target: '≥ 0.8× direct', pass: o >= 0.8 * d }); // prettier-ignore
  report({ bench: B, metric: 'throughput through a bare relay (no parsing; the hop alone)', value: r, unit: 'Mbit/s', baseline: { name: 'direct fetch, same upstream and client', value: d } }); // prettier-ignore
  report({ bench: B, metric: 'session: proxy CPU per Gbit/s delivered', value: med(viaUs.map((x) => x.cpu)), unit: '% core', baseline: { name: 'bare relay', value: med(viaRelay.map((x) => x.cpu)) } }); // prettier-ignore
}

export default (async (report) => {
  const mainFile = demoClips()[0]!.file;
  const main = await loadClip(mainFile);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tb-stream-bench-'));
  const fatFile = path.join(dir, 'fat.ts');
  await writeFile(fatFile, inflate(main, 8_000_000).data);
  const child = await startChildUpstream(mainFile, fatFile);
  const up = await startUpstream({ main });
  try {
    // Fan-out first: peak RSS only grows, so nothing measured before it may be charged to it.
    await fanOut(report, child, 10, 500);
    await throughput(report, child);
    await coldTune(report, up);
    await warmJoin(report, up);
    await failover(report, up);
  } finally {
    child.stop();
    await up.close();
    await rm(dir, { recursive: true, force: true });
  }
}) satisfies Bench;
