// Strings sliced from a decoded chunk keep the whole chunk alive. Anything kept beyond the
// chunk (memo keys, ids) must be a copy.

/** An exact copy of `s` (any UTF-16, lone surrogates included) that shares nothing with it. */
export function detach(s: string): string {
  return s.length ? Buffer.from(s, 'utf16le').toString('utf16le') : s;
}

/** A copy of `s` through UTF-8 (lone surrogates become U+FFFD): for ids and names kept from input. */
export const own = (s: string): string => (s.length > 0 ? Buffer.from(s, 'utf8').toString('utf8') : s);
