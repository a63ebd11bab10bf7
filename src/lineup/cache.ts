// Last good snapshot of each source on disk (<dataDir>/cache/<sourceId>.json), so a restart with
// the provider down still serves the lineup. Credentials are sealed out before writing: every secret
// of the definition is replaced by a token and put back from the current definition on load, so the
// file never holds a password (and a changed password applies to cached URLs at once).
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { SourceDefinition } from '../sources/definition.js';
import type { SourceSnapshot } from '../sources/types.js';
import { isObject, writeFileAtomic } from '../util/atomic-file.js';

interface CacheFile {
  version: 1;
  fingerprint: string;
  savedAt: string;
  snapshot: SourceSnapshot;
}

type Form = 'r' | 'e' | 'q';
const FORMS: Record<Form, (s: string) => string> = {
  r: (s) => s,
  e: (s) => encodeURIComponent(s),
  q: (s) => new URLSearchParams({ x: s }).toString().slice(2),
};

function sealable(def: SourceDefinition): string[] {
  return def.secrets.filter((s) => s.length >= 3);
}

/** Identity of what a source's entries depend on, secrets excluded (they are sealed separately). */
export function fingerprint(def: SourceDefinition): string {
  const secrets = sealable(def);
  const seal = (v: string) => sealString(v, secrets);
  const d = def as unknown as Record<string, unknown>;
  const parts = {
    type: def.type,
    url: d.url === undefined ? undefined : seal(String(d.url)),
    file: d.file,
    output: d.output,
    userAgent: def.userAgent,
    headers: Object.entries(def.headers).map(([k, v]) => [k, seal(v)]),
    filters: Object.entries(def.filters).map(([k, rs]) => [k, (rs as RegExp[]).map((r) => String(r))]),
    secrets: secrets.length,
  };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 24);
}

export function cachePath(dataDir: string, sourceId: string): string {
  return path.join(dataDir, 'cache', `${sourceId}.json`);
}

export async function writeSourceCache(
  dataDir: string,
  def: SourceDefinition,
  snapshot: SourceSnapshot,
  savedAt: string,
): Promise<void> {
  const secrets = sealable(def);
  const body = JSON.stringify(
    { version: 1, fingerprint: fingerprint(def), savedAt, snapshot } satisfies CacheFile,
    (_k, v: unknown) => (typeof v === 'string' ? sealString(v, secrets) : v),
  );
  await writeFileAtomic(cachePath(dataDir, def.id), body);
}

/** The cached snapshot, if there is one for this exact source (same fingerprint). */
export async function readSourceCache(
  dataDir: string,
  def: SourceDefinition,
): Promise<{ snapshot: SourceSnapshot; savedAt: string } | undefined> {
  let text: string;
  try {
    text = await readFile(cachePath(dataDir, def.id), 'utf8');
  } catch {
    return undefined;
  }
  const secrets = sealable(def);
  const shared = new Map<string, unknown>();
  let v: unknown;
  try {
    v = JSON.parse(text, (key, value: unknown) => {
      if (typeof value === 'string') return unsealString(value, secrets);
      // Entries of one source mostly share one header object: keep it shared in memory.
      if (key === 'headers' && isObject(value)) {
        const k = JSON.stringify(value);
        const known = shared.get(k);
        if (known) return known;
        shared.set(k, value);
      }
      return value;
    });
  } catch {
    return undefined;
  }
  if (!isObject(v) || v.version !== 1 || v.fingerprint !== fingerprint(def) || !isObject(v.snapshot))
    return undefined;
  const snap = v.snapshot as unknown as SourceSnapshot;
  if (!Array.isArray(snap.entries)) return undefined;
  return { snapshot: snap, savedAt: String(v.savedAt) };
}

export async function removeSourceCache(dataDir: string, sourceId: string): Promise<void> {
  await rm(cachePath(dataDir, sourceId), { force: true });
}

const TOKEN = /\{\{tb-secret:(\d+):([req])\}\}/g;

export function sealString(s: string, secrets: readonly string[]): string {
  let out = s;
  // Longest first, so a secret that contains another is sealed whole.
  const order = secrets.map((v, i) => [v, i] as const).sort((a, b) => b[0].length - a[0].length);
  for (const [secret, i] of order) {
    for (const form of ['r', 'e', 'q'] as Form[]) {
      const enc = FORMS[form](secret);
      if (out.includes(enc)) out = out.split(enc).join(`{{tb-secret:${i}:${form}}}`);
    }
  }
  return out;
}

export function unsealString(s: string, secrets: readonly string[]): string {
  if (!s.includes('{{tb-secret:')) return s;
  return s.replace(TOKEN, (m, i: string, form: Form) => {
    const secret = secrets[Number(i)];
    return secret === undefined ? m : FORMS[form](secret);
  });
}
