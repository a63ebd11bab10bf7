// XMLTV semantics over scanner events: `<channel>` and `<programme>` elements become channels and
// programmes for a sink. Only what the guide uses is read; other elements are skipped.
//
// Most programmes are flat (text children, an icon, flags), and for those the handler reads the
// whole element from the scanner's text at once (`element`) instead of taking a dozen events:
// that is most of the cost of a large guide. Anything else (nested children, comments, CDATA,
// unknown entities, a mismatched tag) is declined and read event by event, with the same result.
import { attr, nameEnd, tagEnd } from './xml-scanner.js';
import { decodeEntities } from './xml-entities.js';
import { parseXmltvTime } from './xmltv-time.js';
import { own } from './strings.js';
import { MAX_REVIEWS, type LangText } from './types.js';
import {
  Capture,
  capturedChild,
  closeGroup,
  groupChild,
  groupText,
  markProgramme,
  openGroup,
  review,
  type Group,
  type ProgrammeDraft,
} from './programme-draft.js';
import type { ReadReport, XmltvSink } from './xmltv-reader.js';

const PROGRAMME_END = '</programme>';
const LT = 60;
const SLASH = 47;
const GT = 62;
const BANG = 33;
const QUESTION = 63;

/** Whether `</name>` starts at `at`, `name` being `b[from, to)`. */
function endTagAt(b: string, at: number, from: number, to: number): boolean {
  if (b.charCodeAt(at) !== LT || b.charCodeAt(at + 1) !== SLASH) return false;
  const len = to - from;
  if (b.charCodeAt(at + 2 + len) !== GT) return false;
  for (let i = 0; i < len; i++) if (b.charCodeAt(at + 2 + i) !== b.charCodeAt(from + i)) return false;
  return true;
}

/** Where readStartTag found the tag: its name ends at `ne`, its '>' is at `gt`. */
const tag = { ne: 0, gt: 0 };

/**
 * The start tag whose '<' is at `lt`, read into `tag`. False for anything else (an end tag, a
 * comment, CDATA, a processing instruction, a lone '<') and for a tag reaching past `limit`.
 */
function readStartTag(b: string, lt: number, limit: number): boolean {
  const c = b.charCodeAt(lt + 1);
  if (c === SLASH || c === BANG || c === QUESTION) return false;
  const ne = nameEnd(b, lt + 1);
  if (ne === lt + 1) return false;
  const gt = tagEnd(b, ne);
  if (gt === -1 || gt > limit) return false;
  tag.ne = ne;
  tag.gt = gt;
  return true;
}

/**
 * The end of an element whose content starts at `from` (its name is `b[nameFrom, nameTo)`),
 * skipping well-formed children; -1 past `limit` or on anything the tag-by-tag reader might
 * treat differently (a mismatched tag, a comment, CDATA).
 */
function skipElement(b: string, from: number, nameFrom: number, nameTo: number, limit: number): number {
  const open: [number, number][] = [[nameFrom, nameTo]];
  let i = from;
  while (open.length) {
    const lt = b.indexOf('<', i);
    if (lt === -1 || lt >= limit) return -1;
    const c = b.charCodeAt(lt + 1);
    if (c === SLASH) {
      const [f, t] = open[open.length - 1] as [number, number];
      if (!endTagAt(b, lt, f, t)) return -1;
      open.pop();
      i = lt + 3 + t - f;
      continue;
    }
    if (!readStartTag(b, lt, limit)) return -1;
    if (b.charCodeAt(tag.gt - 1) !== SLASH) open.push([lt + 1, tag.ne]);
    i = tag.gt + 1;
  }
  return i;
}

/** Entity-decoded, trimmed text of `b[from, to)`; `onUnknown` hears of unknown entities. */
function textOf(b: string, from: number, to: number, onUnknown: () => void): string {
  const raw = b.slice(from, to);
  return (raw.indexOf('&') === -1 ? raw : decodeEntities(raw, onUnknown)).trim();
}

/**
 * The children of group `g`, whose content starts at `from` (its name is `b[nameFrom, nameTo)`),
 * read whole: each child flat (text, or empty). Returns the index after the group's end tag, or
 * -1 for anything else (nested children, a comment, a mismatched tag).
 */
