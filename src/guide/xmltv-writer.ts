// XMLTV output: escaping and DTD element order. Every programme renders to exactly one line
// (newlines in `desc` become `&#10;`), which lets the guide store spool programmes as lines.
import { DESC, SUB_TITLE, TITLE, categoryTail, episodeTail, pushTexts } from './programme-parts.js';
import { escapeMultiline, escapeText } from './xml-escape.js';
import { formatXmltvTime } from './xmltv-time.js';
import {
  CREDIT_ROLES,
  DETAILS,
  type Credit,
  type Programme,
  type Rating,
  type Review,
  type Subtitles,
} from './types.js';

export { escapeMultiline, escapeText } from './xml-escape.js';
export const ABSOLUTE = /^https?:\/\//i;

/** `YYYY`, `YYYYMM` or `YYYYMMDD` as Plex accepts it; anything else is dropped. */
function productionDate(d: string | undefined): string | undefined {
  const m = d ? /^\s*(\d{4})-?(\d{2})?-?(\d{2})?/.exec(d) : null;
  return m ? `${m[1]}${m[2] ?? ''}${m[2] && m[3] ? m[3] : ''}` : undefined;
}

/** A programme's children, in the DTD's order (validation is order-sensitive). */
export function renderProgrammeBody(p: Programme, opts: { isMovie?: boolean } = {}): string {
  const out: string[] = [];
  renderProgrammeParts(p, out, opts);
  return out.join('');
}

/**
 * `renderProgrammeBody` as pieces pushed onto `out`. Joining many programmes' pieces at once
 * is much cheaper than concatenating strings per programme (deep ropes, flattened later).
 */
export function renderProgrammeParts(p: Programme, out: string[], opts: { isMovie?: boolean } = {}): void {
  if (!pushTexts(out, TITLE, p.titles)) out.push('<title>Unknown</title>');
  pushTexts(out, SUB_TITLE, p.subTitles);
  pushTexts(out, DESC, p.descs, true);
  if (p.credits?.length) pushCredits(out, p.credits);
  const date = productionDate(p.date);
  if (date) out.push('<date>', date, '</date>');
  const eps = episodeTail(p.episodeNums);
  const cats = categoryTail(p.categories, eps.hasEpisode, opts.isMovie || eps.isMovie);
  if (cats) out.push(cats);
  // Relative icon paths (seen in real feeds) mean nothing to a client.
  if (p.icon && ABSOLUTE.test(p.icon)) out.push('<icon src="', escapeText(p.icon), '"/>');
  if (eps.rendered) out.push(eps.rendered);
  if (p.video) pushDetails(out, 'video', DETAILS.video, p.video);
  if (p.audio) pushDetails(out, 'audio', DETAILS.audio, p.audio);
  if (p.previouslyShown) out.push('<previously-shown/>');
  if (p.premiere) out.push('<premiere/>');
  if (p.isNew) out.push('<new/>');
  if (p.subtitles) pushSubtitles(out, p.subtitles);
  pushRatings(out, 'rating', p.ratings);
  pushRatings(out, 'star-rating', p.starRatings);
  if (p.reviews) pushReviews(out, p.reviews);
}

/** `<video>` or `<audio>` with its details in the DTD's order; nothing when none is left. */
function pushDetails<K extends string>(
  out: string[],
  tag: string,
  keys: readonly K[],
  details: Partial<Record<K, string>>,
): void {
  let body = '';
  for (const k of keys) {
    const v = details[k] === undefined ? '' : escapeText(details[k]);
    if (v) body += `<${k}>${v}</${k}>`;
  }
  if (body) out.push(`<${tag}>`, body, `</${tag}>`);
}

function pushSubtitles(out: string[], list: readonly Subtitles[]): void {
  for (const s of list) {
    const language = s.language ? escapeText(s.language) : '';
    const start = s.type ? `<subtitles type="${s.type}"` : '<subtitles';
    out.push(language ? `${start}><language>${language}</language></subtitles>` : `${start}/>`);
  }
}

