// Lineup channel ↔ guide channel. Order: the user's override, then the EPG id (tvg-id /
// epg_channel_id, case-insensitive, feed suffix ignored), then the normalised display name.
import { normalizeEpgId, normalizeName } from '../lineup/normalize.js';
import type { Channel } from '../model.js';
import type { GuideChannel } from './types.js';

export type MatchedBy = 'override' | 'epg-id' | 'name';

export interface GuideMatch {
  readonly guideId: string;
  readonly by: MatchedBy;
}

/** Lookup tables over one guide's channels (built once per guide, not per lineup channel). */
export interface GuideIndex {
  /** normalised id → id as the guide writes it */
  readonly byId: ReadonlyMap<string, string>;
  /** normalised display name → id */
  readonly byName: ReadonlyMap<string, string>;
}

/**
 * `channels` are the guide's `<channel>` elements; `programmeIds` the channel ids its programmes
 * use (guides sometimes omit the `<channel>` element, and those ids still match by EPG id).
 */
export function buildGuideIndex(
  channels: Iterable<GuideChannel>,
  programmeIds: Iterable<string> = [],
): GuideIndex {
  const byId = new Map<string, string>();
  const byName = new Map<string, string>();
  const addName = (name: string, id: string): void => {
    // A bare number says nothing about which channel it is across providers.
    if (/^\s*[\d.\-\s]+$/.test(name)) return;
    const n = normalizeName(name);
    if (n && !byName.has(n)) byName.set(n, id);
  };
  for (const c of channels) {
    const k = normalizeEpgId(c.id);
    if (!byId.has(k)) byId.set(k, c.id);
    for (const n of c.names) addName(n, c.id);
  }
  for (const id of programmeIds) {
    const k = normalizeEpgId(id);
    if (!byId.has(k)) byId.set(k, id);
  }
  // Ids such as "Das Erste" are names too; they rank after every real display name.
  for (const [, id] of byId) addName(id, id);
  return { byId, byName };
}

/**
 * The guide channel for a lineup channel, or undefined. `override` is the user's guide id for
 * this channel: a non-empty id must exist in this guide; `''` means "no guide data".
 */
export function matchChannel(ch: Channel, index: GuideIndex, override?: string): GuideMatch | undefined {
  if (override !== undefined) {
    if (override === '') return undefined;
    const id = index.byId.get(normalizeEpgId(override));
    return id !== undefined ? { guideId: id, by: 'override' } : undefined;
  }
  if (ch.epgId) {
    const id = index.byId.get(normalizeEpgId(ch.epgId));
    if (id !== undefined) return { guideId: id, by: 'epg-id' };
  }
  const id = index.byName.get(normalizeName(ch.name));
  return id !== undefined ? { guideId: id, by: 'name' } : undefined;
}
