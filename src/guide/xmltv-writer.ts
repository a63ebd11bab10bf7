// XMLTV output: escaping, DTD element order, and a small buffered writer that respects
// back-pressure. Every programme renders to exactly one line (newlines in `desc` become `&#10;`),
// which lets the guide store spool programmes as lines.
import type { Writable } from 'node:stream';
import { outputCategories } from './categories.js';
import { outputEpisodeNums } from './episode.js';
import { formatXmltvTime } from './xmltv-time.js';
import type { LangText, Programme } from './types.js';

// Characters XML 1.0 forbids (C0 controls except tab/LF/CR, U+FFFE/U+FFFF, lone surrogates).
// eslint-disable-next-line no-control-regex
const MAYBE_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const ILLEGAL =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
export const ABSOLUTE = /^https?:\/\//i;
// Anything escapeText would change. Most strings need nothing, and this test is much cheaper
// than running the replacements (millions of calls per large guide).
// eslint-disable-next-line no-control-regex
const SPECIAL_OR_CONTROL = /[&<>"'\u0000-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
function needsWork(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  const edges = s.charCodeAt(0) === 32 || s.charCodeAt(n - 1) === 32 || s.indexOf('  ') !== -1;
  if (n > 16) return edges || SPECIAL_OR_CONTROL.test(s);
  // Short values (lang, system, category): a plain loop beats starting the regex engine.
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (
      c < 32 ||
      c === 38 ||
      c === 60 ||
      c === 62 ||
      c === 34 ||
      c === 39 ||
      (c >= 0xd800 && c <= 0xdfff) ||
      c >= 0xfffe
    ) {
      return true;
    }
  }
  return edges;
}

function removeIllegal(s: string): string {
  return MAYBE_ILLEGAL.test(s) ? s.replace(ILLEGAL, '') : s;
}

function escapeMarkup(s: string): string {
  if (s.indexOf('&') !== -1) s = s.replace(/&/g, '&amp;');
  if (s.indexOf('<') !== -1) s = s.replace(/</g, '&lt;');
  if (s.indexOf('>') !== -1) s = s.replace(/>/g, '&gt;');
  if (s.indexOf('"') !== -1) s = s.replace(/"/g, '&quot;');
  if (s.indexOf("'") !== -1) s = s.replace(/'/g, '&apos;');
  return s;
}

const FOLD = /[\t\n\r]| {2}|^ | $/;

/** Escaped single-line text: illegal characters removed, runs of whitespace folded to one space. */
export function escapeText(s: string): string {
  if (!needsWork(s)) return s;
  let t = removeIllegal(s);
  if (FOLD.test(t)) t = t.replace(/[\t\n\r ]+/g, ' ').trim();
  return escapeMarkup(t);
}

/** Escaped paragraph text (`desc`): line breaks kept, as `&#10;` so the output stays one line per programme. */
export function escapeMultiline(s: string): string {
  if (!needsWork(s)) return s;
  let t = removeIllegal(s);
  if (t.indexOf('\r') !== -1) t = t.replace(/\r\n?/g, '\n');
  if (FOLD.test(t)) t = t.replace(/[ \t]+/g, ' ').trim();
  t = escapeMarkup(t);
  return t.indexOf('\n') === -1 ? t : t.replace(/\n/g, '&#10;');
}

function texts(name: string, list: readonly LangText[] | undefined, multiline = false): string {
  let out = '';
  if (!list) return out;
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as LangText;
    const body = multiline ? escapeMultiline(t.text) : escapeText(t.text);
    if (body)
      out += t.lang
        ? `<${name} lang="${escapeText(t.lang)}">${body}</${name}>`
        : `<${name}>${body}</${name}>`;
  }
  return out;
}

/** `YYYY`, `YYYYMM` or `YYYYMMDD` as Plex accepts it; anything else is dropped. */
function productionDate(d: string | undefined): string | undefined {
  const m = d ? /^\s*(\d{4})-?(\d{2})?-?(\d{2})?/.exec(d) : null;
  return m ? `${m[1]}${m[2] ?? ''}${m[2] && m[3] ? m[3] : ''}` : undefined;
}

/** A programme's children, in the DTD's order (validation is order-sensitive). */
export function renderProgrammeBody(p: Programme, opts: { isMovie?: boolean } = {}): string {
  let out = texts('title', p.titles) || '<title>Unknown</title>';
  out += texts('sub-title', p.subTitles);
  out += texts('desc', p.descs, true);
  const date = productionDate(p.date);
  if (date) out += `<date>${date}</date>`;
  const eps = outputEpisodeNums(p.episodeNums);
  const isMovie = opts.isMovie || eps.nums.some((n) => n.system === 'dd_progid' && /^MV/i.test(n.value));
  out += texts(
    'category',
    outputCategories(p.categories, { hasEpisode: eps.episode?.episode !== undefined, isMovie }),
  );
  // Relative icon paths (seen in real feeds) mean nothing to a client.
  if (p.icon && ABSOLUTE.test(p.icon)) out += `<icon src="${escapeText(p.icon)}"/>`;
  for (const n of eps.nums) {
    const v = escapeText(n.value);
    if (v) out += `<episode-num system="${escapeText(n.system)}">${v}</episode-num>`;
  }
  if (p.previouslyShown) out += '<previously-shown/>';
  if (p.premiere) out += '<premiere/>';
  if (p.isNew) out += '<new/>';
  return out;
}

/** One `<programme>` line; `body` comes from `renderProgrammeBody`. */
export function renderProgramme(start: number, stop: number, channelId: string, body: string): string {
  return programmeLine(start, stop, escapeText(channelId), body);
}

/** As `renderProgramme`, with the channel id already escaped. */
export function programmeLine(start: number, stop: number, escapedChannel: string, body: string): string {
  return `<programme start="${formatXmltvTime(start)}" stop="${formatXmltvTime(stop)}" channel="${escapedChannel}">${body}</programme>\n`;
}

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

/** Batches small strings into large writes and waits for 'drain' when the destination is full. */
export class BufferedWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly out: Writable,
    private readonly flushAt = 256 * 1024,
  ) {}

  /** Returns a promise only when the caller must wait (a flush hit back-pressure). */
  write(s: string): Promise<void> | undefined {
    this.parts.push(s);
    this.size += s.length;
    return this.size >= this.flushAt ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    if (!this.size) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (this.out.destroyed) throw new Error('output closed');
    if (!this.out.write(chunk)) await waitDrain(this.out);
  }
}

function waitDrain(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('output closed'));
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', done);
  });
}
