// Escaping text for XMLTV output: markup escaped, characters XML forbids removed, whitespace
// folded. Called millions of times per large guide, so the common case (nothing to change) is
// detected cheaply and returns the string itself.

// Characters XML 1.0 forbids (C0 controls except tab/LF/CR, U+FFFE/U+FFFF, lone surrogates).
// eslint-disable-next-line no-control-regex
const MAYBE_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const ILLEGAL =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
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

// replaceAll with a string pattern: no regex engine, measurably faster on millions of titles.
function escapeMarkup(s: string): string {
  if (s.indexOf('&') !== -1) s = s.replaceAll('&', '&amp;');
  if (s.indexOf('<') !== -1) s = s.replaceAll('<', '&lt;');
  if (s.indexOf('>') !== -1) s = s.replaceAll('>', '&gt;');
  if (s.indexOf('"') !== -1) s = s.replaceAll('"', '&quot;');
  if (s.indexOf("'") !== -1) s = s.replaceAll("'", '&apos;');
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
