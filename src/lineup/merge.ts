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
  const keys = new KeyIndex().keysOf(sources);
  const channels = new Assembler(opts);
  // Higher-priority sources first (stable: equal priorities keep their order), so display fields
  // come from the preferred provider.
  const order = sources.map((_, i) => i).sort((a, b) => sources[a]!.priority - sources[b]!.priority);
  for (const i of order) channels.add(sources[i]!, keys[i]!);
  return channels.finish();
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

/**
 * Every entry's natural key, as the one record of that key. EPG ids and names have a map each,
 * keyed by the normalised form alone: no `epg:` / `name:` string is built to look a key up.
 */
class KeyIndex {
  /** Raw EPG id → record; null for an id that normalises to nothing ("@SD"): no id at all. */
  private readonly rawEpg = new Map<string, KeyRecord | null>();
  private readonly epgs = new Map<string, KeyRecord>();
  private readonly names = new Map<string, KeyRecord>();

  keysOf(sources: readonly MergeSource[]): KeyRecord[][] {
    let nameOnly = false;
    const keys = sources.map((s) => {
      const out: KeyRecord[] = [];
      for (const e of s.entries) {
        if (!e.epgId) nameOnly = true;
        out.push((e.epgId && this.epg(e.epgId)) || this.name(e.name));
      }
      return out;
    });
    // A name key joins the channel of the first entry (in source order) that has an EPG id and the
    // same name; without name-only entries nothing joins.
    if (nameOnly) {
      for (const s of sources) {
        for (const e of s.entries) {
          if (!e.epgId) continue;
          const n = this.names.get(normalizeName(e.name));
          if (n !== undefined && n.join === undefined) n.join = this.epg(e.epgId) ?? n;
        }
      }
    }
    return keys;
  }

  private epg(id: string): KeyRecord | null {
    let r = this.rawEpg.get(id);
    if (r === undefined) {
      const epg = normalizeEpgId(id);
      if (!epg) r = null;
      else if ((r = this.epgs.get(epg)) === undefined) this.epgs.set(epg, (r = record(`epg:${epg}`)));
      this.rawEpg.set(id, r);
    }
    return r;
  }

  private name(name: string): KeyRecord {
    const n = normalizeName(name);
    let r = this.names.get(n);
    if (r === undefined) this.names.set(n, (r = record(`name:${n}`)));
    return r;
  }
}

function record(key: string): KeyRecord {
  return { key, slot: undefined, join: undefined };
}

/** Adds sources' entries to channels, in the order given; `finish` orders the candidates. */
class Assembler {
  /** Channels in the order they were created. */
  private readonly channels: Slot[] = [];
  /**
   * Channels by key, for candidates that overrides send elsewhere. Without overrides every key is
   * reached through its one KeyRecord, which holds its channel: no map of 40k keys to build.
   */
  private readonly slots = new Map<string, Slot>();
  /** HLS variant bandwidths, only for the (rare) candidates that have one. */
  private readonly bandwidth = new Map<StreamCandidate, number>();
  private readonly label = labeller();
  private readonly scorer: (name: string) => number;
  private readonly route: MergeOptions['route'];
  private readonly isKnown: MergeOptions['isKnown'];
  private readonly lowest: boolean;

  constructor(opts: MergeOptions) {
    this.scorer = qualityScorer(opts.qualityPreference);
    this.route = opts.route;
    this.isKnown = opts.isKnown;
    this.lowest = opts.hlsVariant === 'lowest';
  }

  add(s: MergeSource, keys: readonly KeyRecord[]): void {
    // Stream ids are unique within a source: the readers drop repeats (Xtream lists a stream once per
    // category; M3U lists repeat URLs).
    // One path for every entry, new channel or not, and nothing before the loop: code first run by
    // a later source (or run once before V8 collected type feedback) would throw away the optimised
    // code of this loop and compile it again.
    for (let i = 0; i < s.entries.length; i++) {
      const e = s.entries[i]!;
      let r = keys[i]!;
      // A name that has a GuideNumber keeps it rather than joining an EPG-keyed channel.
      if (r.join !== undefined && !this.isKnown?.(r.key)) r = r.join;
      const natural = r.key;
      const key = this.route ? this.route(`${s.id}:${e.streamId}`, natural) : natural;
      // Overrides send a few candidates elsewhere: those look their channel up by key.
      const slot = key === natural ? (r.slot ??= this.slot(key)) : this.slot(key);
      const c = this.candidate(s, e);
      slot.candidates.push(c);
      // A channel takes its display fields from the first entry that has them.
      slot.epgId ??= e.epgId || undefined;
      slot.logo ??= e.logo || undefined;
      slot.group ??= e.group || undefined;
      slot.providerNumber ??= e.number || undefined;
      if (!slot.hd) slot.hd = (this.scorer === qualityOf ? c.quality : qualityOf(e.name)) >= 2;
    }
  }

  /** The channel of `key`, created empty when there is none yet. */
  private slot(key: string): Slot {
    let slot = this.route ? this.slots.get(key) : undefined;
    if (slot === undefined) {
      // Fields that hold strings (or undefined) and an array of objects from the start keep
      // optimised code valid: no field type or elements kind changes later.
      slot = {
        key,
        name: '',
        epgId: undefined,
        logo: undefined,
        group: undefined,
        hd: false,
        providerNumber: undefined,
        candidates: [],
      };
      this.channels.push(slot);
      if (this.route) this.slots.set(key, slot);
    }
    return slot;
  }

