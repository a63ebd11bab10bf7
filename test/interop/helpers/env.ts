// Shared helpers for interop tests: locate the repo and ../shared/data, require real programs,
// run them with a time limit, wait for ports. Every missing prerequisite is a clear failure,
// never a silent skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the directory holding package.json). */
export function repoRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
}

/** ../shared/data next to the repository; throws when it is missing. */
export function sharedDataDir(): string {
  const dir = path.resolve(repoRoot(), '../shared/data');
  if (!existsSync(dir)) {
    throw new Error(`interop data directory not found: ${dir} (the interop suite needs ../shared/data)`);
  }
  return dir;
}

/**
 * Absolute path of an executable found on PATH (or given as a path); throws when absent, naming
 * `install` (e.g. the Debian package to install) when given.
 */
export function requireProgram(name: string, install?: string): string {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // keep looking
    }
  }
  const hint = install ? `; ${install}` : '';
  throw new Error(
    `required program "${name}" is not installed or not on PATH (the interop suite needs it${hint})`,
  );
}

/** Our end (tb0) of the private namespace's veth pair made by ../shared/tools/netns-run. */
export const LAN = '198.18.0.1';
/** The other end (tb1), where a test's "other host on the LAN" binds. */
export const PEER = '198.18.0.2';

/**
 * Throws unless we run inside ../shared/tools/netns-run (veth tb0 198.18.0.1): discovery tests send
 * broadcasts and multicast, which must never leave that private namespace.
 */
export function requireNetns(): void {
  const tb0 = os.networkInterfaces().tb0?.some((i) => i.address === LAN);
  if (!tb0) {
    throw new Error(
      'this interop test must run inside the private network namespace: ' +
        '../shared/tools/netns-run npx vitest run --config vitest.interop.config.ts <file>',
    );
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Run a program to completion; it is killed (SIGKILL) after `timeoutMs`. */
export function runProgram(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface RunningProcess {
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Start a long-running program (a server); stdout and stderr are collected together. */
export function startProcess(
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): RunningProcess {
  const child = spawn(cmd, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => out,
    async stop(graceMs = 2000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Resolve once a TCP connection to host:port succeeds; reject after `timeoutMs`. */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The repository's package.json (for version strings in tests). */
export function packageJson(): { name: string; version: string } {
  return JSON.parse(readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
}
