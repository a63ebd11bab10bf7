// Builds the status document (GET /api/status, dashboard): only whitelisted fields are copied from
// sessions and sources, so candidate URLs and provider details never reach a response.
import type { SourceLimit } from '../model.js';
import type { BusEvent } from '../events/bus.js';
import { maskUrl } from '../util/redact.js';
import type { AdminPorts, ClientView, LineupPort, SessionView, SwitchRecord, TunersInUse } from './ports.js';

export interface SessionDto {
  guideNumber: string;
  channelName?: string;
  tuner?: number;
  sourceId?: string;
  startedAt?: string | number;
  bitrate?: number;
  bytesIn?: number;
  bytesOut?: number;
  clients: ClientView[];
  switches: SwitchRecord[];
}

export interface SourceUseDto {
  id: string;
  name: string;
  enabled: boolean;
  status: SourceLimit['status'];
  error?: string;
  inUse: number;
  limit: number;
  providerMaxConnections?: number;
  providerActiveConnections?: number;
  channelCount: number;
  lastRefresh?: string;
}

const pick = <T extends object, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> => {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
};

const CLIENT_KEYS = [
  'id',
  'address',
  'since',
  'joinedAt',
  'bytesOut',
  'lagMs',
  'drops',
  'userAgent',
] as const;
const SWITCH_KEYS = ['guideNumber', 'from', 'to', 'reason', 'gapMs', 'at', 'fromSource', 'toSource'] as const;

export function sessionDto(s: SessionView): SessionDto {
  return {
    ...pick(s, ['channelName', 'tuner', 'sourceId', 'startedAt', 'bitrate', 'bytesIn', 'bytesOut'] as const),
    guideNumber: s.guideNumber,
    channelName: s.channelName ?? s.channel,
    clients: (s.clients ?? []).map((c) => pick(c, CLIENT_KEYS)),
    switches: (s.switches ?? []).map((w) => pick(w, SWITCH_KEYS)),
  };
}

/** Tuners in use per source: from the session manager's map when it gives one, else counted from sessions. */
export function useBySource(inUse: TunersInUse, sessions: readonly SessionView[]): Map<string, number> {
  if (inUse instanceof Map) return new Map(inUse);
  if (inUse && typeof inUse === 'object') return new Map(Object.entries(inUse));
  const m = new Map<string, number>();
  for (const s of sessions) if (s.sourceId) m.set(s.sourceId, (m.get(s.sourceId) ?? 0) + 1);
  return m;
}

export function sourceUse(limits: readonly SourceLimit[], use: Map<string, number>): SourceUseDto[] {
  return limits.map((l) => ({
    ...pick(l, ['error', 'providerMaxConnections', 'providerActiveConnections', 'lastRefresh'] as const),
    id: l.sourceId,
    name: l.name,
    enabled: l.enabled,
    status: l.status,
    inUse: use.get(l.sourceId) ?? 0,
    limit: l.maxConnections,
    channelCount: l.channelCount,
  }));
}

/**
 * The streaming core names a switch's ends by candidate label (a masked URL); an admin thinks in sources.
 * Adds the source id of each end, found among the channel's candidates.
 */
export function withSwitchSources<T extends SwitchRecord>(lineup: Pick<LineupPort, 'allChannels'>, w: T): T {
  const c = lineup.allChannels().find((x) => x.guideNumber === w.guideNumber);
  if (!c) return w;
  const source = (label: string | undefined): string | undefined =>
    label === undefined
      ? undefined
      : c.candidates.find((k) => k.label === label || maskUrl(k.label) === label)?.sourceId;
  const fromSource = w.fromSource ?? source(w.from);
  const toSource = w.toSource ?? source(w.to);
  return { ...w, ...(fromSource && { fromSource }), ...(toSource && { toSource }) };
}

/** A bus event as the UI receives it: failovers carry their source ids. */
export function eventForUi(lineup: Pick<LineupPort, 'allChannels'>, e: BusEvent): BusEvent {
  return e.type === 'failover' ? { ...e, data: withSwitchSources(lineup, e.data) } : e;
}

function switchFromEvent(e: BusEvent): SwitchRecord | undefined {
  if (e.type !== 'failover') return undefined;
  return { ...e.data, at: e.time };
}

export function buildStatus(p: AdminPorts, now = Date.now()) {
  const sessions = p.sessions.sessions();
  const inUse = p.sessions.tunersInUse();
  const use = useBySource(inUse, sessions);
  const busy = typeof inUse === 'number' ? inUse : sessions.length;
  return {
    version: p.version,
    startedAt: new Date(p.startedAt).toISOString(),
    uptimeSec: Math.round((now - p.startedAt) / 1000),
    tuners: { total: p.lineup.tunerCount(), inUse: busy },
    sources: sourceUse(p.lineup.sourceLimits(), use),
    sessions: sessions.map(sessionDto),
    switches: p.bus
      .recent(200)
      .map(switchFromEvent)
      .filter((s): s is SwitchRecord => !!s)
      .slice(-50)
      .map((w) => withSwitchSources(p.lineup, w))
      .reverse(),
    fallback: p.sessions.fallbackState(),
    scan: p.lineup.scanStatus(),
  };
}
