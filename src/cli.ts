#!/usr/bin/env node
// tunerbridge [flags]         start the service (no configuration needed: demo channels are served)
// tunerbridge check [flags]   validate settings and tuners/ files, print every problem with file and field
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './media/assets.js';
import { runCheck } from './commands/check.js';
import { settingsHelp, SettingsError } from './config/settings.js';
import { superviseService } from './supervisor.js';

const USAGE = `Usage: tunerbridge [check] [options]

  (no command)  start the service
  check         validate settings and tuners/*.json, print each problem with file and field; exit 1 if any

`;

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function check(argv: string[]): Promise<number> {
  const r = await runCheck({ argv, env: process.env, cwd: process.cwd() });
  (r.code === 0 ? process.stdout : process.stderr).write(r.text);
  return r.code;
}

async function start(argv: string[]): Promise<void> {
  const service = await superviseService({ argv, env: process.env, cwd: process.cwd() }, (err) => {
    process.stderr.write(`tunerbridge: restart failed, exiting: ${err.message}\n`);
    process.exit(1);
  });
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) process.exit(1); // second Ctrl-C: don't wait
    closing = true;
    service.current().logger.info({ signal }, 'shutting down');
    void service.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE + settingsHelp() + '\n');
    return;
  }
  if (args.includes('--version')) {
    process.stdout.write(version() + '\n');
    return;
  }
  if (args[0] === 'check') {
    process.exitCode = await check(args.slice(1));
    return;
  }
  await start(args[0] === 'start' ? args.slice(1) : args);
}

main().catch((err: unknown) => {
  if (err instanceof SettingsError) {
    process.stderr.write(`tunerbridge: invalid settings, not starting:\n${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`tunerbridge: ${(err as Error).message}\n`);
  process.exit(1);
});
