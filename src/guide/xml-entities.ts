// Entity decoding for XML text and attribute values. Provider XMLTV often carries HTML named
// entities (`&eacute;`), which are not XML; they are decoded from the HTML 4 table rather than
// failing the whole document. Anything unknown stays literal and is reported by the caller.

// HTML 4 Latin-1 entities, code points 160..255 in order.
const LATIN1 =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 ' +
  'acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde ' +
  'Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute ' +
  'Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde ' +
  'auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ' +
  'ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml';

const SPECIAL: Readonly<Record<string, number>> = {
  OElig: 338,
  oelig: 339,
  Scaron: 352,
  scaron: 353,
  Yuml: 376,
  fnof: 402,
  circ: 710,
  tilde: 732,
  ensp: 8194,
  emsp: 8195,
  thinsp: 8201,
  zwnj: 8204,
  zwj: 8205,
  lrm: 8206,
  rlm: 8207,
  ndash: 8211,
  mdash: 8212,
  lsquo: 8216,
  rsquo: 8217,
  sbquo: 8218,
  ldquo: 8220,
  rdquo: 8221,
  bdquo: 8222,
  dagger: 8224,
  Dagger: 8225,
  bull: 8226,
  hellip: 8230,
  permil: 8240,
  prime: 8242,
  Prime: 8243,
  lsaquo: 8249,
  rsaquo: 8250,
  euro: 8364,
  trade: 8482,
  larr: 8592,
  rarr: 8594,
  hearts: 9829,
};

export const ENTITIES: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>([
    ['amp', '&'],
    ['lt', '<'],
    ['gt', '>'],
    ['quot', '"'],
    ['apos', "'"],
  ]);
  LATIN1.split(' ').forEach((name, i) => m.set(name, String.fromCharCode(160 + i)));
  for (const [name, cp] of Object.entries(SPECIAL)) m.set(name, String.fromCharCode(cp));
  return m;
})();

const REF = /&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});/g;

/**
 * Decode character and entity references. `onUnknown` is called for a named entity that is
 * neither XML nor HTML; it stays in the text as written. A bare `&` also stays as written.
 */
export function decodeEntities(s: string, onUnknown?: (name: string) => void): string {
  let amp = s.indexOf('&');
  if (amp === -1) return s;
  // Fast path for the five XML entities, by far the most common (no regex, no callback).
  let out = '';
  let from = 0;
  while (amp !== -1) {
    const semi = s.indexOf(';', amp + 2);
    const len = semi - amp - 1;
    const v = len >= 2 && len <= 4 ? ENTITIES_XML.get(s.slice(amp + 1, semi)) : undefined;
    if (v === undefined) return slowDecode(s, onUnknown);
    out += s.slice(from, amp) + v;
    from = semi + 1;
    amp = s.indexOf('&', from);
  }
  return out + s.slice(from);
}

const ENTITIES_XML = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
]);

function slowDecode(s: string, onUnknown?: (name: string) => void): string {
  return s.replace(REF, (whole, ref: string) => {
    if (ref.charCodeAt(0) === 35 /* # */) {
      const cp = ref.charCodeAt(1) === 120 /* x */ ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '';
    }
    const v = ENTITIES.get(ref);
    if (v !== undefined) return v;
    onUnknown?.(ref);
    return whole;
  });
}
