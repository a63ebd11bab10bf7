// Wording shared by --help and the README reference, derived from the settings table.
import type { Field, Leaf } from './schema.js';

/** The default as a user would type it (lists comma-separated); empty string when there is none. */
export function defaultText(f: Field): string {
  if (f.kind === 'webhooks') return JSON.stringify(f.default);
  if (f.kind === 'list') return f.default.join(',');
  return String(f.default);
}

/** Allowed values or range, e.g. `1–65535` or `lowest, highest`; empty when free-form. */
export function constraintText(f: Field): string {
  switch (f.kind) {
    case 'integer':
      return `${f.min}–${f.max}`;
    case 'enum':
      return f.values.join(', ');
    case 'list':
      return f.values ? `items: ${f.values.join(', ')}` : '';
    case 'duration':
      return 'e.g. 30m, 6h, 1d, or seconds';
    default:
      return '';
  }
}

/** Placeholder of the flag's value. */
export function placeholder(f: Field): string {
  switch (f.kind) {
    case 'integer':
      return '<n>';
    case 'boolean':
      return '';
    case 'enum': {
      const all = f.values.join('|');
      return all.length <= 24 ? `<${all}>` : '<value>';
    }
    case 'duration':
      return '<duration>';
    case 'list':
      return '<a,b,…>';
    case 'webhooks':
      return '<json>';
    default:
      return '<text>';
  }
}

/** `--[no-]ssdp` for booleans, `--port <n>` otherwise. */
export function flagUsage(leaf: Leaf): string {
  if (leaf.field.kind === 'boolean') return `--[no-]${leaf.flag.slice(2)}`;
  return `${leaf.flag} ${placeholder(leaf.field)}`;
}
