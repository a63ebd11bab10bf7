// Lineup costs: parse + merge 100k M3U entries from 3 playlists (wall and CPU time and peak RSS, each
// measured in a fresh child process so other benches and warmed-up JIT code do not distort them),
// and /lineup.json for 20k channels built the way the HTTP handler builds it. Baselines: JSON.parse
// of the same data, same run. A busy machine moves single runs a lot: the children run ROUNDS
// times, baseline and ours alternating, and the medians are reported. The cold figure is what a
// (re)started server pays; a second pass in the same child shows how much of it is V8 compiling
// the code (CPU time counts every thread, the optimising compiler's and the GC's included).
import { fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseDefinition, type M3uDefinition } from '../src/sources/definition.js';
import { readM3uSource } from '../src/sources/m3u.js';
import { mergeSources } from '../src/lineup/merge.js';
import { ChannelMap } from '../src/lineup/channel-map.js';
import { LineupService } from '../src/lineup/service.js';
import { lineupEntries } from '../src/http/lineup-format.js';
import { silentLogger } from '../src/log.js';
import type { Bench } from './types.js';

const here = fileURLToPath(import.meta.url);
const CHILD = 'TB_LINEUP_BENCH_CHILD';
const TOTAL = 100_000;
const SOURCES = 3;
const ROUNDS = 5;

/** A playlist of `n` entries; sources share channel ids so merging has real work to do. */
function playlist(source: number, n: number): string {
  const lines = ['#EXTM3U x-tvg-url="http://guide.example/epg.xml.gz"'];
  for (let i = 0; i < n; i++) {
    const ch = (i * 7 + source * 13) % 40_000;
    const tag = ['FHD', 'HD', 'SD'][(i + source) % 3];
    const epg = ch % 4 === 0 ? '' : ` tvg-id="Channel${ch}.example"`;
    lines.push(
      `#EXTINF:-1${epg} tvg-name="Channel ${ch}" tvg-logo="http://logos.example/${ch}.png" group-title="Group ${ch % 50}",UK: Channel ${ch} ${tag}`,
      `http://provider${source}.example:8080/live/user${source}/pass${source}/${source * 1_000_000 + i}.ts`,
    );
  }
  return lines.join('\r\n') + '\r\n';
}

interface ChildResult {
  ms: number;
  cpuMs: number;
  maxRssMb: number;
  channels: number;
  /** Wall time of the phases of `ours`: reading + parsing, merging, numbering. */
  phases: number[];
  /** The same task again in the same process (compiled code and warm caches). */
  warmMs: number;
  warmCpuMs: number;
}

/** Runs inside the child: the task cold, its peak RSS, then the task once more, warm. */
async function child(task: string, dir: string): Promise<ChildResult> {
  const cold = await run(task, dir, 'cold');
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  const warm = await run(task, dir, 'warm');
  return { ...cold, maxRssMb, warmMs: warm.ms, warmCpuMs: warm.cpuMs };
}

async function run(
  task: string,
  dir: string,
  pass: string,
): Promise<Pick<ChildResult, 'ms' | 'cpuMs' | 'channels' | 'phases'>> {
  const files = Array.from({ length: SOURCES }, (_, i) => path.join(dir, `p${i}.m3u`));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let channels = 0;
  const phases: number[] = [];
  if (task === 'ours') {
    const snaps = [];
    for (const [i, f] of files.entries()) {
      const r = parseDefinition(
        JSON.stringify({ type: 'm3u', file: f, priority: i }),
        path.join(dir, `s${i}.json`),
        {},
      );
      snaps.push({
        id: `s${i}`,
        priority: i,
        accountKey: `m3u:s${i}`,
        entries: (await readM3uSource(r.definition as M3uDefinition)).entries,
      });
    }
    phases.push(performance.now() - t0);
    const merged = mergeSources(snaps, { qualityPreference: ['FHD', 'HD', 'SD'], hlsVariant: 'lowest' });
    phases.push(performance.now() - t0 - phases[0]!);
    const map = await ChannelMap.load(path.join(dir, `map-${process.pid}-${pass}.json`), 100);
    map.assign(merged, { useProviderNumbers: false });
    channels = merged.length;
    phases.push(performance.now() - t0 - phases[0]! - phases[1]!);
  } else {
    // Baseline: the same entries as JSON, parsed in one go.
    for (const f of files) channels += (JSON.parse(await readFile(`${f}.json`, 'utf8')) as unknown[]).length;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, channels, phases };
}

function runChild(task: string, dir: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = fork(here, [], {
      env: { ...process.env, [CHILD]: `${task}\n${dir}` },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    p.once('message', (m) => resolve(m as ChildResult));
    p.once('error', reject);
    p.once('exit', (code) => code !== 0 && reject(new Error(`bench child exited with ${code}`)));
  });
}

