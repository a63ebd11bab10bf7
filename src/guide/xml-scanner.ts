// A small streaming XML tokenizer, fed decoded text in chunks of any size.
//
// Why not saxes: on this project's 2-core target saxes alone parses ~50 MB/s with empty
// handlers, which leaves nothing for the rest of the guide pipeline (target ≥ 50 MB/s overall).
// This scanner only finds tags with indexOf, so it runs several times faster. It is also
// deliberately forgiving, because provider guides are often not well-formed: mismatched and
// stray end tags, bare `&`, HTML entities and unquoted attributes are reported and recovered
// from instead of aborting the document. Memory is bounded: only an unfinished construct is
// carried between chunks, and one that grows past `maxPending` is dropped with a report.
import { decodeEntities } from './xml-entities.js';

export interface XmlEvents {
  /** A start tag; `attrs` is its raw attribute text (read it with `attr`). Self-closing tags are followed at once by `close`. */
  open(name: string, attrs: string): void;
  /** Whether character data is wanted now; text is neither sliced nor decoded otherwise. */
  readonly wantsText: boolean;
  /** Character data (entity-decoded; CDATA verbatim). May arrive in several pieces. */
  text(text: string): void;
  close(name: string): void;
  /** A well-formedness problem that was recovered from. */
  problem(message: string): void;
  /**
   * Offered each child of the root whose start tag is complete (not self-closing), with the
   * text `b` it lies in and where its content starts. Returns the index after the element when
   * it read the whole element itself (no events follow for it), or -1 to get the usual events.
   */
  element?(name: string, attrs: string, b: string, from: number): number;
}

const enum Ch {
  Bang = 33,
  Quote = 34,
  Apos = 39,
  Slash = 47,
  Eq = 61,
  Gt = 62,
  Question = 63,
  LBracket = 91,
  RBracket = 93,
}

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13;

/** `-1`: the construct continues past the end of the buffer. */
const INCOMPLETE = -1;

export class XmlScanner {
  private buf = '';
  /** Characters consumed before `buf`, for problem positions. */
  private offset = 0;
  private readonly stack: string[] = [];
  private rootSeen = false;
  private ended = false;
  /** Set by `end()` when elements were still open. */
  truncated = false;

  constructor(
    private readonly on: XmlEvents,
    private readonly maxPending = 8 * 1024 * 1024,
  ) {}

  /** Names of the elements open now (outermost first). */
  get openElements(): readonly string[] {
    return this.stack;
  }

  write(chunk: string): void {
    if (this.ended) return;
    this.buf = this.buf.length ? this.buf + chunk : chunk;
    const used = this.scan(false);
    this.offset += used;
    this.buf = used >= this.buf.length ? '' : this.buf.slice(used);
    if (this.buf.length > this.maxPending) {
      this.problem('unterminated construct longer than ' + this.maxPending + ' characters dropped', 0);
      this.offset += this.buf.length;
      this.buf = '';
    }
  }

  /** Flush and report what was left open (a truncated document). */
  end(): void {
    if (this.ended) return;
    const used = this.scan(true);
    if (used < this.buf.length) {
      const rest = this.buf.slice(used);
      if (rest.trim()) this.problem('document ends inside markup (truncated?)', used);
    }
    this.buf = '';
    this.ended = true;
    if (!this.rootSeen) this.on.problem('no root element (empty or not XML)');
    // Elements left open are not closed: a half-read element must not be taken as complete.
    if (this.stack.length) {
      this.on.problem(`document ends with <${this.stack.join('>, <')}> open (truncated?)`);
      this.truncated = true;
    }
  }

  private readonly unknownEntity = (name: string): void => this.problem(`unknown entity &${name};`, 0);

  private problem(msg: string, at: number): void {
    this.on.problem(`${msg} (at character ${this.offset + at})`);
  }

  private emitText(b: string, from: number, to: number): void {
    if (!this.stack.length) {
      // Outside the root only whitespace is allowed; anything else means this is not XML.
      if (b.slice(from, to).trim()) this.problem('text outside the root element', from);
      return;
    }
    if (!this.on.wantsText) return;
    const raw = b.slice(from, to);
    this.on.text(raw.indexOf('&') === -1 ? raw : decodeEntities(raw, this.unknownEntity));
  }

  /** Consume as much of `buf` as forms complete constructs; returns the characters used. */
  private scan(final: boolean): number {
    const b = this.buf;
    const n = b.length;
    let i = 0;
    while (i < n) {
      const lt = b.indexOf('<', i);
      if (lt === -1) {
        // Text runs to the end of the buffer: keep it until its end is known.
        if (final) {
          this.emitText(b, i, n);
          return n;
        }
        return i;
      }
      if (lt > i) this.emitText(b, i, lt);
      i = lt;
      if (lt + 1 >= n) return i;
      const c = b.charCodeAt(lt + 1);
      let next: number;
      if (c === Ch.Slash) next = this.endTag(b, lt);
      else if (c === Ch.Bang) next = this.declaration(b, lt, final);
      else if (c === Ch.Question) {
        const e = b.indexOf('?>', lt + 2);
        next = e === -1 ? INCOMPLETE : e + 2;
      } else next = this.startTag(b, lt);
      if (next === INCOMPLETE) return i;
      i = next;
    }
    return i;
  }

