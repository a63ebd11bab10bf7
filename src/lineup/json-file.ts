// Small persisted JSON documents (channel map, overrides, lineup cache): atomic replace so a crash
// mid-write never leaves a half file, and a corrupt file is moved aside rather than silently lost.
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Write `data` to `file` via a temp file in the same directory, fsync, then rename. */
export async function writeFileAtomic(file: string, data: string, mode = 0o600): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

export type ReadJsonResult<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'missing' }
  /** Unparseable: the file was renamed to `movedTo` so the next write does not destroy it. */
  | { readonly status: 'corrupt'; readonly movedTo: string; readonly reason: string };

export async function readJsonFile<T>(
  file: string,
  valid: (v: unknown) => v is T,
): Promise<ReadJsonResult<T>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    throw err;
  }
  let reason = 'unexpected content';
  try {
    const v: unknown = JSON.parse(text);
    if (valid(v)) return { status: 'ok', value: v };
  } catch (err) {
    reason = (err as Error).message;
  }
  const movedTo = `${file}.corrupt-${Date.now()}`;
  await rename(file, movedTo);
  return { status: 'corrupt', movedTo, reason };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