function readGroup(
  p: ProgrammeDraft,
  g: Group,
  b: string,
  from: number,
  nameFrom: number,
  nameTo: number,
  close: number,
  onUnknown: () => void,
): number {
  let i = from;
  for (;;) {
    const lt = b.indexOf('<', i);
    if (lt === -1 || lt >= close) return -1;
    if (endTagAt(b, lt, nameFrom, nameTo)) return lt + 3 + nameTo - nameFrom;
    if (!readStartTag(b, lt, close)) return -1;
    const { ne, gt } = tag;
    if (b.charCodeAt(gt - 1) === SLASH) {
      i = gt + 1;
      continue;
    }
    const e = b.indexOf('<', gt + 1);
    if (!endTagAt(b, e, lt + 1, ne)) return -1;
    const name = b.slice(lt + 1, ne);
    const capture = groupChild(p, g, name);
    if (capture !== Capture.None) {
      const text = textOf(b, gt + 1, e, onUnknown);
      if (text) groupText(p, g, capture, name, text, b.slice(ne, gt));
    }
    i = e + 3 + ne - lt - 1;
  }
}

/** Turns scanner events into channels and programmes; only direct children are read. */
export class XmltvHandler {
  sawTv = false;
  private depth = 0;
  private channel: { id: string; names: string[]; icon?: string } | undefined;
  private prog: ProgrammeDraft | undefined;
  private group: Group | undefined;
  private capture = Capture.None;
  private buffered = '';
  private captureAttrs = '';
  /** The element captured inside a group (a credit's role, a video detail). */
  private captureName = '';
  // Attribute texts repeat (` lang="en"`): the last one read and its value, per attribute.
  private langAttrs = '';
  private lang: string | undefined;
  private systemAttrs = '';
  private system: string | undefined;

  constructor(
    private readonly sink: XmltvSink,
    private readonly report: ReadReport,
    readonly problem: (msg: string) => void,
    private readonly shiftMs: number,
  ) {}

  get wantsText(): boolean {
    return this.capture !== Capture.None;
  }

  open(name: string, attrs: string): void {
    const d = this.depth++;
    if (d === 3) {
      if (this.group) this.openGroupChild(this.group, name, attrs);
    } else if (d === 2) {
      if (this.prog) this.openProgrammeChild(name, attrs);
      else if (this.channel) {
        if (name === 'display-name') this.startCapture(Capture.DisplayName, attrs);
        else if (name === 'icon' && !this.channel.icon) {
          const src = attr(attrs, 'src');
          if (src) this.channel.icon = own(src);
        }
      }
    } else if (d === 1) {
      if (!this.sawTv) return;
      if (name === 'programme') this.openProgramme(attrs);
      else if (name === 'channel') this.channel = { id: attr(attrs, 'id') ?? '', names: [] };
    } else if (d === 0) {
      if (name === 'tv') this.sawTv = true;
      else this.problem(`root element is <${name}>, not <tv>: not an XMLTV document`);
    }
  }

  text(t: string): void {
    this.buffered += t;
  }

  /**
   * A `<programme>` read whole from `b` (see the file comment). Returns the index after its end
   * tag, or -1 to decline; nothing is changed before it accepts.
   */
  element(name: string, attrs: string, b: string, from: number): number {
    if (this.depth !== 1 || !this.sawTv || name !== 'programme') return -1;
    const close = b.indexOf(PROGRAMME_END, from);
    if (close === -1) return -1;
    const p = this.draft(attrs);
    let unknownEntity = false;
    const onUnknown = (): void => void (unknownEntity = true);
    let i = from;
    for (;;) {
      const lt = b.indexOf('<', i);
      if (lt === close) break;
      if (!readStartTag(b, lt, close)) return -1;
      const { ne, gt } = tag;
      const selfClosing = b.charCodeAt(gt - 1) === SLASH;
      const childName = b.slice(lt + 1, ne);
      const childAttrs = b.slice(ne, selfClosing ? gt - 1 : gt);
      const kind = capturedChild(childName);
      if (kind !== Capture.None) {
        // Text only, then its own end tag (an empty element adds nothing).
        if (selfClosing) {
          i = gt + 1;
          continue;
        }
        const e = b.indexOf('<', gt + 1);
        if (!endTagAt(b, e, lt + 1, ne)) return -1;
        const text = textOf(b, gt + 1, e, onUnknown);
        if (unknownEntity) return -1;
        if (text) this.addText(p, kind, text, childAttrs);
        i = e + 3 + ne - lt - 1;
        continue;
      }
      const g = openGroup(childName, childAttrs);
      if (g) {
        i = selfClosing ? gt + 1 : readGroup(p, g, b, gt + 1, lt + 1, ne, close, onUnknown);
        if (i === -1 || unknownEntity) return -1;
        closeGroup(p, g);
        continue;
      }
      markProgramme(p, childName, childAttrs);
      if (selfClosing) {
        i = gt + 1;
        continue;
      }
      const e = b.indexOf('<', gt + 1);
      i = endTagAt(b, e, lt + 1, ne) ? e + 3 + ne - lt - 1 : skipElement(b, gt + 1, lt + 1, ne, close);
      // (A child named `programme` could end at `close`.)
      if (i === -1 || i > close) return -1;
    }
    this.closeProgramme(p);
    return close + PROGRAMME_END.length;
  }

