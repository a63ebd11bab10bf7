// Source definitions on disk: one tuners/<id>.json per source. A write validates first and then
// replaces the file atomically (temp file + fsync + rename in the same directory), so a bad edit or a
// crash mid-write never loses the previous definition.
import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isObject, readTextIfExists, writeJsonAtomic } from '../util/atomic-file.js';
import type { SourceStorePort } from './ports.js';

/** Same rule as src/sources/definition.ts: the file name is the id; `demo` is reserved. */
export const SOURCE_ID = /^(?!demo$)[a-z0-9][a-z0-9_.-]{0,63}$/i;

export type SourceValidator = (definition: Record<string, unknown>, id: string) => unknown;

export interface FileSourceStoreOptions {
  readonly dir: string;
  /**
   * Definition validator (src/sources/definition.ts). Throws an Error carrying `field` on invalid input;
   * may return the normalised definition to store.
   */
  readonly validate?: SourceValidator;
}

export function createFileSourceStore(opts: FileSourceStoreOptions): SourceStorePort {
  const file = (id: string): string => {
    if (!SOURCE_ID.test(id)) throw Object.assign(new Error('invalid source id'), { field: 'id' });
    return path.join(opts.dir, `${id}.json`);
  };
  let queue: Promise<unknown> = Promise.resolve();
  // Writes are serialised so two quick edits cannot interleave their renames.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  async function read(id: string): Promise<Record<string, unknown> | undefined> {
    const text = await readTextIfExists(file(id));
    if (text === undefined) return undefined;
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : {};
  }

  return {
    async list() {
      let names: string[];
      try {
        names = await readdir(opts.dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const ids = names
        .filter((n) => n.endsWith('.json'))
        .map((n) => n.slice(0, -5))
        .filter((id) => SOURCE_ID.test(id))
        .sort();
      const out: { id: string; definition: Record<string, unknown> }[] = [];
      for (const id of ids) {
        try {
          out.push({ id, definition: (await read(id)) ?? {} });
        } catch {
          out.push({ id, definition: {} }); // unreadable file: listed so the admin can fix or delete it
        }
      }
      return out;
    },

    get: (id) => read(id),

    put: (id, definition) =>
      serial(async () => {
        const target = file(id);
        const checked = opts.validate ? await opts.validate(definition, id) : undefined;
        const value = isObject(checked) ? checked : definition;
        // 0600 (the default): definitions hold provider credentials.
        await writeJsonAtomic(target, value, { indent: 2 });
        return value;
      }),

    remove: (id) =>
      serial(async () => {
        try {
          await unlink(file(id));
          return true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
          throw err;
        }
      }),
  };
}
