// User overrides that survive refreshes (<dataDir>/overrides.json): per-channel patches (pinned
// number, name, disabled, logo, group, candidate order) and structure changes (merge several
// channels into one, split candidates out into a channel of their own). Keys are merge keys;
// candidates are `<sourceId>:<streamId>`.
import { createHash } from 'node:crypto';
import { GUIDE_NUMBER, normaliseNumber } from './channel-map.js';
import { isObject } from '../util/atomic-file.js';
import { JsonDocument, loadDocument, type OnCorrupt } from './json-document.js';

export interface ChannelOverride {
  readonly guideNumber?: string;
  readonly name?: string;
  readonly disabled?: boolean;
  readonly logo?: string;
  readonly group?: string;
  /** Candidate ids, preferred first; candidates not listed keep their order after these. */
  readonly candidateOrder?: readonly string[];
}

/** A patch: a field set to `null` removes that override. */
export type OverridePatch = { readonly [K in keyof ChannelOverride]?: ChannelOverride[K] | null };

interface OverridesFile {
  version: 1;
  channels: Record<string, ChannelOverride>;
  /** Merged-away key → key it now belongs to. */
  merges: Record<string, string>;
  /** Candidate id → key of the channel it was split into. */
  splits: Record<string, string>;
}

/** An invalid override request; `field` names what is wrong (for the admin API). */
export class OverrideError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'OverrideError';
  }
}

export class Overrides extends JsonDocument<OverridesFile> {
  static async load(file: string, onCorrupt?: OnCorrupt): Promise<Overrides> {
    const fresh = (): OverridesFile => ({ version: 1, channels: {}, merges: {}, splits: {} });
    return new Overrides(file, await loadDocument(file, isOverridesFile, fresh, onCorrupt));
  }

  get(key: string): ChannelOverride | undefined {
    return this.data.channels[key];
  }

  /** Every pinned GuideNumber, so automatic numbering never hands them out. */
  pinnedNumbers(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, o] of Object.entries(this.data.channels)) if (o.guideNumber) out.set(o.guideNumber, key);
    return out;
  }

  /** Apply a patch; returns the resulting override. Validates every field. */
  set(key: string, patch: OverridePatch): ChannelOverride {
    const cur: Record<string, unknown> = { ...this.data.channels[key] };
    for (const [field, value] of Object.entries(patch) as [keyof ChannelOverride, unknown][]) {
      if (value === null || value === undefined) {
        delete cur[field];
        continue;
      }
      cur[field] = validateField(field, value);
    }
    if (Object.keys(cur).length === 0) delete this.data.channels[key];
    else this.data.channels[key] = cur as ChannelOverride;
    this.dirty = true;
    return cur as ChannelOverride;
  }

  /** Remove every override of `key`: its patch, merges into or out of it, splits into it. */
  clear(key: string): boolean {
    let changed = key in this.data.channels;
    delete this.data.channels[key];
    for (const [from, to] of Object.entries(this.data.merges)) {
      if (from !== key && to !== key) continue;
      delete this.data.merges[from];
      changed = true;
    }
    for (const [cid, to] of Object.entries(this.data.splits)) {
      if (to !== key) continue;
      delete this.data.splits[cid];
      changed = true;
    }
    this.dirty ||= changed;
    return changed;
  }

  /** Merge `keys[1..]` into `keys[0]`; returns the target key. */
  merge(keys: readonly string[]): string {
    const target = this.resolve(keys[0] ?? '');
    if (keys.length < 2 || !keys[0])
      throw new OverrideError('give at least two channel keys to merge', 'keys');
    for (const k of keys.slice(1)) {
      if (this.resolve(k) === target) continue;
      this.data.merges[k] = target;
    }
    // Anything that pointed at a merged-away key follows it.
    for (const [from, to] of Object.entries(this.data.merges)) this.data.merges[from] = this.resolve(to);
    this.dirty = true;
    return target;
  }

  /** Move the given candidates out of their channel into a new one; returns the new key. */
  split(key: string, candidateIds: readonly string[]): string {
    if (candidateIds.length === 0)
      throw new OverrideError('give at least one candidate id to split out', 'candidateIds');
    const ids = [...new Set(candidateIds)].sort();
    const newKey = `split:${createHash('sha256')
      .update(`${key}\n${ids.join('\n')}`)
      .digest('hex')
      .slice(0, 12)}`;
    for (const id of ids) this.data.splits[id] = newKey;
    this.dirty = true;
    return newKey;
  }

  /** Where a candidate goes, given the key the merge would give it. */
  route(candidateId: string, naturalKey: string): string {
    return this.resolve(this.data.splits[candidateId] ?? naturalKey);
  }

  private resolve(key: string): string {
    let k = key;
    for (let i = 0; i < 32 && this.data.merges[k] !== undefined && this.data.merges[k] !== k; i++)
      k = this.data.merges[k]!;
    return k;
  }
}

function validateField(field: string, value: unknown): unknown {
  switch (field) {
    case 'guideNumber': {
      const n =
        typeof value === 'string' || typeof value === 'number' ? normaliseNumber(String(value)) : undefined;
      if (!n || !GUIDE_NUMBER.test(n)) {
        throw new OverrideError('GuideNumber must be digits with at most one dot (e.g. 101 or 5.1)', field);
      }
      return n;
    }
    case 'name':
    case 'logo':
    case 'group':
      if (typeof value !== 'string' || value.trim() === '' || value.length > 500) {
        throw new OverrideError(`${field} must be a non-empty string`, field);
      }
      return value.trim();
    case 'disabled':
      if (typeof value !== 'boolean') throw new OverrideError('disabled must be true or false', field);
      return value;
    case 'candidateOrder':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        throw new OverrideError('candidateOrder must be a list of candidate ids', field);
      }
      return value;
    default:
      throw new OverrideError(`unknown override field "${field}"`, field);
  }
}

function isOverridesFile(v: unknown): v is OverridesFile {
  return isObject(v) && v.version === 1 && isObject(v.channels) && isObject(v.merges) && isObject(v.splits);
}