if (process.env[CHILD]) {
  const [task, dir] = process.env[CHILD].split('\n') as [string, string];
  const r = await child(task, dir);
  process.send?.(r, () => process.exit(0));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export default (async (report) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tb-bench-lineup-'));
  try {
    const per = Math.ceil(TOTAL / SOURCES);
    for (let i = 0; i < SOURCES; i++) {
      const text = playlist(i, per);
      await writeFile(path.join(dir, `p${i}.m3u`), text);
      const rows = [];
      const lines = text.split('\r\n');
      for (let j = 1; j + 1 < lines.length; j += 2) rows.push({ extinf: lines[j], url: lines[j + 1] });
      await writeFile(path.join(dir, `p${i}.m3u.json`), JSON.stringify(rows));
    }
    const base: ChildResult[] = [];
    const ours: ChildResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      base.push(await runChild('baseline', dir));
      ours.push(await runChild('ours', dir));
    }
    const med = (rs: ChildResult[], f: (r: ChildResult) => number) => median(rs.map(f));
    const name = `m3u parse+merge ${TOTAL / 1000}k from ${SOURCES} sources`;
    const wall = med(ours, (r) => r.ms);
    const [parse, merge, numbering] = [0, 1, 2].map((i) => med(ours, (r) => r.phases[i]!).toFixed(0));
    report({
      bench: name,
      metric: `time (median of ${ROUNDS} cold runs; read+parse ${parse}, merge ${merge}, numbering ${numbering} ms)`,
      value: wall,
      unit: 'ms',
      baseline: { name: 'JSON.parse of the same entries', value: med(base, (r) => r.ms) },
      target: '< 2000 ms',
      pass: wall < 2000,
    });
    report({
      bench: name,
      metric: `CPU time (user+sys, all threads; median of ${ROUNDS})`,
      value: med(ours, (r) => r.cpuMs),
      unit: 'ms',
      baseline: { name: 'JSON.parse of the same entries', value: med(base, (r) => r.cpuMs) },
    });
    report({
      bench: name,
      metric: `peak RSS (${ours[0]!.channels} channels; median of ${ROUNDS})`,
      value: med(ours, (r) => r.maxRssMb),
      unit: 'MB',
      baseline: { name: 'JSON.parse of the same entries', value: med(base, (r) => r.maxRssMb) },
    });
    report({
      bench: name,
      metric: `time, second pass in the same process (median of ${ROUNDS}; CPU ${med(ours, (r) => r.warmCpuMs).toFixed(0)} ms)`,
      value: med(ours, (r) => r.warmMs),
      unit: 'ms',
      baseline: { name: 'JSON.parse of the same entries, second pass', value: med(base, (r) => r.warmMs) },
    });

    // /lineup.json for 20k channels from a real LineupService.
    const n = 20_000;
    const tuners = path.join(dir, 'tuners');
    const lines = ['#EXTM3U'];
    for (let i = 0; i < n; i++)
      lines.push(`#EXTINF:-1 tvg-id="C${i}",Channel ${i} HD`, `http://p.example/live/u/p/${i}.ts`);
    await mkdir(tuners, { recursive: true });
    await writeFile(path.join(dir, 'lineup.m3u'), lines.join('\n'));
    await writeFile(path.join(tuners, 'big.json'), JSON.stringify({ type: 'm3u', file: '../lineup.m3u' }));
    const svc = new LineupService({
      tunersDir: tuners,
      dataDir: path.join(dir, 'data'),
      logger: silentLogger,
      demo: false,
      demoConnections: 2,
      tunerCap: 255,
      firstNumber: 100,
      useProviderNumbers: false,
      qualityPreference: [],
      hlsVariant: 'lowest',
      defaultRefreshInterval: 3_600_000,
      watch: false,
    });
    await svc.start();
    await svc.scan();
    const baseUrl = 'http://192.168.1.10:5004';
    const times: number[] = [];
    const parses: number[] = [];
    let body = '';
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      body = JSON.stringify(lineupEntries(svc.channels(), baseUrl));
      times.push(performance.now() - t0);
      const t1 = performance.now();
      JSON.parse(body);
      parses.push(performance.now() - t1);
    }
    await svc.stop();
    const count = (JSON.parse(body) as unknown[]).length;
    if (count !== n) throw new Error(`lineup has ${count} channels, expected ${n}`);
    const ms = median(times);
    report({
      bench: `/lineup.json ${n / 1000}k channels`,
      metric: `build (median of 30, ${(body.length / 1e6).toFixed(1)} MB)`,
      value: ms,
      unit: 'ms',
      baseline: { name: 'JSON.parse of the same body', value: median(parses) },
      target: '< 50 ms',
      pass: ms < 50,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}) satisfies Bench;
