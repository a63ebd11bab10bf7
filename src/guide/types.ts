// Guide-internal data shapes shared by the reader, the writer and the service.
// Times are epoch milliseconds (UTC); XMLTV strings are converted at the edges.

/** Text with an optional language, as XMLTV `title`, `desc`, `category` carry it. */
export interface LangText {
  readonly text: string;
  readonly lang?: string;
}

/** A `<channel>` of an upstream guide. */
export interface GuideChannel {
  readonly id: string;
  /** In document order (earlier = more canonical). */
  readonly names: readonly string[];
  readonly icon?: string;
}

export interface EpisodeNum {
  readonly system: string;
  readonly value: string;
}

/** A programme as read from any guide source. */
export interface Programme {
  /** Upstream channel id (XMLTV `channel`, or the lineup key for short EPG / dummy). */
  readonly channel: string;
  readonly start: number;
  /** Absent when the upstream omitted it; the builder infers it from the next start. */
  readonly stop?: number;
  readonly titles: readonly LangText[];
  readonly subTitles?: readonly LangText[];
  readonly descs?: readonly LangText[];
  readonly categories?: readonly LangText[];
  /** `YYYY` or `YYYYMMDD` (production date). */
  readonly date?: string;
  readonly icon?: string;
  readonly episodeNums?: readonly EpisodeNum[];
  readonly isNew?: boolean;
  readonly previouslyShown?: boolean;
  readonly premiere?: boolean;
}

/** Where a lineup channel's programmes come from, in the default order of preference. */
export type GuideKind = 'files' | 'urls' | 'xtream' | 'xmltv' | 'short-epg' | 'dummy';

export const DEFAULT_PRECEDENCE: readonly GuideKind[] = [
  'files',
  'urls',
  'xtream',
  'xmltv',
  'short-epg',
  'dummy',
];
