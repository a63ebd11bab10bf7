// Pieces of a programme body: text elements with their tags, and the `<episode-num>` and
// `<category>` elements. Episode numbers and categories repeat across a guide ("0.4.", "News"),
// and deriving their output (parsing, classifying, escaping) costs more than a lookup, so both
// are memoised (bounded).
import { outputCategories } from './categories.js';
import { outputEpisodeNums } from './episode.js';
import type { EpisodeNum, LangText } from './types.js';
import { detach } from './strings.js';
import { escapeMultiline, escapeText } from './xml-escape.js';

/**
 * An element that holds text with an optional `lang`. Its tags are built once, and the start
 * tag for the last language seen is kept: guides repeat one or two languages millions of times.
 */
export class TextElement {
  readonly plain: string;
  readonly end: string;
  private readonly langStart: string;
  private lastLang = '';
  private lastStart = '';

  constructor(name: string) {
    this.plain = `<${name}>`;
    this.end = `</${name}>`;
    this.langStart = `<${name} lang="`;
  }

  start(lang: string | undefined): string {
    if (!lang) return this.plain;
    if (lang !== this.lastLang) {
      this.lastLang = detach(lang);
      this.lastStart = [this.langStart, escapeText(lang), '">'].join('');
    }
    return this.lastStart;
  }
}

export const TITLE = new TextElement('title');
export const SUB_TITLE = new TextElement('sub-title');
export const DESC = new TextElement('desc');
const CATEGORY = new TextElement('category');

/** Push each non-empty text of `list` as an element; returns how many were written. */
export function pushTexts(
  out: string[],
  el: TextElement,
  list: readonly LangText[] | undefined,
  multiline = false,
): number {
  if (!list) return 0;
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as LangText;
    const body = multiline ? escapeMultiline(t.text) : escapeText(t.text);
    if (!body) continue;
    out.push(el.start(t.lang), body, el.end);
    n++;
  }
  return n;
}

const MEMO_MAX = 20_000;

export interface EpisodeTail {
  readonly hasEpisode: boolean;
  /** A `dd_progid` marks it as a movie. */
  readonly isMovie: boolean;
  /** The `<episode-num>` elements. */
  readonly rendered: string;
}

const NO_EPISODE: EpisodeTail = { hasEpisode: false, isMovie: false, rendered: '' };
/** One-number lists (the usual case): system → value → tail, no key to build. */
const oneEpisode = new Map<string, Map<string, EpisodeTail>>();
/** Longer lists, by a length-prefixed key (no two lists share one). */
const manyEpisodes = new Map<string, EpisodeTail>();
let episodeEntries = 0;

/** The `<episode-num>` elements to write, and what they say about the programme. */
export function episodeTail(nums: readonly EpisodeNum[] | undefined): EpisodeTail {
  if (!nums?.length) return NO_EPISODE;
  let key = '';
  let bySystem: Map<string, EpisodeTail> | undefined;
  if (nums.length === 1) {
    const n = nums[0] as EpisodeNum;
    bySystem = oneEpisode.get(n.system);
    const hit = bySystem?.get(n.value);
    if (hit) return hit;
  } else {
    for (const n of nums) key += `${n.system.length}:${n.system}${n.value.length}:${n.value}`;
    const hit = manyEpisodes.get(key);
    if (hit) return hit;
  }
  const tail = deriveEpisodeTail(nums);
  if (++episodeEntries > MEMO_MAX) {
    oneEpisode.clear();
    manyEpisodes.clear();
    episodeEntries = 1;
    bySystem = undefined;
  }
  // Keys are copies: the texts are slices of a whole decoded chunk.
  if (nums.length === 1) {
    const n = nums[0] as EpisodeNum;
    if (!bySystem) oneEpisode.set(detach(n.system), (bySystem = new Map()));
    bySystem.set(detach(n.value), tail);
  } else manyEpisodes.set(detach(key), tail);
  return tail;
}

function deriveEpisodeTail(nums: readonly EpisodeNum[]): EpisodeTail {
  const eps = outputEpisodeNums(nums);
  const rendered: string[] = [];
  for (const n of eps.nums) {
    const v = escapeText(n.value);
    if (v) rendered.push('<episode-num system="', escapeText(n.system), '">', v, '</episode-num>');
  }
  return {
    hasEpisode: eps.episode?.episode !== undefined,
    isMovie: eps.nums.some((n) => n.system === 'dd_progid' && /^MV/i.test(n.value)),
    rendered: rendered.join(''),
  };
}

/** One-category lists: text → the renderings for each language and flags seen with it. */
const oneCategory = new Map<string, { lang: string | undefined; flags: number; rendered: string }[]>();
const manyCategories = new Map<string, string>();
let categoryEntries = 0;

/** The `<category>` elements: the guide's own, then the canonical words clients act on. */
export function categoryTail(
  cats: readonly LangText[] | undefined,
  hasEpisode: boolean,
  isMovie: boolean,
): string {
  const flags = (hasEpisode ? 1 : 0) | (isMovie ? 2 : 0);
  const one = cats?.length === 1 ? (cats[0] as LangText) : undefined;
  let key = '';
  if (one) {
    const seen = oneCategory.get(one.text);
    if (seen) for (const e of seen) if (e.lang === one.lang && e.flags === flags) return e.rendered;
  } else {
    key = String(flags);
    if (cats)
      for (const c of cats) key += `|${c.lang?.length ?? -1}:${c.lang ?? ''}${c.text.length}:${c.text}`;
    const hit = manyCategories.get(key);
    if (hit !== undefined) return hit;
  }
  const parts: string[] = [];
  pushTexts(parts, CATEGORY, outputCategories(cats, { hasEpisode, isMovie }));
  const rendered = parts.join('');
  if (++categoryEntries > MEMO_MAX) {
    oneCategory.clear();
    manyCategories.clear();
    categoryEntries = 1;
  }
  // Keys are copies: the texts are slices of a whole decoded chunk.
  if (one) {
    let seen = oneCategory.get(one.text);
    if (!seen) oneCategory.set(detach(one.text), (seen = []));
    seen.push({ lang: one.lang === undefined ? undefined : detach(one.lang), flags, rendered });
  } else manyCategories.set(detach(key), rendered);
  return rendered;
}
