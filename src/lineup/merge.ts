// Pure merge: every source's entries → lineup channels with ordered failover candidates.
// Channels are keyed by EPG id when the provider gives one, otherwise by normalised name, so the
// same channel from several providers becomes one GuideNumber with several candidates.
import type { StreamCandidate } from '../model.js';
import type { SourceEntry } from '../sources/types.js';
import { maskUrl, redact } from '../util/redact.js';
import { isAscii, normalizeEpgId, normalizeName, qualityOf } from './normalize.js';

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

/**
 * One channel being assembled, returned as the MergedChannel itself (same fields, same order: one
 * object per channel, not two). Display fields come from the first source (by priority) that has them.
 */
interface Slot {
  key: string;
  name: string;
  epgId: string | undefined;
  logo: string | undefined;
  group: string | undefined;
  hd: boolean;
  providerNumber: string | undefined;
  candidates: StreamCandidate[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function mergeSources(sources: readonly MergeSource[], opts: MergeOptions): MergedChannel[] {
  const keys = naturalKeys(sources);
  const add = adder(opts);
  // Higher-priority sources first, so display fields come from the preferred provider.
  const ordered = sources.map((s, i) => ({ s, keys: keys[i]! })).sort((a, b) => a.s.priority - b.s.priority);
  for (const { s, keys } of ordered) add(s, keys);
  return add.finish();
}

/**
 * A natural key (`epg:<id>` or `name:<normalised name>`) with the channel it leads to, so entries
 * with a key seen before skip the key → channel map lookup.
 */
interface KeyRecord {
  readonly key: string;
  slot: Slot | undefined;
  /** For a name: the key of the first entry (in source order) with an EPG id and this name. */
  join: KeyRecord | undefined;
}

/** Every entry's natural key, per source, as the one record of that key. */
function naturalKeys(sources: readonly MergeSource[]): KeyRecord[][] {
  const records = new Map<string, KeyRecord>();
  const record = (key: string): KeyRecord => {
    let r = records.get(key);
    if (r === undefined) records.set(key, (r = { key, slot: undefined, join: undefined }));
    return r;
  };
  // An id that normalises to nothing ("@SD") is no id at all: null.
  const epgs = new Map<string, KeyRecord | null>();
  const epgRecord = (id: string): KeyRecord | null => {
    let r = epgs.get(id);
    if (r === undefined) {
      const epg = normalizeEpgId(id);
      epgs.set(id, (r = epg ? record(`epg:${epg}`) : null));
    }
    return r;
  };
  const keys = sources.map((s) =>
    s.entries.map((e) => (e.epgId && epgRecord(e.epgId)) || record(`name:${normalizeName(e.name)}`)),
  );
  // A name key joins the channel of the first entry (in source order) that has an EPG id and the
  // same name; without name-only entries nothing joins. Only names that are keys need looking up,
  // so EPG-keyed names are normalised but not stored.
  if (sources.some((s) => s.entries.some((e) => !e.epgId))) {
    for (const s of sources) {
      for (const e of s.entries) {
        if (!e.epgId) continue;
        const n = records.get(`name:${normalizeName(e.name)}`);
        if (n !== undefined && n.join === undefined) n.join = epgRecord(e.epgId) ?? n;
      }
    }
  }
  return keys;
}

/** Adds sources' entries to channels, in the order given; `finish` orders the candidates. */
function adder(opts: MergeOptions): {
  (s: MergeSource, keys: readonly KeyRecord[]): void;
  finish(): MergedChannel[];
} {
  const scorer = qualityScorer(opts.qualityPreference);
  const label = labeller();
  const slots = new Map<string, Slot>();
  // HLS variant bandwidths, only for the (rare) candidates that have one.
  const bandwidth = new Map<StreamCandidate, number>();
  const add = (s: MergeSource, keys: readonly KeyRecord[]): void => {
    // Stream ids are unique within a source: the readers drop repeats (Xtream lists a stream once per
    // category; M3U lists repeat URLs).
    const prefix = `${s.id}:`;
    const entries = s.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      let r = keys[i]!;
      // A name that has a GuideNumber keeps it rather than joining an EPG-keyed channel.
      if (r.join !== undefined && !opts.isKnown?.(r.key)) r = r.join;
      const natural = r.key;
      const key = opts.route ? opts.route(prefix + e.streamId, natural) : natural;
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
      // Overrides send a few candidates elsewhere: those look their channel up by key.
      let slot = (key === natural ? r.slot : undefined) ?? slots.get(key);
      if (slot) slot.candidates.push(c);
      else {
        // A new channel takes its display fields from its first entry (the `??=` below keep them).
        // Fields that hold strings (or undefined) and an array of objects from the start keep
        // optimised code valid: no field type or elements kind changes later.
        slot = {
          key,
          name: '',
          epgId: e.epgId || undefined,
          logo: e.logo || undefined,
          group: e.group || undefined,
          hd: false,
          providerNumber: e.number || undefined,
          candidates: [c],
        };
        slots.set(key, slot);
      }
      if (key === natural) r.slot = slot;
      slot.epgId ??= e.epgId || undefined;
      slot.logo ??= e.logo || undefined;
      slot.group ??= e.group || undefined;
      slot.providerNumber ??= e.number || undefined;
      if (!slot.hd) slot.hd = (scorer === qualityOf ? c.quality : qualityOf(e.name)) >= 2;
    }
  };
  add.finish = (): MergedChannel[] => {
    // Stable sort: equal candidates keep their source and playlist order.
    const compare = (a: StreamCandidate, b: StreamCandidate): number =>
      a.priority - b.priority ||
      b.quality - a.quality ||
      (bandwidth.size > 0 ? (bandwidth.get(a) ?? 0) - (bandwidth.get(b) ?? 0) : 0);
    const out: MergedChannel[] = [];
    for (const slot of slots.values()) {
      if (slot.candidates.length > 1) slot.candidates.sort(compare);
      const first = slot.candidates[0]!;
      slot.name = first.name || first.streamId;
      out.push(slot);
    }
    return out;
  };
  return add;
}

/**
 * `maskUrl` for many URLs that share a prefix (one provider, one account): the directory part is
 * masked once per distinct directory, the last path segment on its own. Credentials sit in the
 * authority, the path directories or the query, so URLs with a query or fragment take the full path.
 */
function labeller(): (url: string) => string {
  const dirs = new Map<string, string>();
  // Consecutive URLs nearly always share the directory: skip the slice and the map lookup then.
  let lastDir = '';
  let lastMasked = '';
  return (url) => {
    let slash = url.length - 1;
    while (slash >= 0 && url.charCodeAt(slash) !== 47 /* / */) slash--;
    if (slash < 0 || url.includes('?') || url.includes('#') || url.indexOf('//') + 1 >= slash)
      return maskUrl(url);
    if (slash + 1 !== lastDir.length || !url.startsWith(lastDir)) {
      const dir = url.slice(0, slash + 1);
      let masked = dirs.get(dir);
      if (masked === undefined) dirs.set(dir, (masked = maskUrl(dir)));
      lastDir = dir;
      lastMasked = masked;
    }
    return lastMasked + redact(url.slice(slash + 1));
  };
}

/** Score a stream name by the quality preference list (higher is better). */
export function qualityScorer(preference: readonly string[]): (name: string) => number {
  if (preference.length === 0) return qualityOf;
  const tags = preference.map((t, i) => {
    const tag = t.toLowerCase();
    return {
      re: new RegExp(`(^|[^\\p{L}\\p{N}])${escape(tag)}($|[^\\p{L}\\p{N}])`, 'u'),
      tag,
      score: preference.length - i,
    };
  });
  return (name) => {
    const s = name.toLowerCase();
    // In ASCII text the tag as a whole word is an indexOf away (letters/digits are [a-z0-9]).
    const ascii = isAscii(s);
    for (const { re, tag, score } of tags) if (ascii && tag ? hasWord(s, tag) : re.test(s)) return score;
    return 0;
  };
}

/** `tag` occurs in ASCII `s` with no letter or digit right before or after it. */
function hasWord(s: string, tag: string): boolean {
  for (let i = s.indexOf(tag); i >= 0; i = s.indexOf(tag, i + 1)) {
    const end = i + tag.length;
    if ((i === 0 || !isAlnum(s.charCodeAt(i - 1))) && (end === s.length || !isAlnum(s.charCodeAt(end))))
      return true;
  }
  return false;
}

/** ASCII letter or digit. */
function isAlnum(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
