// Episode numbering. Plex and Jellyfin only treat a programme as a series episode when an
// `episode-num` yields an episode number; Kodi wants `xmltv_ns`, Plex reads `onscreen`. Guides
// give one or the other, so each is derived from the other when only one is known.
import type { EpisodeNum } from './types.js';

/** Human (1-based) numbers; any may be unknown. */
export interface Episode {
  readonly season?: number;
  readonly episode?: number;
  readonly part?: number;
  readonly parts?: number;
}

// tv_validate_file's own check for xmltv_ns.
const XMLTV_NS = /^\s*(\d*)\s*(?:\/\s*\d+)?\s*\.\s*(\d*)\s*(?:\/\s*\d+)?\s*\.\s*(\d*)\s*(?:\/\s*(\d+))?\s*$/;

/** `season.episode.part`, all zero-based, each optionally `n/total`. */
export function parseXmltvNs(v: string): Episode | undefined {
  const m = XMLTV_NS.exec(v);
  if (!m) return undefined;
  if (!m[1] && !m[2]) return undefined;
  const e: { season?: number; episode?: number; part?: number; parts?: number } = {};
  if (m[1]) e.season = Number(m[1]) + 1;
  if (m[2]) e.episode = Number(m[2]) + 1;
  if (m[3]) {
    e.part = Number(m[3]) + 1;
    if (m[4]) e.parts = Number(m[4]);
  }
  return e;
}

const ONSCREEN: readonly RegExp[] = [
  /^\s*S(?:eason)?\s*(\d{1,4})\s*[,.:-]?\s*E(?:p(?:isode)?)?\.?\s*(\d{1,5})\b/i, // S01E02, S1 E2, Season 1 Episode 2
  /^\s*(\d{1,3})\s*x\s*(\d{1,4})\s*$/i, // 1x02
  /^\s*(?:Staffel|Saison|Temporada|Stagione)\s*(\d{1,4})\s*[,.:-]?\s*(?:Folge|Épisode|Episode|Episodio|Ep\.?)\s*(\d{1,5})\b/i,
];
const EPISODE_ONLY = /^\s*(?:E|Ep\.?|Episode|Folge|Épisode|Episodio|#)\s*(\d{1,5})\s*$/i;

/** Onscreen forms seen in guides; undefined when none is recognised. */
export function parseOnscreen(v: string): Episode | undefined {
  for (const re of ONSCREEN) {
    const m = re.exec(v);
    if (m) return { season: Number(m[1]), episode: Number(m[2]) };
  }
  const e = EPISODE_ONLY.exec(v);
  return e ? { episode: Number(e[1]) } : undefined;
}

export function toXmltvNs(e: Episode): string {
  const z = (n: number | undefined): string => (n !== undefined && n > 0 ? String(n - 1) : '');
  const part = e.part !== undefined ? z(e.part) + (e.parts ? `/${e.parts}` : '') : '';
  return `${z(e.season)}.${z(e.episode)}.${part}`;
}

export function toOnscreen(e: Episode): string | undefined {
  const p = (n: number): string => String(n).padStart(2, '0');
  if (e.season !== undefined && e.episode !== undefined) return `S${p(e.season)}E${p(e.episode)}`;
  if (e.episode !== undefined) return `E${p(e.episode)}`;
  return undefined;
}

/** The `episode-num` list to write: valid `xmltv_ns`, then `onscreen`, then other systems as given. */
export function outputEpisodeNums(nums: readonly EpisodeNum[] | undefined): {
  nums: EpisodeNum[];
  episode?: Episode;
} {
  if (!nums?.length) return { nums: [] };
  let ns: string | undefined;
  let onscreen: string | undefined;
  let episode: Episode | undefined;
  const others: EpisodeNum[] = [];
  for (const n of nums) {
    const sys = n.system.toLowerCase();
    if (sys === 'xmltv_ns') {
      const e = parseXmltvNs(n.value);
      if (e && !ns) {
        ns = n.value.replace(/\s+/g, '');
        episode = e;
      }
    } else if (sys === 'onscreen' || sys === 'sxxexx') {
      if (!onscreen) {
        onscreen = n.value;
        episode ??= parseOnscreen(n.value);
      }
    } else if (!others.some((o) => o.system === n.system)) others.push(n);
  }
  if (episode && !ns) ns = toXmltvNs(episode);
  if (episode && !onscreen) onscreen = toOnscreen(episode);
  const out: EpisodeNum[] = [];
  if (ns) out.push({ system: 'xmltv_ns', value: ns });
  if (onscreen) out.push({ system: 'onscreen', value: onscreen });
  out.push(...others);
  return episode ? { nums: out, episode } : { nums: out };
}
