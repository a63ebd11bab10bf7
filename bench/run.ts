// `npm run bench [name…]`: runs the benchmarks in bench/*.bench.ts (compiled to dist/bench) one
// after another and prints one table. Each bench measures its own baseline in the same run, and
// runs in a process of its own: peak RSS, heap and compiled code are its own, not whatever the
// benches before it left (the fan-out's RSS read 40 MB high after the lineup bench).
import { fork } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Bench, BenchRow } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);

/** In a child: run one bench, send each row to the parent. */
async function child(name: string): Promise<void> {
  const mod = (await import(pathToFileURL(path.join(here, `${name}.bench.js`)).href)) as {
    default: Bench;
  };
  await mod.default((row) => process.send?.({ row }));
}

/** In the parent: one child per bench; resolves false when the bench failed. */
function runChild(name: string, onRow: (row: BenchRow) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const c = fork(self, [], {
      env: { ...process.env, TB_BENCH_CHILD: name },
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    c.on('message', (m: { row?: BenchRow; error?: string }) => {
      if (m.row) onRow(m.row);
      if (m.error) process.stdout.write(`${name} | FAILED: ${m.error}\n`);
    });
    c.once('exit', (code) => resolve(code === 0));
  });
}

function print(row: BenchRow): void {
  const base = row.baseline
    ? `  (baseline ${row.baseline.name}: ${fmt(row.baseline.value)} ${row.unit})`
    : '';
  const verdict = row.pass === undefined ? '' : row.pass ? '  PASS' : '  MISS';
  process.stdout.write(
    `${row.bench} | ${row.metric}: ${fmt(row.value)} ${row.unit}${base}${row.target ? `  target ${row.target}` : ''}${verdict}\n`,
  );
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

const childName = process.env.TB_BENCH_CHILD;
if (childName) {
  // Exit once the last message is out (messages go in order); a bench may leave handles open.
  await child(childName).then(
    () => process.send?.({ done: true }, () => process.exit(0)),
    (err: Error) => process.send?.({ error: err.stack ?? String(err) }, () => process.exit(1)),
  );
} else {
  const only = process.argv.slice(2);
  const names = (await readdir(here))
    .filter((f) => f.endsWith('.bench.js'))
    .sort()
    .map((f) => f.replace(/\.bench\.js$/, ''))
    .filter((n) => only.length === 0 || only.includes(n));
  const rows: BenchRow[] = [];
  let failed = 0;
  for (const name of names) {
    process.stderr.write(`bench ${name}…\n`);
    const ok = await runChild(name, (row) => {
      rows.push(row);
      print(row);
    });
    if (!ok) failed++;
  }
  const misses = rows.filter((r) => r.pass === false).length;
  process.stdout.write(`\n${rows.length} figures, ${misses} below target, ${failed} benches failed\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}
