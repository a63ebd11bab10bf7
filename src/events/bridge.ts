// Maps the services' own EventEmitter events onto the bus. Only known scalar fields are copied, and
// strings go through `redact`, so a payload that happens to carry a candidate URL or a secret can never
// reach the UI or a webhook.
import { maskUrl } from '../util/redact.js';
import type { AnyListener, Emitter } from '../api/ports.js';
import type { EventBus } from './bus.js';

type Obj = Record<string, unknown>;

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return maskUrl(v);
  if (typeof v === 'number') return String(v);
  return undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function obj(v: unknown): Obj {
  return v && typeof v === 'object' ? (v as Obj) : {};
}

/** GuideNumber from `{guideNumber}`, `{channel: {guideNumber}}` or a bare string argument. */
function gn(p: unknown): string {
  if (typeof p === 'string') return p;
  const o = obj(p);
  return str(o.guideNumber) ?? str(obj(o.channel).guideNumber) ?? '?';
}

function sourceOf(v: unknown): string | undefined {
  if (typeof v === 'string') return maskUrl(v);
  const o = obj(v);
  return str(o.sourceId) ?? str(o.id);
}

function clientOf(v: unknown): string | undefined {
  if (typeof v === 'string') return maskUrl(v);
  const o = obj(v);
  return str(o.address) ?? str(o.id);
}

export interface BridgeSources {
  readonly sessions?: Emitter;
  readonly guide?: Emitter;
  readonly lineup?: Emitter;
}

/** Subscribes to the services' events; returns a function that removes every listener it added. */
export function bridgeServices(bus: EventBus, src: BridgeSources): () => void {
  const undo: (() => void)[] = [];
  const on = (em: Emitter | undefined, event: string, fn: (p: unknown, q?: unknown) => void): void => {
    if (!em) return;
    const l: AnyListener = fn;
    em.on(event, l);
    undo.push(() => em.off?.(event, l));
  };
  const s = src.sessions;
  on(s, 'session-start', (p) => {
    const o = obj(p);
    bus.publish('session-start', {
      guideNumber: gn(p),
      channelName: str(o.channelName) ?? str(obj(o.channel).name),
      sourceId: sourceOf(o.sourceId ?? o.source),
    });
  });
  on(s, 'session-stop', (p) => {
    const o = obj(p);
    bus.publish('session-stop', {
      guideNumber: gn(p),
      reason: str(o.reason),
      bytesIn: num(o.bytesIn),
      bytesOut: num(o.bytesOut),
    });
  });
  on(s, 'client-join', (p) =>
    bus.publish('client-join', { guideNumber: gn(p), client: clientOf(obj(p).client) }),
  );
  on(s, 'client-leave', (p) =>
    bus.publish('client-leave', { guideNumber: gn(p), client: clientOf(obj(p).client) }),
  );
  on(s, 'switch', (p) => {
    const o = obj(p);
    bus.publish('failover', {
      guideNumber: gn(p),
      from: sourceOf(o.from),
      to: sourceOf(o.to),
      fromSource: str(o.fromSource),
      toSource: str(o.toSource),
      reason: str(o.reason) ?? 'unknown',
      gapMs: num(o.gapMs),
    });
  });
  on(s, 'recovered', (p) =>
    bus.publish('recovered', { guideNumber: gn(p), sourceId: sourceOf(obj(p).sourceId ?? obj(p).to) }),
  );
  on(s, 'all-failed', (p) => bus.publish('all-failed', { guideNumber: gn(p), reason: str(obj(p).reason) }));
  on(s, 'probe', (p) => {
    const o = obj(p);
    bus.publish('probe', {
      sourceId: sourceOf(o.sourceId ?? o.source) ?? '?',
      ok: o.ok === true || o.result === 'ok',
      guideNumber: o.guideNumber === undefined ? undefined : gn(p),
      ms: num(o.ms),
    });
  });
  on(src.guide, 'progress', (p) => {
    const o = obj(p);
    bus.publish('guide-progress', {
      progress: typeof p === 'number' ? p : num(o.progress),
      programmes: num(o.programmes),
      bytes: num(o.bytes),
      channelsMatched: num(o.channelsMatched),
      channelsTotal: num(o.channelsTotal),
    });
  });
  on(src.guide, 'refreshed', (p) => {
    const o = obj(p);
    const counts = obj(o.progress);
    bus.publish('guide-refreshed', {
      channels: num(o.channels) ?? num(counts.channelsMatched),
      programmes: num(o.programmes) ?? num(counts.programmes),
    });
  });
  on(src.lineup, 'change', () => bus.publish('lineup-changed', {}));
  return () => {
    for (const u of undo.splice(0)) u();
  };
}
