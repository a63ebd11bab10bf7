// Adds lock entries for platform-specific optional packages (@esbuild/darwin-arm64, @rollup/rollup-win32-…)
// that npm left out. Our build machines reach an npm registry mirror that only carries the linux-x64 builds,
// so `npm install` there writes a package-lock.json without the other platforms' entries, and `npm ci` —
// on any machine — then refuses the lock as out of sync. Run after changing dependencies:
//   node scripts/complete-lockfile.mjs
// Each added entry carries os/cpu/libc so npm skips it on other platforms, as it would a normal lock entry.
import { readFileSync, writeFileSync } from 'node:fs';

const OS = [
  'aix',
  'android',
  'darwin',
  'freebsd',
  'linux',
  'netbsd',
  'openbsd',
  'openharmony',
  'sunos',
  'win32',
];
const CPU = ['arm64', 'arm', 'x64', 'ia32', 'ppc64', 'riscv64', 's390x', 'loong64', 'mips64el'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const i = parts.findIndex((p) => OS.includes(p));
  if (i < 0) return undefined;
  const cpu = parts[i + 1];
  if (!CPU.includes(cpu)) return undefined;
  const rest = parts.slice(i + 2).join('-');
  const libc = /musl/.test(rest) ? 'musl' : parts[i] === 'linux' && /gnu/.test(rest) ? 'glibc' : undefined;
  return { os: [parts[i]], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
}

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
let added = 0;
for (const [, pkg] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (lock.packages[key]) continue;
    const platform = platformOf(dep);
    if (!platform) continue;
    lock.packages[key] = { version, dev: pkg.dev, optional: true, ...platform };
    if (!pkg.dev) delete lock.packages[key].dev;
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`complete-lockfile: added ${added} platform entries`);
