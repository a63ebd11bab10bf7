// `npm run bench [name…]`: runs the benchmarks in bench/*.bench.ts (compiled to dist/bench) one
// after another and prints one table. Each bench measures its own baseline in the same run.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Bench, BenchRow } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.js')).sort();
const rows: BenchRow[] = [];
let failed = 0;
for (const f of files) {
  const name = f.replace(/\.bench\.js$/, '');
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench ${name}…\n`);
  const mod = (await import(pathToFileURL(path.join(here, f)).href)) as { default: Bench };
  try {
    await mod.default((row) => {
      rows.push(row);
      const base = row.baseline
        ? `  (baseline ${row.baseline.name}: ${fmt(row.baseline.value)} ${row.unit})`
        : '';
      const verdict = row.pass === undefined ? '' : row.pass ? '  PASS' : '  MISS';
      process.stdout.write(
        `${row.bench} | ${row.metric}: ${fmt(row.value)} ${row.unit}${base}${row.target ? `  target ${row.target}` : ''}${verdict}\n`,
      );
    });
  } catch (err) {
    failed++;
    process.stdout.write(`${name} | FAILED: ${(err as Error).stack ?? String(err)}\n`);
  }
}
const misses = rows.filter((r) => r.pass === false).length;
process.stdout.write(`\n${rows.length} figures, ${misses} below target, ${failed} benches failed\n`);
process.exitCode = failed > 0 ? 1 : 0;

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
}
