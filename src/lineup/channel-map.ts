// Persisted GuideNumbers (<dataDir>/channel-map.json), keyed by merge key. A number, once given,
// stays with its key for good: reordering, renamed stream ids, channels coming and going never move
// it, and a removed channel keeps its number reserved (Plex DVR mappings key on GuideNumber).
import { isObject } from '../util/atomic-file.js';
import { JsonDocument, loadDocument, type OnCorrupt } from './json-document.js';

interface MapEntry {
  number: string;
  /** Last display name, so a human can read the file. */
  name: string;
  firstSeen: string;
  lastSeen: string;
}

interface MapFile {
  version: 1;
  /** Next integer to try for a new channel; only ever grows. */
  next: number;
  channels: Record<string, MapEntry>;
}

/** Digits with at most one dot (HDHomeRun GuideNumber; `5.1` subchannels). */
export const GUIDE_NUMBER = /^\d{1,6}(\.\d{1,4})?$/;

export interface AssignInput {
  readonly key: string;
  readonly name: string;
  readonly providerNumber?: string;
}

export interface AssignOptions {
  readonly useProviderNumbers: boolean;
  /** Numbers pinned by overrides: never handed out to another channel. */
  readonly pinned?: ReadonlySet<string>;
  readonly now?: Date;
}

export class ChannelMap extends JsonDocument<MapFile> {
  private readonly byNumber = new Map<string, string>();

  private constructor(file: string, data: MapFile) {
    super(file, data);
    for (const [key, e] of Object.entries(data.channels)) this.byNumber.set(e.number, key);
  }

  /** Load (or start) the map. A corrupt file is moved aside and reported through `onCorrupt`. */
  static async load(file: string, firstNumber: number, onCorrupt?: OnCorrupt): Promise<ChannelMap> {
    const fresh = (): MapFile => ({ version: 1, next: firstNumber, channels: {} });
    const data = await loadDocument(file, isMapFile, fresh, onCorrupt);
    data.next = Math.max(data.next, firstNumber);
    return new ChannelMap(file, data);
  }

  numberOf(key: string): string | undefined {
    return this.data.channels[key]?.number;
  }

  ownerOf(number: string): string | undefined {
    return this.byNumber.get(number);
  }

  get size(): number {
    return this.byNumber.size;
  }

  /** Give every key without a number the next free one; refresh names and last-seen times. */
  assign(channels: readonly AssignInput[], opts: AssignOptions): void {
    const now = (opts.now ?? new Date()).toISOString();
    const pinned = opts.pinned ?? new Set<string>();
    const free = (n: string) => !this.byNumber.has(n) && !pinned.has(n);
    for (const ch of channels) {
      const known = this.data.channels[ch.key];
      if (known) {
        if (known.name !== ch.name || known.lastSeen.slice(0, 10) !== now.slice(0, 10)) {
          known.name = ch.name;
          known.lastSeen = now;
          this.dirty = true;
        }
        continue;
      }
      let number: string | undefined;
      const wanted = normaliseNumber(ch.providerNumber);
      if (opts.useProviderNumbers && wanted && free(wanted)) number = wanted;
      while (!number) {
        const n = String(this.data.next++);
        if (free(n)) number = n;
      }
      this.data.channels[ch.key] = { number, name: ch.name, firstSeen: now, lastSeen: now };
      this.byNumber.set(number, ch.key);
      this.dirty = true;
    }
  }

  /** Give `key` a specific number (a user pin). The caller checks the number is not in use. */
  setNumber(key: string, number: string, name: string): void {
    const e = this.data.channels[key];
    const owner = this.byNumber.get(number);
    if (owner && owner !== key) {
      // The user chose a number reserved by a removed channel: that reservation ends.
      delete this.data.channels[owner];
    }
    if (e) this.byNumber.delete(e.number);
    const now = new Date().toISOString();
    this.data.channels[key] = { number, name, firstSeen: e?.firstSeen ?? now, lastSeen: now };
    this.byNumber.set(number, key);
    this.dirty = true;
  }
}

/** `"007"` → `"7"`, `"22.1"` stays; anything that is not a GuideNumber → undefined. */
export function normaliseNumber(n: string | undefined): string | undefined {
  if (!n) return undefined;
  const s = n.trim();
  if (!GUIDE_NUMBER.test(s)) return undefined;
  const [int, frac] = s.split('.');
  return frac === undefined ? String(Number(int)) : `${Number(int)}.${frac}`;
}

function isMapFile(v: unknown): v is MapFile {
  if (!isObject(v) || v.version !== 1 || typeof v.next !== 'number' || !isObject(v.channels)) return false;
  return Object.values(v.channels).every((e) => isObject(e) && typeof e.number === 'string');
}

/** Numeric GuideNumber order: 2 < 10 < 10.1 < 11. */
export function compareGuideNumbers(a: string, b: string): number {
  const [ai = '0', af = ''] = a.split('.');
  const [bi = '0', bf = ''] = b.split('.');
  return (
    Number(ai) - Number(bi) || (af === bf ? 0 : af === '' ? -1 : bf === '' ? 1 : Number(af) - Number(bf))
  );
}
