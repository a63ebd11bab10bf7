// --help text for the settings options, generated from the settings table.
import { constraintText, defaultText, flagUsage } from './describe.js';
import { LEAVES, type Leaf } from './schema.js';

const WIDTH = 44;

function line(leaf: Leaf): string {
  const f = leaf.field;
  const extras = [constraintText(f), defaultText(f) ? `default: ${defaultText(f)}` : ''].filter(Boolean);
  const usage = `  ${flagUsage(leaf)}`;
  const text = `${f.description}${extras.length ? ` [${extras.join('; ')}]` : ''}`;
  return usage.length < WIDTH ? `${usage.padEnd(WIDTH)}${text}` : `${usage}\n${' '.repeat(WIDTH)}${text}`;
}

/** Option help: one line per setting, grouped by section. */
export function settingsHelp(): string {
  const out = [
    'Settings (each option overrides <data-dir>/settings.json; each also reads an environment variable',
    'named TUNERBRIDGE_ + the option in upper snake case, e.g. --streaming-stall-ms → TUNERBRIDGE_STREAMING_STALL_MS):',
  ];
  let section = '';
  let nested = false;
  for (const leaf of LEAVES) {
    // Top-level settings listed after a section (webhooks) get a heading of their own.
    nested ||= leaf.path.length > 1;
    const s = leaf.path.length > 1 ? leaf.path.slice(0, -1).join('.') : nested ? leaf.key : 'general';
    if (s !== section) out.push('', `${s}:`);
    section = s;
    out.push(line(leaf));
  }
  return out.join('\n') + '\n';
}