  private candidate(s: MergeSource, e: SourceEntry): StreamCandidate {
    const c: Mutable<StreamCandidate> = {
      sourceId: s.id,
      accountKey: s.accountKey,
      url: e.url,
      label: this.label(e.url),
      headers: e.headers,
      priority: s.priority,
      name: e.name,
      streamId: e.streamId,
      quality: this.scorer(e.name),
      kind: e.kind,
    };
    if (s.normalise) c.normalise = true;
    if (e.bandwidth) this.bandwidth.set(c, this.lowest ? e.bandwidth : -e.bandwidth);
    return c;
  }

  finish(): MergedChannel[] {
    const bandwidth = this.bandwidth;
    // Priority, then quality, then bandwidth as configured.
    const compare = (a: StreamCandidate, b: StreamCandidate): number =>
      a.priority - b.priority ||
      b.quality - a.quality ||
      (bandwidth.size > 0 ? (bandwidth.get(a) ?? 0) - (bandwidth.get(b) ?? 0) : 0);
    const out: MergedChannel[] = [];
    for (const slot of this.channels) {
      // An exact-size copy: arrays grown by `push` keep room for 16 more (40k channels, ~5 MB).
      const list = slot.candidates.slice();
      if (list.length > 1) stableSort(list, compare);
      slot.candidates = list;
      const first = list[0]!;
      slot.name = first.name || first.streamId;
      out.push(slot);
    }
    return out;
  }
}

/**
 * Stable in-place sort. Channels have a few candidates each: insertion sort, without the set-up
 * `Array.prototype.sort` costs per call (40k calls per merge), gives the same order.
 */
function stableSort<T>(list: T[], compare: (a: T, b: T) => number): void {
  if (list.length > 16) {
    list.sort(compare);
    return;
  }
  for (let i = 1; i < list.length; i++) {
    const x = list[i]!;
    let j = i - 1;
    while (j >= 0 && compare(list[j]!, x) > 0) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = x;
  }
}

/**
 * `maskUrl` for many URLs that share a prefix (one provider, one account): the directory part is
 * masked once per distinct directory, the last path segment on its own. Credentials sit in the
 * authority, the path directories, the query or `&key=value` / `user:pass@` text, so a URL whose
 * last segment is not plain (see `plainSegment`) takes the full path.
 */
function labeller(): (url: string) => string {
  const dirs = new Map<string, string>();
  // Consecutive URLs nearly always share the directory: then only the last segment is looked at.
  let lastDir = '';
  let lastMasked = '';
  return (url) => {
    // Same directory as the last URL (which had no query or fragment) and a plain last segment:
    // the checks below would all pass the same way. (A slice compared with `===` costs a third of
    // `startsWith` with a sliced-string pattern.)
    const n = lastDir.length;
    if (n > 0 && url.length > n && plainSegment(url, n) && url.slice(0, n) === lastDir)
      return lastMasked + redact(url.slice(n));
    const slash = url.lastIndexOf('/');
    if (
      slash < 0 ||
      url.includes('?') ||
      url.includes('#') ||
      url.indexOf('//') + 1 >= slash ||
      !plainSegment(url, slash + 1)
    )
      return maskUrl(url);
    const dir = url.slice(0, slash + 1);
    let masked = dirs.get(dir);
    if (masked === undefined) dirs.set(dir, (masked = maskUrl(dir)));
    lastDir = dir;
    lastMasked = masked;
    return lastMasked + redact(url.slice(slash + 1));
  };
}

/**
 * `url` from `at` on has none of the characters `maskUrl`'s patterns start or end on there:
 * `/`, `?`, `#`, `&` (a `&password=` pair without a query) and `@` (a `user:pass@`).
 */
function plainSegment(url: string, at: number): boolean {
  for (let i = at; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 || c === 63 || c === 35 || c === 38 || c === 64) return false;
  }
  return true;
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
  // Usual tags ("FHD", "HD", "4K") are ASCII letters and digits: in an ASCII name they are whole
  // alphanumeric runs, compared in place without lower-casing the name.
  const words = tags.every(({ tag }) => /^[a-z0-9]+$/.test(tag)) ? tags : undefined;
  return (name) => {
    const fast = words ? scoreAscii(name, words) : -1;
    if (fast >= 0) return fast;
    const s = name.toLowerCase();
    // In ASCII text the tag as a whole word is an indexOf away (letters/digits are [a-z0-9]).
    const ascii = isAscii(s);
    for (const { re, tag, score } of tags) if (ascii && tag ? hasWord(s, tag) : re.test(s)) return score;
    return 0;
  };
}

/**
 * The score of the first tag (scores fall along the list: the highest) that is a whole alphanumeric
 * run of ASCII `name`, case-insensitively; 0 for none, -1 when `name` is not ASCII.
 */
function scoreAscii(name: string, tags: readonly { tag: string; score: number }[]): number {
  let best = 0;
  for (let i = 0; i < name.length;) {
    const c = name.charCodeAt(i);
    if (c > 127) return -1;
    if (!isAlnum(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    for (; j < name.length; j++) {
      const d = name.charCodeAt(j);
      if (d > 127) return -1;
      if (!isAlnum(d)) break;
    }
    for (const { tag, score } of tags)
      if (score > best && tag.length === j - i && sameFolded(name, i, tag)) best = score;
    i = j;
  }
  return best;
}

/** ASCII `name` at `at` equals lower-case alphanumeric `tag`, ignoring case. */
function sameFolded(name: string, at: number, tag: string): boolean {
  for (let k = 0; k < tag.length; k++) {
    const c = name.charCodeAt(at + k);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== tag.charCodeAt(k)) return false;
  }
  return true;
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
