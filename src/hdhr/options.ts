// Options objects often come straight from config, where an unset setting is `undefined`;
// spreading that over the defaults would erase them.

/** A copy of `o` without its undefined properties. */
export function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
