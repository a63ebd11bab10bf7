// The README's configuration reference, generated from the settings table so that it cannot go stale
// (test/config/readme.test.ts compares the README with this output).
import { constraintText, defaultText, placeholder } from './describe.js';
import { LEAVES, type Leaf } from './schema.js';

export const REFERENCE_START = '<!-- config:start -->';
export const REFERENCE_END = '<!-- config:end -->';

const cell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string): string => (s ? `\`${s}\`` : '');

function row(leaf: Leaf): string {
  const f = leaf.field;
  const flag =
    f.kind === 'boolean' ? `${leaf.flag}, --no-${leaf.flag.slice(2)}` : `${leaf.flag} ${placeholder(f)}`;
  const allowed = constraintText(f);
  const description = allowed ? `${f.description} (${allowed})` : f.description;
  const def = f.kind === 'string' && !f.default ? '(empty)' : defaultText(f) || '(none)';
  return `| ${[code(leaf.key), code(flag), code(leaf.env), code(def), description].map(cell).join(' | ')} |`;
}

/** Markdown table: setting (JSON path in settings.json), flag, env var, default, description. */
export function renderConfigReference(): string {
  return [
    '| Setting | Flag | Env var | Default | Description |',
    '| --- | --- | --- | --- | --- |',
    ...LEAVES.map(row),
  ].join('\n');
}

/** `readme` with the text between the config markers replaced by the current reference. */
export function spliceConfigReference(readme: string): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start < 0 || end < start) throw new Error(`README lacks ${REFERENCE_START} … ${REFERENCE_END} markers`);
  return `${readme.slice(0, start + REFERENCE_START.length)}\n${renderConfigReference()}\n${readme.slice(end)}`;
}
