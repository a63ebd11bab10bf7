// Structured logs: one JSON line per event, with `channel` and `source` fields where they apply.
// Every line passes through `redact`, so a registered credential can never be written out.
// The last entries are also kept in memory for the API's log view.
import { Writable } from 'node:stream';
import pino, { type Logger, type LevelWithSilent } from 'pino';
import { redact } from './util/redact.js';

export type { Logger } from 'pino';

export interface LogEntry {
  readonly time: number;
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** Keeps the last `capacity` log entries (parsed) for /api/logs and live UI updates. */
export class LogRing {
  private readonly entries: LogEntry[] = [];
  private readonly listeners = new Set<(e: LogEntry) => void>();
  constructor(private readonly capacity = 500) {}

  push(line: string): void {
    let e: LogEntry;
    try {
      const raw = JSON.parse(line) as Record<string, unknown>;
      e = {
        ...raw,
        level: LEVELS[raw.level as number] ?? String(raw.level),
        time: raw.time as number,
        msg: String(raw.msg ?? ''),
      };
    } catch {
      return;
    }
    this.entries.push(e);
    if (this.entries.length > this.capacity) this.entries.shift();
    for (const l of this.listeners) l(e);
  }

  list(): readonly LogEntry[] {
    return this.entries;
  }

  subscribe(fn: (e: LogEntry) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

export const logRing = new LogRing();

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where lines go besides the ring (default stdout). `null` keeps them in the ring only. */
  destination?: NodeJS.WritableStream | null;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const out = opts.destination === undefined ? process.stdout : opts.destination;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const text = redact(chunk.toString('utf8'));
      for (const line of text.split('\n')) if (line) logRing.push(line);
      if (out) out.write(text);
      cb();
    },
  });
  return pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    sink,
  );
}

/** A logger for tests and tools that must stay quiet. */
export const silentLogger: Logger = pino({ level: 'silent' });
