// Environment variables (TUNERBRIDGE_<PATH>) and CLI flags (--<path>) that override settings.json.
// Values arrive as text and are coerced by the setting's type; limits are checked later on the merged result.
import type { Problem } from './errors.js';
import { LEAVES, type Leaf } from './schema.js';

export interface Override {
  readonly leaf: Leaf;
  readonly value: unknown;
  readonly origin: 'env' | 'flag';
  /** The env var or the flag as the user wrote it (`--no-ssdp`). */
  readonly name: string;
}

export interface Overrides {
  readonly overrides: Override[];
  readonly problems: Problem[];
}

const byFlag = new Map(LEAVES.map((l) => [l.flag, l]));
const byEnv = new Map(LEAVES.map((l) => [l.env, l]));
export const ENV_PREFIX = 'TUNERBRIDGE_';

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);
const isBoolWord = (s: string | undefined): s is string =>
  s !== undefined && (TRUE.has(s.toLowerCase()) || FALSE.has(s.toLowerCase()));

type Coerced = { ok: true; value: unknown } | { ok: false; reason: string };

const got = (leaf: Leaf, raw: string): string => (leaf.field.secret ? '' : ` (got ${JSON.stringify(raw)})`);

/** Text → typed value, by the setting's kind. */
export function coerce(leaf: Leaf, raw: string): Coerced {
  switch (leaf.field.kind) {
    case 'integer':
      return /^[+-]?\d+$/.test(raw.trim())
        ? { ok: true, value: Number(raw.trim()) }
        : { ok: false, reason: `must be an integer${got(leaf, raw)}` };
    case 'boolean':
      return isBoolWord(raw)
        ? { ok: true, value: TRUE.has(raw.toLowerCase()) }
        : { ok: false, reason: `must be true or false${got(leaf, raw)}` };
    case 'list': {
      const text = raw.trim();
      if (!text.startsWith('[')) return { ok: true, value: text ? text.split(',').map((s) => s.trim()) : [] };
      return parseJson(leaf, text, 'a comma-separated list or a JSON array');
    }
    case 'webhooks':
      return parseJson(leaf, raw, 'a JSON list of {"url", "events", "secret"} objects');
    default:
      return { ok: true, value: raw };
  }
}

function parseJson(leaf: Leaf, text: string, what: string): Coerced {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) return { ok: true, value };
  } catch {
    // reported below, without echoing text that may hold secrets
  }
  return { ok: false, reason: `must be ${what}${got(leaf, text)}` };
}

/** TUNERBRIDGE_* variables. Unknown ones are problems: a typo must not be silently ignored. */
export function fromEnv(env: NodeJS.ProcessEnv): Overrides {
  const out: Overrides = { overrides: [], problems: [] };
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const leaf = byEnv.get(name);
    if (!leaf) {
      out.problems.push({ file: name, field: '', reason: 'is not a known setting' });
      continue;
    }
    const c = coerce(leaf, raw);
    if (c.ok) out.overrides.push({ leaf, value: c.value, origin: 'env', name });
    else out.problems.push({ file: name, field: leaf.key, reason: c.reason });
  }
  return out;
}

/**
 * CLI options: `--port 5005`, `--port=5005`, `--no-ssdp`, `--ssdp=false`, lists comma-separated (repeating a
 * list flag appends). `argv` holds options only: the CLI strips the command and handles --help itself.
 */
export function fromArgv(argv: readonly string[]): Overrides {
  const out: Overrides = { overrides: [], problems: [] };
  const lists = new Map<Leaf, unknown[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const takeNext = (): string | undefined => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) return undefined;
      i++;
      return next;
    };
    if (!arg.startsWith('--') || arg === '--') {
      out.problems.push({
        file: arg,
        field: '',
        reason: arg.startsWith('-') ? 'unknown option' : 'unexpected argument',
      });
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    let leaf = byFlag.get(flag);
    let negated = false;
    if (!leaf && flag.startsWith('--no-')) {
      const positive = byFlag.get(`--${flag.slice(5)}`);
      if (positive?.field.kind === 'boolean') [leaf, negated] = [positive, true];
    }
    if (!leaf) {
      out.problems.push({ file: flag, field: '', reason: 'unknown option' });
      if (inline === undefined) takeNext(); // its value, if any, is not a separate mistake
      continue;
    }
    let raw: string | undefined;
    if (negated) {
      if (inline !== undefined) {
        out.problems.push({ file: flag, field: leaf.key, reason: 'takes no value' });
        continue;
      }
      raw = 'false';
    } else if (leaf.field.kind === 'boolean') {
      raw = inline ?? (isBoolWord(argv[i + 1]) ? takeNext() : 'true');
    } else {
      raw = inline ?? takeNext();
      if (raw === undefined) {
        out.problems.push({ file: flag, field: leaf.key, reason: 'needs a value' });
        continue;
      }
    }
    const c = coerce(leaf, raw!);
    if (!c.ok) {
      out.problems.push({ file: flag, field: leaf.key, reason: c.reason });
      continue;
    }
    let value = c.value;
    if (leaf.field.kind === 'list' && Array.isArray(value)) {
      const acc = [...(lists.get(leaf) ?? []), ...(value as unknown[])];
      lists.set(leaf, acc);
      value = acc;
    }
    out.overrides.push({ leaf, value, origin: 'flag', name: flag });
  }
  return out;
}
