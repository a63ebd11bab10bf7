// Persisted files (identity, source definitions, channel map, overrides, caches, guide): each is
// replaced atomically (temp file in the same directory + fsync + rename), so a crash mid-write
// leaves the old file or the new one, never a half file; a corrupt JSON file is moved aside
// rather than silently overwritten by the next save.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

export interface AtomicWriteOptions {
  /**
   * Permission bits of the file (the umask still applies). Default 0o600: most of these files hold
   * credentials or the device identity.
   */
  readonly mode?: number;
}

/**
 * Have `write` create the new file under a unique temp name next to `file` (rename is only atomic
 * within one file system; unique so concurrent writers never share a temp file), flushed to disk
 * (`flush`: fsync before close), then rename it over `file`. On any failure the temp file is
 * removed and `file` is left as it was.
 */
async function replaceFile<T>(file: string, write: (tmp: string) => Promise<T>): Promise<T> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const result = await write(tmp);
    await rename(tmp, file);
    return result;
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Replace `file` with `data` (a string is written as UTF-8). */
export function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  return replaceFile(file, (tmp) => writeFile(tmp, data, { mode: opts.mode ?? 0o600, flush: true }));
}

export interface JsonWriteOptions extends AtomicWriteOptions {
  /** `JSON.stringify` indentation; none by default. */
  readonly indent?: number;
}

/** Replace `file` with `value` as JSON text ending in a newline. */
export function writeJsonAtomic(file: string, value: unknown, opts: JsonWriteOptions = {}): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(value, null, opts.indent)}\n`, opts);
}

/**
 * Replace `file` with what `fill` streams into `out` (`fill` must not end it), for files too large
 * to build in memory. Readers keep seeing the old file until the new one is complete.
 */
export function writeStreamAtomic<T>(
  file: string,
  fill: (out: Writable) => Promise<T>,
  opts: AtomicWriteOptions & { readonly highWaterMark?: number } = {},
): Promise<T> {
  return replaceFile(file, async (tmp) => {
    const out = createWriteStream(tmp, {
      mode: opts.mode ?? 0o600,
      flush: true,
      highWaterMark: opts.highWaterMark,
    });
    try {
      const result = await fill(out);
      out.end();
      await finished(out); // resolves once the file is flushed and closed
      return result;
    } catch (err) {
      out.destroy();
      await finished(out).catch(() => undefined); // closed before the temp file is removed
      throw err;
    }
  });
}

/** The file's text, or undefined when it does not exist (any other error is thrown). */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export type ReadJsonResult<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'missing' }
  /** Unparseable: the file was renamed to `movedTo` so the next write does not destroy it. */
  | { readonly status: 'corrupt'; readonly movedTo: string; readonly reason: string };

/** Read a JSON document checked by `valid`; an unparseable or invalid one is moved to `<file>.corrupt-<ms>`. */
export async function readJsonFile<T>(
  file: string,
  valid: (v: unknown) => v is T,
): Promise<ReadJsonResult<T>> {
  const text = await readTextIfExists(file);
  if (text === undefined) return { status: 'missing' };
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
