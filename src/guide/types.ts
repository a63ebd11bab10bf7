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

/** A `<rating>` or `<star-rating>`: a value in a rating system ("MPAA" "PG-13", "7/10"). */
export interface Rating {
  readonly value: string;
  readonly system?: string;
}

/** Roles of `<credits>`, in the order the XMLTV DTD requires. */
export const CREDIT_ROLES = [
  'director',
  'actor',
  'writer',
  'adapter',
  'producer',
  'composer',
  'editor',
  'presenter',
  'commentator',
  'guest',
] as const;
export type CreditRole = (typeof CREDIT_ROLES)[number];

export interface Credit {
  readonly role: CreditRole;
  readonly name: string;
  /** An actor's character (`<actor role="…">`). */
  readonly character?: string;
}

/** `<video>` details, each as the guide gave it ("yes", "16:9", "HDTV"). */
export interface VideoDetails {
  readonly present?: string;
  readonly colour?: string;
  readonly aspect?: string;
  /** Emby and Jellyfin mark a programme HD from this ("HDTV"). */
  readonly quality?: string;
}

/** The children of `<video>` and `<audio>`, in the DTD's order (read and written in it). */
export const DETAILS = {
  video: ['present', 'colour', 'aspect', 'quality'],
  audio: ['present', 'stereo'],
} as const;

export interface AudioDetails {
  readonly present?: string;
  /** "mono", "stereo", "dolby digital"… */
  readonly stereo?: string;
}

export const SUBTITLE_TYPES = ['teletext', 'onscreen', 'deaf-signed'] as const;

export interface Subtitles {
  readonly type?: (typeof SUBTITLE_TYPES)[number];
  readonly language?: string;
}

/** A critic's review: its text, or a link to it. */
export interface Review {
  readonly type: 'text' | 'url';
  readonly text: string;
  readonly source?: string;
  readonly reviewer?: string;
  readonly lang?: string;
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
  /** Cast and crew (at most MAX_CREDITS are kept). */
  readonly credits?: readonly Credit[];
  /** Parental ratings. */
  readonly ratings?: readonly Rating[];
  readonly starRatings?: readonly Rating[];
  readonly video?: VideoDetails;
  readonly audio?: AudioDetails;
  readonly subtitles?: readonly Subtitles[];
  /** At most MAX_REVIEWS. */
  readonly reviews?: readonly Review[];
}

/** Reviews kept per programme: each line of the guide carries them, and they can be long. */
export const MAX_REVIEWS = 2;

/** Credits kept per programme: the guide shows the leads, and a long cast list costs every line. */
export const MAX_CREDITS = 20;

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
