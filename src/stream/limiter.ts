// Per-account connection limiter: a counting semaphore keyed by provider account.
// A slot is taken before connecting and given back only when the upstream connection has
// really closed (the caller releases after the socket's 'close'), so a closing socket still
// counts. Callers never wait for a slot: failover skips a full account instead.
import type { SourceLimit } from '../model.js';

export interface Lease {
  readonly accountKey: string;
  /** Why the slot is held ('live', 'probe'), for diagnostics. */
  readonly purpose: string;
  /** Give the slot back. Idempotent. */
  release(): void;
}

export interface AccountUsage {
  readonly accountKey: string;
  readonly limit: number;
  readonly inUse: number;
  readonly purposes: readonly string[];
}

export class ConnectionLimiter {
  private readonly held = new Map<string, Set<LeaseImpl>>();

  /** `limits()` is read on every acquire, so limit changes (a refresh) apply at once. */
  constructor(private readonly limits: () => readonly SourceLimit[]) {}

  /** Effective limit of an account: the smallest enabled limit naming it; 0 when unknown or disabled. */
  limitOf(accountKey: string): number {
    let limit: number | undefined;
    for (const l of this.limits()) {
      if (l.accountKey !== accountKey) continue;
      const v = l.enabled ? Math.max(0, Math.floor(l.maxConnections)) : 0;
      limit = limit === undefined ? v : Math.min(limit, v);
    }
    return limit ?? 0;
  }

  inUse(accountKey: string): number {
    return this.held.get(accountKey)?.size ?? 0;
  }

  free(accountKey: string): number {
    return Math.max(0, this.limitOf(accountKey) - this.inUse(accountKey));
  }

  /** Take a slot if one is free; never waits. */
  tryAcquire(accountKey: string, purpose: string): Lease | undefined {
    if (this.free(accountKey) <= 0) return undefined;
    let set = this.held.get(accountKey);
    if (!set) this.held.set(accountKey, (set = new Set()));
    const lease = new LeaseImpl(accountKey, purpose, (l) => {
      set.delete(l);
      if (set.size === 0 && this.held.get(accountKey) === set) this.held.delete(accountKey);
    });
    set.add(lease);
    return lease;
  }

  usage(): AccountUsage[] {
    const keys = new Set([...this.limits().map((l) => l.accountKey), ...this.held.keys()]);
    return [...keys].map((accountKey) => ({
      accountKey,
      limit: this.limitOf(accountKey),
      inUse: this.inUse(accountKey),
      purposes: [...(this.held.get(accountKey) ?? [])].map((l) => l.purpose),
    }));
  }
}

class LeaseImpl implements Lease {
  private released = false;
  constructor(
    readonly accountKey: string,
    readonly purpose: string,
    private readonly onRelease: (l: LeaseImpl) => void,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease(this);
  }
}
