import { describe, expect, it } from 'vitest';
import { ConnectionLimiter } from '../../src/stream/limiter.js';
import { Backoff } from '../../src/stream/backoff.js';
import type { SourceLimit } from '../../src/model.js';

function limit(accountKey: string, maxConnections: number, enabled = true): SourceLimit {
  return {
    sourceId: accountKey,
    name: accountKey,
    accountKey,
    maxConnections,
    enabled,
    status: 'ok',
    channelCount: 1,
  };
}

describe('ConnectionLimiter', () => {
  it('never hands out more slots than the account limit and frees them on release', () => {
    const lim = new ConnectionLimiter(() => [limit('acct', 2)]);
    const a = lim.tryAcquire('acct', 'live');
    const b = lim.tryAcquire('acct', 'probe');
    expect(a && b).toBeTruthy();
    expect(lim.tryAcquire('acct', 'live')).toBeUndefined();
    a!.release();
    a!.release(); // idempotent: must not free a second slot
    expect(lim.inUse('acct')).toBe(1);
    const c = lim.tryAcquire('acct', 'live');
    expect(c).toBeDefined();
    expect(lim.tryAcquire('acct', 'live')).toBeUndefined();
    expect(lim.usage().find((u) => u.accountKey === 'acct')).toMatchObject({ limit: 2, inUse: 2 });
  });

  it('shares one limit between sources of the same account, uses the smallest, refuses unknown/disabled', () => {
    const limits = [limit('acct', 3), { ...limit('acct', 1), sourceId: 'other' }, limit('off', 5, false)];
    const lim = new ConnectionLimiter(() => limits);
    expect(lim.limitOf('acct')).toBe(1);
    expect(lim.tryAcquire('acct', 'live')).toBeDefined();
    expect(lim.tryAcquire('acct', 'live')).toBeUndefined();
    expect(lim.tryAcquire('off', 'live')).toBeUndefined();
    expect(lim.tryAcquire('nobody', 'live')).toBeUndefined();
  });

  it('applies a lowered limit to new acquisitions without revoking held slots', () => {
    let max = 3;
    const lim = new ConnectionLimiter(() => [limit('acct', max)]);
    const held = [lim.tryAcquire('acct', 'l'), lim.tryAcquire('acct', 'l')];
    max = 1;
    expect(lim.tryAcquire('acct', 'l')).toBeUndefined();
    held[0]!.release();
    expect(lim.tryAcquire('acct', 'l')).toBeUndefined();
    held[1]!.release();
    expect(lim.tryAcquire('acct', 'l')).toBeDefined();
  });
});

describe('Backoff', () => {
  it('doubles the delay per consecutive failure up to the cap and resets on success', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 350, windowMs: 10_000 });
    expect(b.ready('s', 0)).toBe(true);
    expect(b.fail('s', 0)).toBe(100);
    expect(b.ready('s', 99)).toBe(false);
    expect(b.ready('s', 100)).toBe(true);
    expect(b.fail('s', 100)).toBe(300);
    expect(b.fail('s', 300)).toBe(650); // 400 capped to 350
    b.succeed('s');
    expect(b.ready('s', 300)).toBe(true);
    expect(b.fail('s', 1000)).toBe(1100);
  });

  it('forgets failures older than the window', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 10_000, windowMs: 1000 });
    b.fail('s', 0);
    b.fail('s', 10);
    expect(b.failures('s')).toBe(2);
    expect(b.fail('s', 5000)).toBe(5100);
    expect(b.failures('s')).toBe(1);
  });
});
