// Pure merge: every source's entries → lineup channels with ordered failover candidates.
// Channels are keyed by EPG id when the provider gives one, otherwise by normalised name, so the
// same channel from several providers becomes one GuideNumber with several candidates.
import type { StreamCandidate } from '../model.js';
import type { SourceEntry } from '../sources/types.js';
import { maskUrl, redact } from '../util/redact.js';
import { normalizeEpgId, normalizeName, qualityOf } from './normalize.js';

export interface MergeSource {
  readonly id: string;
  readonly priority: number;
  readonly accountKey: string;
  readonly normalise?: boolean;
  /** Stream ids must be unique within one source (the readers guarantee it). */
  readonly entries: readonly SourceEntry[];
}

export interface MergeOptions {
  /** Quality tags, most preferred first (e.g. ["fhd", "hd", "sd"]); empty = higher resolution first. */
  readonly qualityPreference: readonly string[];
  /** Among HLS variants of equal quality: prefer the lowest or the highest bandwidth. */
  readonly hlsVariant: 'lowest' | 'highest';
  /** User overrides: where a candidate goes (splits) given its natural key (merges). */
  readonly route?: (candidateId: string, naturalKey: string) => string;
  /**
   * Keys that already have a GuideNumber. A name-keyed channel that exists keeps its own key instead of
   * joining an EPG-keyed channel with the same name, so its number does not move.
   */
  readonly isKnown?: (key: string) => boolean;
}

export interface MergedChannel {
  readonly key: string;
  readonly name: string;
  readonly epgId?: string;
  readonly logo?: string;
  readonly group?: string;
  readonly hd: boolean;
  /** The preferred candidate's provider number (tvg-chno / num), if any. */
  readonly providerNumber?: string;
  readonly candidates: readonly StreamCandidate[];
}

/** `<sourceId>:<streamId>`: how overrides and the admin API name a candidate. */
export function candidateId(c: Pick<StreamCandidate, 'sourceId' | 'streamId'>): string {
  return `${c.sourceId}:${c.streamId}`;
}

/** The merge key an entry has before overrides: `epg:<id>` or `name:<normalised name>`. */
export function naturalKey(e: Pick<SourceEntry, 'epgId' | 'name'>): string {
  const epg = e.epgId ? normalizeEpgId(e.epgId) : '';
  return epg ? `epg:${epg}` : `name:${normalizeName(e.name)}`;
}