function pushReviews(out: string[], list: readonly Review[]): void {
  for (const r of list) {
    const text = r.type === 'url' ? escapeText(r.text) : escapeMultiline(r.text);
    if (!text) continue;
    let start = `<review type="${r.type}"`;
    for (const key of ['source', 'reviewer', 'lang'] as const) {
      const v = r[key] ? escapeText(r[key]) : '';
      if (v) start += ` ${key}="${v}"`;
    }
    out.push(start, '>', text, '</review>');
  }
}

/** `<credits>`, people grouped by role in the DTD's order. */
function pushCredits(out: string[], credits: readonly Credit[]): void {
  const parts: string[] = [];
  for (const role of CREDIT_ROLES) {
    for (const c of credits) {
      if (c.role !== role) continue;
      const name = escapeText(c.name);
      if (!name) continue;
      const character = c.character ? escapeText(c.character) : '';
      parts.push(character ? `<${role} role="${character}">` : `<${role}>`, name, `</${role}>`);
    }
  }
  if (parts.length) out.push('<credits>', ...parts, '</credits>');
}

function pushRatings(out: string[], tag: string, list: readonly Rating[] | undefined): void {
  if (!list) return;
  for (const r of list) {
    const value = escapeText(r.value);
    if (!value) continue;
    const system = r.system ? escapeText(r.system) : '';
    out.push(system ? `<${tag} system="${system}">` : `<${tag}>`, '<value>', value, `</value></${tag}>`);
  }
}

/** One `<programme>` line; `body` comes from `renderProgrammeBody`. */
export function renderProgramme(start: number, stop: number, channelId: string, body: string): string {
  return programmeLine(start, stop, escapeText(channelId), body);
}

/** As `renderProgramme`, with the channel id already escaped. */
export function programmeLine(start: number, stop: number, escapedChannel: string, body: string): string {
  return programmeStartTag(start, stop, escapedChannel) + body + PROGRAMME_END;
}

/**
 * The `<programme …>` start tag in pieces, for writers that put bytes:
 * `open` start `stop` stop `channel` escaped-id `close`.
 */
export const PROGRAMME_TAG = {
  open: '<programme start="',
  stop: '" stop="',
  channel: '" channel="',
  close: '">',
} as const;

function programmeStartTag(start: number, stop: number, escapedChannel: string): string {
  const t = PROGRAMME_TAG;
  return `${t.open}${formatXmltvTime(start)}${t.stop}${formatXmltvTime(stop)}${t.channel}${escapedChannel}${t.close}`;
}

export const PROGRAMME_END = '</programme>\n';

export interface OutputChannel {
  readonly id: string;
  /** Most canonical first: the channel name, then its number. */
  readonly names: readonly string[];
  readonly icon?: string;
  /** Logical channel number (non-DTD `<lcn>`, read by some clients); omitted when undefined. */
  readonly lcn?: string;
}

export function renderChannel(c: OutputChannel): string {
  let s = `<channel id="${escapeText(c.id)}">`;
  const seen = new Set<string>();
  for (const n of c.names) {
    const e = escapeText(n);
    if (!e || seen.has(e)) continue;
    seen.add(e);
    s += `<display-name>${e}</display-name>`;
  }
  if (!seen.size) s += `<display-name>${escapeText(c.id)}</display-name>`;
  if (c.icon) s += `<icon src="${escapeText(c.icon)}"/>`;
  if (c.lcn) s += `<lcn>${escapeText(c.lcn)}</lcn>`;
  return s + '</channel>\n';
}

export function renderHeader(generatedAt: number): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<tv date="${formatXmltvTime(generatedAt)}" generator-info-name="tunerbridge" source-info-name="tunerbridge">\n`
  );
}

export const FOOTER = '</tv>\n';
