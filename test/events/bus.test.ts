import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { EventBus, type BusEvent } from '../../src/events/bus.js';
import { bridgeServices } from '../../src/events/bridge.js';
import { registerSecret } from '../../src/util/redact.js';

describe('EventBus', () => {
  it('delivers typed events to subscribers in order and keeps a bounded history', () => {
    const bus = new EventBus(3);
    const seen: BusEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    for (let i = 1; i <= 5; i++) bus.publish('session-start', { guideNumber: String(i) });
    expect(seen.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    expect(bus.recent(10).map((e) => (e.type === 'session-start' ? e.data.guideNumber : ''))).toEqual([
      '3',
      '4',
      '5',
    ]);
    expect(bus.recent(1)).toHaveLength(1);
    expect(bus.since(4).map((e) => e.id)).toEqual([5]);
  });

  it('filters by type, unsubscribes, and isolates a throwing subscriber', () => {
    const errors: unknown[] = [];
    const bus = new EventBus(10, (e) => errors.push(e));
    const got: string[] = [];
    bus.subscribe(() => {
      throw new Error('boom');
    });
    const off = bus.subscribe((e) => got.push(e.type), ['failover']);
    bus.publish('session-start', { guideNumber: '1' });
    bus.publish('failover', { guideNumber: '1', reason: 'stall' });
    off();
    bus.publish('failover', { guideNumber: '1', reason: 'stall' });
    expect(got).toEqual(['failover']);
    expect(errors).toHaveLength(3);
  });

  it('keeps noisy events (guide progress, probes) out of the history', () => {
    const bus = new EventBus();
    bus.publish('guide-progress', { progress: 10 });
    bus.publish('guide-refreshed', { channels: 3 });
    expect(bus.recent().map((e) => e.type)).toEqual(['guide-refreshed']);
  });
});

describe('bridgeServices', () => {
  it('maps service events to bus events and drops URLs and secrets', () => {
    registerSecret('hunter2secret');
    const bus = new EventBus();
    const sessions = new EventEmitter();
    const guide = new EventEmitter();
    const lineup = new EventEmitter();
    const undo = bridgeServices(bus, { sessions, guide, lineup });
    sessions.emit('session-start', {
      guideNumber: '101',
      channel: { name: 'News', url: 'http://x/live/u/p/1.ts' },
      sourceId: 'a',
    });
    sessions.emit('switch', {
      guideNumber: '101',
      from: 'a',
      to: 'b',
      reason: 'stall hunter2secret',
      gapMs: 120,
    });
    sessions.emit('client-join', { guideNumber: '101', client: { address: '10.0.0.5' } });
    guide.emit('progress', { progress: 40 });
    guide.emit('refreshed', { channels: 2, programmes: 50 });
    lineup.emit('change');
    const all = [...bus.recent()];
    expect(all.map((e) => e.type)).toEqual([
      'session-start',
      'failover',
      'client-join',
      'guide-refreshed',
      'lineup-changed',
    ]);
    expect(all[0]!.data).toEqual({ guideNumber: '101', channelName: 'News', sourceId: 'a' });
    expect(all[1]!.data).toEqual({ guideNumber: '101', from: 'a', to: 'b', reason: 'stall ***', gapMs: 120 });
    expect(JSON.stringify(all)).not.toContain('/live/');
    undo();
    sessions.emit('session-stop', { guideNumber: '101' });
    expect(bus.recent().map((e) => e.type)).not.toContain('session-stop');
    expect(sessions.listenerCount('switch')).toBe(0);
  });
});
