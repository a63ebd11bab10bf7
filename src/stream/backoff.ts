// Per-source retry back-off: exponential delay after consecutive failures, forgotten after a
// quiet window. Pure bookkeeping over a caller-supplied clock so tests need no timers.

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Failures older than this no longer count. */
  readonly windowMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 60_000, windowMs: 30 * 60_000 };

interface Entry {
  failures: number;
  lastFailureAt: number;
  retryAt: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /** Record a failure; returns the time from which the key may be tried again. */
  fail(key: string, now: number): number {
    const prev = this.entries.get(key);
    const failures = prev && now - prev.lastFailureAt < this.policy.windowMs ? prev.failures + 1 : 1;
    const delay = Math.min(this.policy.maxMs, this.policy.baseMs * 2 ** (failures - 1));
    const entry = { failures, lastFailureAt: now, retryAt: now + delay };
    this.entries.set(key, entry);
    return entry.retryAt;
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  /** True when the key has no pending back-off. */
  ready(key: string, now: number): boolean {
    const e = this.entries.get(key);
    return !e || now >= e.retryAt;
  }

  retryAt(key: string): number {
    return this.entries.get(key)?.retryAt ?? 0;
  }

  failures(key: string): number {
    return this.entries.get(key)?.failures ?? 0;
  }
}
