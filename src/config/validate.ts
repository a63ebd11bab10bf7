// Schema validation with the same engine conf uses (Ajv, 2020-12 class), turned into user-facing issues:
// a dotted setting path, a plain-English reason and the offending value (never for secret settings).
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { isValidDeviceId } from '../hdhr/device-id.js';
import { LEAVES, settingsSchema, type Leaf } from './schema.js';

export interface Issue {
  /** Dotted path: `streaming.stallMs`, `webhooks[0].url`. */
  readonly field: string;
  /** The setting the issue belongs to; undefined for unknown keys. */
  readonly leaf: Leaf | undefined;
  readonly reason: string;
}

const ajv = new Ajv2020({ allErrors: true, useDefaults: false });
const check = ajv.compile(settingsSchema);

const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  string: 'a string',
  array: 'a list',
  object: 'an object',
};
const DURATION_HINT = 'a duration such as 30m, 6h, 1d or a number of seconds';

/** Segments of an Ajv instancePath (`/webhooks/0/url` → ['webhooks', '0', 'url']). */
const segments = (instancePath: string): string[] =>
  instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

const dotted = (segs: readonly string[]): string =>
  segs.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');

const leafOf = (segs: readonly string[]): Leaf | undefined =>
  LEAVES.find((l) => l.path.length <= segs.length && l.path.every((p, i) => p === segs[i]));

function valueAt(root: unknown, segs: readonly string[]): unknown {
  let v = root;
  for (const s of segs)
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[s] : undefined;
  return v;
}

function reasonOf(e: ErrorObject, leaf: Leaf | undefined, atLeaf: boolean): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return `must be ${TYPE_WORDS[String(p.type)] ?? String(p.type)}`;
    case 'minimum':
    case 'maximum':
      return `must be ${String(p.comparison)} ${String(p.limit)}`;
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'minLength':
      return 'must not be empty';
    case 'uniqueItems':
      return 'must not repeat an item';
    case 'pattern': {
      const f = leaf?.field;
      if (f?.kind === 'duration') return `must be ${DURATION_HINT}`;
      if (f && (f.kind === 'string' || f.kind === 'list') && f.hint) return `must be ${f.hint}`;
      if (f?.kind === 'webhooks' && !atLeaf) return 'must be an http(s):// URL';
      return `must match ${String(p.pattern)}`;
    }
    default:
      return e.message ?? e.keyword;
  }
}

/** Every problem with `value` as a settings object (one per location), plus checks JSON schema can't express. */
export function validateSettings(value: unknown): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  if (!check(value)) {
    for (const e of check.errors ?? []) {
      const segs = segments(e.instancePath);
      const p = e.params as Record<string, unknown>;
      if (e.keyword === 'additionalProperties' || e.keyword === 'required') {
        const name = String(p.additionalProperty ?? p.missingProperty);
        const reason = e.keyword === 'required' ? 'is required' : 'is not a known setting';
        issues.push({ field: dotted([...segs, name]), leaf: leafOf(segs), reason });
        continue;
      }
      const field = dotted(segs);
      if (seen.has(field)) continue; // a wrong type also fails enum/pattern: report it once
      seen.add(field);
      const leaf = leafOf(segs);
      let reason = reasonOf(e, leaf, leaf?.path.length === segs.length);
      if (!leaf?.field.secret) reason += ` (got ${JSON.stringify(valueAt(value, segs))})`;
      issues.push({ field, leaf, reason });
    }
  }
  const deviceId = valueAt(value, ['device', 'deviceId']);
  if (typeof deviceId === 'string' && /^[0-9A-Fa-f]{8}$/.test(deviceId) && !isValidDeviceId(deviceId)) {
    issues.push({
      field: 'device.deviceId',
      leaf: leafOf(['device', 'deviceId']),
      reason: `has an invalid check digit (got "${deviceId}"); clients reject it, leave it empty to generate one`,
    });
  }
  return issues;
}
