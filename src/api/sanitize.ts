// Everything the admin API returns passes through `sanitize`: secret-named fields become a placeholder,
// URL-looking strings are masked (maskUrl) and any registered secret is redacted. Source definitions use
// the same placeholder, and `restoreSecrets` puts the stored secret back when an edit sends the
// placeholder (or the masked URL) unchanged, so editing a source never requires re-typing its password.
import { maskUrl, redact } from '../util/redact.js';

export const SECRET_PLACEHOLDER = '********';

const SECRET_KEY =
  /^(password|passwd|pass|username|user|token|secret|api[_-]?key|apikey|authorization|cookie|deviceauth|admin[_-]?(token|password))$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || /(password|secret|token)$/i.test(key);
}

function maskString(s: string): string {
  return s.includes('://') ? maskUrl(s) : redact(s);
}

/** Deep copy of a JSON-ish value with secrets replaced; safe to send to a browser. */
export function sanitize(value: unknown, depth = 0): unknown {
  if (depth > 32) return null;
  if (typeof value === 'string') return maskString(value);
  if (Array.isArray(value)) return value.map((v) => sanitize(v, depth + 1));
  if (value instanceof Map) return sanitize(Object.fromEntries(value), depth);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (isSecretKey(k) && typeof v === 'string') out[k] = v === '' ? '' : SECRET_PLACEHOLDER;
      else out[k] = sanitize(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return undefined;
  return value;
}

/**
 * Merge an edited definition with the stored one: a secret field still holding the placeholder, or a URL
 * still in its masked display form, keeps the stored value. Everything else is taken from `incoming`.
 */
export function restoreSecrets(incoming: unknown, stored: unknown, key = ''): unknown {
  if (typeof incoming === 'string') {
    if (typeof stored !== 'string') return incoming === SECRET_PLACEHOLDER ? undefined : incoming;
    if (isSecretKey(key) && incoming === SECRET_PLACEHOLDER) return stored;
    if (incoming !== stored && incoming === maskString(stored)) return stored;
    return incoming;
  }
  if (Array.isArray(incoming)) {
    const s = Array.isArray(stored) ? stored : [];
    return incoming.map((v, i) => restoreSecrets(v, s[i], key));
  }
  if (incoming && typeof incoming === 'object') {
    const s =
      stored && typeof stored === 'object' && !Array.isArray(stored)
        ? (stored as Record<string, unknown>)
        : {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(incoming)) {
      const r = restoreSecrets(v, s[k], k);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  return incoming;
}

/** True when any string in `value` is still the placeholder (a new source cannot have one). */
export function hasPlaceholder(value: unknown): boolean {
  if (value === SECRET_PLACEHOLDER) return true;
  if (Array.isArray(value)) return value.some(hasPlaceholder);
  if (value && typeof value === 'object') return Object.values(value).some(hasPlaceholder);
  return false;
}

/** For each dotted path whose parent exists and is an object: that parent and the last key. */
function* slots(root: unknown, paths: readonly string[]): Generator<[Record<string, unknown>, string]> {
  for (const dotted of paths) {
    const parts = dotted.split('.');
    const last = parts.pop()!;
    let parent = root;
    for (const p of parts)
      parent = parent && typeof parent === 'object' ? (parent as Record<string, unknown>)[p] : undefined;
    if (parent && typeof parent === 'object') yield [parent as Record<string, unknown>, last];
  }
}

/** Copy of `settings` with the value at each dotted secret path replaced by the placeholder. */
export function maskPaths(settings: unknown, paths: readonly string[]): unknown {
  const out = structuredClone(settings) as Record<string, unknown>;
  for (const [parent, last] of slots(out, paths)) {
    const v = parent[last];
    if (typeof v === 'string' && v !== '') parent[last] = SECRET_PLACEHOLDER;
    else if (Array.isArray(v)) parent[last] = v.map(() => SECRET_PLACEHOLDER);
  }
  return out;
}

/**
 * Remove from a settings patch every secret still holding the placeholder (the admin did not change
 * it), including `webhooks[i].secret` style fields found by name. Returns a new object.
 */
export function dropPlaceholders(
  patch: Record<string, unknown>,
  paths: readonly string[],
): Record<string, unknown> {
  const out = structuredClone(patch);
  for (const [parent, last] of slots(out, paths)) {
    const v = parent[last];
    if (
      v === SECRET_PLACEHOLDER ||
      (Array.isArray(v) && v.length > 0 && v.every((x) => x === SECRET_PLACEHOLDER))
    )
      delete parent[last];
  }
  return out;
}
