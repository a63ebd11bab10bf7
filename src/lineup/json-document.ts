// A small JSON document of the lineup (channel map, overrides): kept in memory, read once, and
// written back atomically only when something changed.
import { readJsonFile, writeJsonAtomic } from '../util/atomic-file.js';

/** Told where a corrupt document was moved and why it was rejected. */
export type OnCorrupt = (movedTo: string, reason: string) => void;

/** The stored document, or `fresh()` when there is none or it is corrupt (moved aside, reported). */
export async function loadDocument<T>(
  file: string,
  valid: (v: unknown) => v is T,
  fresh: () => T,
  onCorrupt?: OnCorrupt,
): Promise<T> {
  const r = await readJsonFile(file, valid);
  if (r.status === 'corrupt') onCorrupt?.(r.movedTo, r.reason);
  return r.status === 'ok' ? r.value : fresh();
}

export abstract class JsonDocument<T> {
  /** Set by every change; cleared by a successful save. */
  protected dirty = false;

  protected constructor(
    private readonly file: string,
    protected readonly data: T,
  ) {}

  /** Write the document if it changed; after a failed write the next save tries again. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await writeJsonAtomic(this.file, this.data, { indent: 1 });
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }
}
