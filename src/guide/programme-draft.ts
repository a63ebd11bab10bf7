// What a programme's children mean: the draft a programme is read into, which children are
// captured as text, and the groups (ratings, credits, video, audio, subtitles) whose own children
// are read. Shared by both ways of reading a programme (see xmltv-handler.ts).
import { attr } from './xml-scanner.js';
import { own } from './strings.js';
import {
  CREDIT_ROLES,
  MAX_CREDITS,
  DETAILS,
  SUBTITLE_TYPES,
  type Credit,
  type CreditRole,
  type EpisodeNum,
  type LangText,
  type Rating,
  type Review,
  type Subtitles,
} from './types.js';

/** Mutable while the element is open; handed to the sink as a `Programme`. */
export interface ProgrammeDraft {
  channel: string;
  start: number;
  stop?: number;
  titles: LangText[];
  subTitles?: LangText[];
  descs?: LangText[];
  categories?: LangText[];
  episodeNums?: EpisodeNum[];
  date?: string;
  icon?: string;
  isNew?: boolean;
  previouslyShown?: boolean;
  premiere?: boolean;
  credits?: Credit[];
  ratings?: Rating[];
  starRatings?: Rating[];
  video?: Record<string, string>;
  audio?: Record<string, string>;
  subtitles?: Subtitles[];
  reviews?: Review[];
  /** Why the programme will be dropped, if it will. */
  bad?: string;
}

export enum Capture {
  None,
  DisplayName,
  Title,
  SubTitle,
  Desc,
  Category,
  Date,
  EpisodeNum,
  Review,
  /** `<value>` of a rating or star-rating, `<language>` of subtitles. */
  GroupValue,
  /** A person inside `<credits>`. */
  Credit,
  /** A `<video>` or `<audio>` detail. */
  Detail,
}

/** A programme child whose own children are read. */
export interface Group {
  readonly kind: 'rating' | 'star-rating' | 'credits' | 'video' | 'audio' | 'subtitles';
  readonly system?: string;
  readonly type?: Subtitles['type'];
  value?: string;
}

/** Subtitles kept per programme. */
const MAX_SUBTITLES = 4;

/** The group a programme child opens, if it is one. */
export function openGroup(name: string, attrs: string): Group | undefined {
  switch (name) {
    case 'rating':
    case 'star-rating': {
      const system = attr(attrs, 'system');
      return { kind: name, ...(system ? { system: own(system) } : {}) };
    }
    case 'credits':
    case 'video':
    case 'audio':
      return { kind: name };
    case 'subtitles': {
      const type = SUBTITLE_TYPES.find((t) => t === attr(attrs, 'type'));
      return { kind: name, ...(type ? { type } : {}) };
    }
    default:
      return undefined;
  }
}

/** What is read of child `name` of group `g`: None for children that are skipped. */
export function groupChild(p: ProgrammeDraft, g: Group, name: string): Capture {
  switch (g.kind) {
    case 'rating':
    case 'star-rating':
      return name === 'value' ? Capture.GroupValue : Capture.None;
    case 'subtitles':
      return name === 'language' ? Capture.GroupValue : Capture.None;
    case 'credits':
      return (CREDIT_ROLES as readonly string[]).includes(name) && (p.credits?.length ?? 0) < MAX_CREDITS
        ? Capture.Credit
        : Capture.None;
    default:
      return (DETAILS[g.kind] as readonly string[]).includes(name) ? Capture.Detail : Capture.None;
  }
}

/** The text of a group's child (`c` from groupChild), trimmed and not empty. */
export function groupText(
  p: ProgrammeDraft,
  g: Group,
  c: Capture,
  name: string,
  text: string,
  attrs: string,
): void {
  if (c === Capture.GroupValue) g.value ??= text;
  else if (c === Capture.Credit) {
    const role = name as CreditRole;
    const character = role === 'actor' ? attr(attrs, 'role') : undefined;
    (p.credits ??= []).push(character ? { role, name: text, character } : { role, name: text });
  } else if (c === Capture.Detail) {
    const details = g.kind === 'video' ? (p.video ??= {}) : (p.audio ??= {});
    details[name] ??= text;
  }
}

export function closeGroup(p: ProgrammeDraft, g: Group): void {
  if (g.kind === 'subtitles') {
    if ((p.subtitles?.length ?? 0) >= MAX_SUBTITLES) return;
    const sub: { type?: Subtitles['type']; language?: string } = {};
    if (g.type) sub.type = g.type;
    if (g.value) sub.language = g.value;
    (p.subtitles ??= []).push(sub);
  } else if ((g.kind === 'rating' || g.kind === 'star-rating') && g.value) {
    const r: Rating = g.system ? { value: g.value, system: g.system } : { value: g.value };
    if (g.kind === 'rating') (p.ratings ??= []).push(r);
    else (p.starRatings ??= []).push(r);
  }
}

/** A string switch compiles to length-checked comparisons, cheaper than hashing a fresh slice. */
export function capturedChild(name: string): Capture {
  switch (name) {
    case 'title':
      return Capture.Title;
    case 'desc':
      return Capture.Desc;
    case 'sub-title':
      return Capture.SubTitle;
    case 'category':
      return Capture.Category;
    case 'episode-num':
      return Capture.EpisodeNum;
    case 'date':
      return Capture.Date;
    case 'review':
      return Capture.Review;
    default:
      return Capture.None;
  }
}

/** Children of a programme read for their start tag alone: the icon and the flags. */
export function markProgramme(p: ProgrammeDraft, name: string, attrs: string): void {
  if (name === 'icon') {
    if (!p.icon) p.icon = attr(attrs, 'src') || undefined;
  } else if (name === 'new') p.isNew = true;
  else if (name === 'previously-shown') p.previouslyShown = true;
  else if (name === 'premiere') p.premiere = true;
}

export function review(text: string, attrs: string): Review {
  const r: { type: Review['type']; text: string; source?: string; reviewer?: string; lang?: string } = {
    type: attr(attrs, 'type') === 'url' ? 'url' : 'text',
    text,
  };
  for (const key of ['source', 'reviewer', 'lang'] as const) {
    const v = attr(attrs, key);
    if (v) r[key] = v;
  }
  return r;
}