/** One channel being assembled. Display fields come from the first source (by priority) that has them. */
interface Slot {
  key: string;
  candidates: StreamCandidate[];
  epgId?: string;
  logo?: string;
  group?: string;
  number?: string;
  hd: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function mergeSources(sources: readonly MergeSource[], opts: MergeOptions): MergedChannel[] {
  // Names repeat across sources (and Xtream categories): normalise each distinct name once.
  const names = new Map<string, string>();
  const nameKey = (name: string): string => {
    let k = names.get(name);
    if (k === undefined) names.set(name, (k = `name:${normalizeName(name)}`));
    return k;
  };
  const epgs = new Map<string, string>();
  const keyOf = (e: SourceEntry): string => {
    if (!e.epgId) return nameKey(e.name);
    let k = epgs.get(e.epgId);
    if (k === undefined) {
      const epg = normalizeEpgId(e.epgId);
      // An id that normalises to nothing ("@SD") is no id at all.
      epgs.set(e.epgId, (k = epg ? `epg:${epg}` : ''));
    }
    return k || nameKey(e.name);
  };
  // Which EPG key a name stands for, so name-only entries join the EPG-keyed channel.
  const nameToEpg = new Map<string, string>();
  const someNameOnly = sources.some((s) => s.entries.some((e) => !e.epgId));
  for (const s of someNameOnly ? sources : []) {
    for (const e of s.entries) {
      if (!e.epgId) continue;
      const n = nameKey(e.name);
      if (!nameToEpg.has(n)) nameToEpg.set(n, keyOf(e));
    }
  }
  const scorer = qualityScorer(opts.qualityPreference);
  const label = labeller();
  const slots = new Map<string, Slot>();
  // HLS variant bandwidths, only for the (rare) candidates that have one.
  const bandwidth = new Map<StreamCandidate, number>();
  // Higher-priority sources first, so display fields come from the preferred provider.
  const ordered = [...sources].sort((a, b) => a.priority - b.priority);
  for (const s of ordered) {
    // Stream ids are unique within a source: the readers drop repeats (Xtream lists a stream once per
    // category; M3U lists repeat URLs).
    const prefix = `${s.id}:`;
    for (const e of s.entries) {
      let natural = keyOf(e);
      if (natural.startsWith('name:') && !opts.isKnown?.(natural))
        natural = nameToEpg.get(natural) ?? natural;
      const key = opts.route ? opts.route(prefix + e.streamId, natural) : natural;
      let slot = slots.get(key);
      if (!slot) slots.set(key, (slot = { key, candidates: [], hd: false }));
      const c: Mutable<StreamCandidate> = {
        sourceId: s.id,
        accountKey: s.accountKey,
        url: e.url,
        label: label(e.url),
        headers: e.headers,
        priority: s.priority,
        name: e.name,
        streamId: e.streamId,
        quality: scorer(e.name),
        kind: e.kind,
      };
      if (s.normalise) c.normalise = true;
      if (e.bandwidth) bandwidth.set(c, opts.hlsVariant === 'lowest' ? e.bandwidth : -e.bandwidth);
      slot.candidates.push(c);
      slot.epgId ??= e.epgId || undefined;
      slot.logo ??= e.logo || undefined;
      slot.group ??= e.group || undefined;
      slot.number ??= e.number || undefined;
      if (!slot.hd) slot.hd = (scorer === qualityOf ? c.quality : qualityOf(e.name)) >= 2;
    }
  }
  // Stable sort: equal candidates keep their source and playlist order.
  const compare = (a: StreamCandidate, b: StreamCandidate): number =>
    a.priority - b.priority ||
    b.quality - a.quality ||
    (bandwidth.size > 0 ? (bandwidth.get(a) ?? 0) - (bandwidth.get(b) ?? 0) : 0);
  const out: MergedChannel[] = [];
  for (const slot of slots.values()) {
    if (slot.candidates.length > 1) slot.candidates.sort(compare);
    const first = slot.candidates[0]!;
    out.push({
      key: slot.key,
      name: first.name || first.streamId,
      epgId: slot.epgId,
      logo: slot.logo,
      group: slot.group,
      hd: slot.hd,
      providerNumber: slot.number,
      candidates: slot.candidates,
    });
  }
  return out;
}

/**
 * `maskUrl` for many URLs that share a prefix (one provider, one account): the directory part is
 * masked once per distinct directory, the last path segment on its own. Credentials sit in the
 * authority, the path directories or the query, so URLs with a query or fragment take the full path.
 */
function labeller(): (url: string) => string {
  const dirs = new Map<string, string>();
  return (url) => {
    const slash = url.lastIndexOf('/');
    if (slash < 0 || url.includes('?') || url.includes('#') || url.indexOf('//') + 1 >= slash)
      return maskUrl(url);
    const dir = url.slice(0, slash + 1);
    let masked = dirs.get(dir);
    if (masked === undefined) dirs.set(dir, (masked = maskUrl(dir)));
    return masked + redact(url.slice(slash + 1));
  };
}

/** Score a stream name by the quality preference list (higher is better). */
export function qualityScorer(preference: readonly string[]): (name: string) => number {
  if (preference.length === 0) return qualityOf;
  const tags = preference.map(
    (t, i) =>
      [
        new RegExp(`(^|[^\\p{L}\\p{N}])${escape(t.toLowerCase())}($|[^\\p{L}\\p{N}])`, 'u'),
        preference.length - i,
      ] as const,
  );
  return (name) => {
    const s = name.toLowerCase();
    for (const [re, score] of tags) if (re.test(s)) return score;
    return 0;
  };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
