// What a media server says it is watching, parsed from its status API (pure functions, no I/O), and the
// rule that turns repeated absence into a release.
import { normalizeName } from '../lineup/normalize.js';
import type { SessionView } from '../api/ports.js';

/** Channels a media server is using right now, by GuideNumber and/or by normalised name. */
export interface Watched {
  readonly numbers: ReadonlySet<string>;
  readonly names: ReadonlySet<string>;
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * TVHeadend `GET /api/status/subscriptions`: `{ entries: [{ channel?, service?, title?, state? }] }`.
 * TVHeadend knows our channels by name (from the M3U or the HDHomeRun lineup); the service name's last
 * path segment is used too because `channel` is absent for unmapped services.
 */
export function parseTvheadendSubscriptions(body: unknown): Watched {
  const entries = obj(body).entries;
  if (!Array.isArray(entries)) throw new Error('TVHeadend reply has no "entries" list');
  const names = new Set<string>();
  for (const e of entries) {
    const o = obj(e);
    if (typeof o.channel === 'string' && o.channel.trim()) names.add(normalizeName(o.channel));
    if (typeof o.service === 'string') {
      const last = o.service.split('/').pop()?.trim();
      if (last) names.add(normalizeName(last));
    }
  }
  return { numbers: new Set(), names };
}

/**
 * Channels DVR `GET /dvr`: `{ activity: { "<id>": "Watching ch7 KTVU from Living Room", … } }`. Channels
 * uses our GuideNumbers as its channel numbers, so "ch<number>" identifies the channel.
 */
export function parseChannelsDvrActivity(body: unknown): Watched {
  const activity = obj(body).activity;
  if (activity === undefined || activity === null) return { numbers: new Set(), names: new Set() };
  if (typeof activity !== 'object') throw new Error('Channels DVR reply has an invalid "activity" field');
  const numbers = new Set<string>();
  for (const text of Object.values(activity as Record<string, unknown>)) {
    if (typeof text !== 'string') continue;
    for (const m of text.matchAll(/\bch(?:annel)?\s?(\d{1,5}(?:\.\d{1,3})?)\b/gi)) numbers.add(m[1]!);
  }
  return { numbers, names: new Set() };
}

export function isWatched(s: SessionView, w: Watched): boolean {
  return w.numbers.has(s.guideNumber) || (!!s.channelName && w.names.has(normalizeName(s.channelName)));
}

const key = (s: SessionView): string => `${s.guideNumber}@${String(s.startedAt ?? '')}`;

/**
 * Counts consecutive polls in which a session fed to one media server is absent from that server's
 * activity; at `misses` it is released. Only sessions `belongs` attributes to the server are judged, so
 * a Plex viewer is never released because TVHeadend is not watching.
 */
export class IdleReleaser {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly misses = 2,
    private readonly belongs: (s: SessionView) => boolean = () => true,
  ) {}

  /** One successful poll: returns the GuideNumbers to release. */
  observe(sessions: readonly SessionView[], watched: Watched): string[] {
    const release: string[] = [];
    const live = new Set<string>();
    for (const s of sessions) {
      if (!this.belongs(s)) continue;
      const k = key(s);
      live.add(k);
      if (isWatched(s, watched)) {
        this.counts.delete(k);
        continue;
      }
      const n = (this.counts.get(k) ?? 0) + 1;
      if (n >= this.misses) {
        this.counts.delete(k);
        release.push(s.guideNumber);
      } else this.counts.set(k, n);
    }
    for (const k of this.counts.keys()) if (!live.has(k)) this.counts.delete(k);
    return release;
  }
}