  close(_name: string): void {
    const d = --this.depth;
    if (d === 3) {
      if (this.capture !== Capture.None) this.endCapture();
    } else if (d === 2) {
      if (this.capture !== Capture.None) this.endCapture();
      if (this.group) {
        if (this.prog) closeGroup(this.prog, this.group);
        this.group = undefined;
      }
    } else if (d === 1) {
      if (this.prog) this.closeProgramme(this.prog);
      else if (this.channel) this.closeChannel(this.channel);
    }
  }

  private openProgramme(a: string): void {
    this.prog = this.draft(a);
  }

  private draft(a: string): ProgrammeDraft {
    const startRaw = attr(a, 'start') ?? '';
    const stopRaw = attr(a, 'stop');
    const channel = attr(a, 'channel') ?? '';
    const start = parseXmltvTime(startRaw);
    const stop = stopRaw === undefined ? undefined : parseXmltvTime(stopRaw);
    const p: ProgrammeDraft = { channel, start: (start ?? 0) + this.shiftMs, titles: [] };
    if (!channel) p.bad = 'no channel';
    else if (start === undefined) p.bad = `bad start "${startRaw}"`;
    else if (stop !== undefined) {
      if (stop <= start) p.bad = 'stop not after start';
      p.stop = stop + this.shiftMs;
    }
    return p;
  }

  private openProgrammeChild(name: string, a: string): void {
    const c = capturedChild(name);
    if (c !== Capture.None) {
      this.startCapture(c, a);
      return;
    }
    this.group = openGroup(name, a);
    if (!this.group) markProgramme(this.prog as ProgrammeDraft, name, a);
  }

  private openGroupChild(g: Group, name: string, attrs: string): void {
    const c = this.prog ? groupChild(this.prog, g, name) : Capture.None;
    if (c === Capture.None) return;
    this.captureName = name;
    this.startCapture(c, attrs);
  }

  private startCapture(c: Capture, attrs: string): void {
    this.capture = c;
    this.buffered = '';
    this.captureAttrs = attrs;
  }

  private endCapture(): void {
    const c = this.capture;
    const text = this.buffered.trim();
    this.capture = Capture.None;
    this.buffered = '';
    if (!text) return;
    if (c === Capture.DisplayName) {
      this.channel?.names.push(own(text));
      return;
    }
    const p = this.prog;
    if (!p) return;
    if (c === Capture.GroupValue || c === Capture.Credit || c === Capture.Detail) {
      if (this.group) groupText(p, this.group, c, this.captureName, text, this.captureAttrs);
      return;
    }
    this.addText(p, c, text, this.captureAttrs);
  }

  /** A text child of a programme (title, sub-title, desc, category, episode-num, date), trimmed and not empty. */
  private addText(p: ProgrammeDraft, c: Capture, text: string, attrs: string): void {
    if (c === Capture.Date) {
      p.date = text;
      return;
    }
    if (c === Capture.Review) {
      if ((p.reviews?.length ?? 0) < MAX_REVIEWS) (p.reviews ??= []).push(review(text, attrs));
      return;
    }
    if (c === Capture.EpisodeNum) {
      if (attrs !== this.systemAttrs) {
        this.systemAttrs = attrs;
        this.system = attr(attrs, 'system');
      }
      (p.episodeNums ??= []).push({ system: this.system || 'onscreen', value: text });
      return;
    }
    if (attrs !== this.langAttrs) {
      this.langAttrs = attrs;
      this.lang = attrs.length > 0 ? attr(attrs, 'lang') : undefined;
    }
    const lang = this.lang;
    const lt: LangText = lang ? { text, lang } : { text };
    if (c === Capture.Title) p.titles.push(lt);
    else if (c === Capture.SubTitle) (p.subTitles ??= []).push(lt);
    else if (c === Capture.Desc) (p.descs ??= []).push(lt);
    else if (c === Capture.Category) (p.categories ??= []).push(lt);
  }

  private closeChannel(c: { id: string; names: string[]; icon?: string }): void {
    this.channel = undefined;
    if (!c.id) {
      this.problem('<channel> without id ignored');
      return;
    }
    this.report.channels++;
    this.sink.channel({ id: own(c.id), names: c.names, ...(c.icon ? { icon: c.icon } : {}) });
  }

  private closeProgramme(p: ProgrammeDraft): void {
    this.prog = undefined;
    const bad = p.bad ?? (p.titles.length ? undefined : 'no title');
    if (bad) {
      this.report.skipped++;
      if (this.report.skipped <= 5) this.problem(`programme on "${p.channel}" skipped: ${bad}`);
      return;
    }
    this.report.programmes++;
    this.sink.programme(p);
  }
}