  private endTag(b: string, lt: number): number {
    const gt = b.indexOf('>', lt + 2);
    if (gt === -1) return INCOMPLETE;
    // Fast path: the end tag closes the innermost element (compared in place, no slice).
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && gt === lt + 2 + top.length && b.startsWith(top, lt + 2)) {
      this.stack.pop();
      this.on.close(top);
      return gt + 1;
    }
    const name = b.slice(lt + 2, gt).trim();
    const idx = this.stack.lastIndexOf(name);
    if (idx === -1) {
      this.problem(`stray end tag </${name}>`, lt);
    } else {
      if (idx < this.stack.length - 1) {
        this.problem(`<${this.stack.slice(idx + 1).join('>, <')}> closed by </${name}>`, lt);
      }
      while (this.stack.length > idx) this.on.close(this.stack.pop() as string);
    }
    return gt + 1;
  }

  private declaration(b: string, lt: number, final: boolean): number {
    if (b.startsWith('<!--', lt)) {
      const e = b.indexOf('-->', lt + 4);
      return e === -1 ? INCOMPLETE : e + 3;
    }
    if (b.startsWith('<![CDATA[', lt)) {
      const e = b.indexOf(']]>', lt + 9);
      if (e === -1) return INCOMPLETE;
      if (this.stack.length && this.on.wantsText) this.on.text(b.slice(lt + 9, e));
      return e + 3;
    }
    // Could still become `<!--` or `<![CDATA[` once more text arrives.
    if (
      !final &&
      b.length - lt < 9 &&
      ('<![CDATA['.startsWith(b.slice(lt)) || '<!--'.startsWith(b.slice(lt)))
    ) {
      return INCOMPLETE;
    }
    // <!DOCTYPE …> with an optional [internal subset]; quoted strings may hold '>' or ']'.
    // External DTDs are never fetched.
    let depth = 0;
    for (let j = lt + 2; j < b.length; j++) {
      const c = b.charCodeAt(j);
      if (c === Ch.Quote || c === Ch.Apos) {
        const q = b.indexOf(b[j] as string, j + 1);
        if (q === -1) return INCOMPLETE;
        j = q;
      } else if (c === Ch.LBracket) depth++;
      else if (c === Ch.RBracket) depth--;
      else if (c === Ch.Gt && depth <= 0) return j + 1;
    }
    return INCOMPLETE;
  }

  private startTag(b: string, lt: number): number {
    const j = nameEnd(b, lt + 1);
    if (j >= b.length) return INCOMPLETE;
    if (j === lt + 1) {
      // A lone '<' in text (`a < b`): keep it as text.
      this.problem("'<' not starting a tag", lt);
      if (this.stack.length && this.on.wantsText) this.on.text('<');
      return lt + 1;
    }
    const name = b.slice(lt + 1, j);
    // Attributes are parsed only on demand.
    const gt = tagEnd(b, j);
    if (gt === INCOMPLETE) return INCOMPLETE;
    const selfClosing = b.charCodeAt(gt - 1) === Ch.Slash;
    const attrs = b.slice(j, selfClosing ? gt - 1 : gt);
    if (!selfClosing && this.stack.length === 1 && this.on.element) {
      const end = this.on.element(name, attrs, b, gt + 1);
      if (end !== INCOMPLETE) return end;
    }
    this.opened(name, attrs, selfClosing, lt);
    return gt + 1;
  }

  private opened(name: string, attrs: string, selfClosing: boolean, at: number): void {
    if (!this.stack.length) {
      if (this.rootSeen) this.problem(`second root element <${name}>`, at);
      this.rootSeen = true;
    }
    this.on.open(name, attrs);
    if (selfClosing) this.on.close(name);
    else this.stack.push(name);
  }
}

/** The end of a tag name starting at `from`: the first space, '>' or '/' (or the end of `b`). */
export function nameEnd(b: string, from: number): number {
  const n = b.length;
  let j = from;
  while (j < n) {
    const c = b.charCodeAt(j);
    if (isSpace(c) || c === Ch.Gt || c === Ch.Slash) break;
    j++;
  }
  return j;
}

/** The '>' closing a tag whose attributes start at `from` (quoted values may hold '>'); -1 if none yet. */
export function tagEnd(b: string, from: number): number {
  const n = b.length;
  for (let j = from; j < n; j++) {
    const c = b.charCodeAt(j);
    if (c === Ch.Gt) return j;
    if (c === Ch.Quote || c === Ch.Apos) {
      j = b.indexOf(c === Ch.Quote ? '"' : "'", j + 1);
      if (j === -1) return INCOMPLETE;
    }
  }
  return INCOMPLETE;
}

/** The value of attribute `key` in a raw attribute text, entity-decoded; undefined when absent. */
export function attr(raw: string, key: string): string | undefined {
  const n = raw.length;
  let i = raw.indexOf(key);
  while (i !== -1) {
    if (i === 0 || isSpace(raw.charCodeAt(i - 1))) {
      let j = i + key.length;
      while (j < n && isSpace(raw.charCodeAt(j))) j++;
      if (raw.charCodeAt(j) === Ch.Eq) {
        j++;
        while (j < n && isSpace(raw.charCodeAt(j))) j++;
        const q = raw.charCodeAt(j);
        let v: string;
        if (q === Ch.Quote || q === Ch.Apos) {
          const e = raw.indexOf(q === Ch.Quote ? '"' : "'", j + 1);
          v = raw.slice(j + 1, e === -1 ? n : e);
        } else {
          // Unquoted (not XML, but seen in the wild): up to the next space.
          let e = j;
          while (e < n && !isSpace(raw.charCodeAt(e))) e++;
          v = raw.slice(j, e);
        }
        return v.indexOf('&') === -1 ? v : decodeEntities(v);
      }
    }
    i = raw.indexOf(key, i + 1);
  }
  return undefined;
}
