// The XMLTV inputs of a refresh: files dropped into epg/, guide URLs from settings, and each
// source's guide URLs (xmltv.php for Xtream, url-tvg / x-tvg-url / epgUrl for M3U).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GuideInput } from '../model.js';
import { maskUrl } from '../util/redact.js';
import { openUrl } from './fetch.js';
import type { GuideKind } from './types.js';

export interface InputSpec {
  /** Stable and file-name safe (it names the spool). */
  readonly id: string;
  readonly kind: GuideKind;
  /** Display form, credentials masked. */
  readonly label: string;
  /** Order within its kind (lower first). */
  readonly order: number;
  readonly timeShiftMinutes: number;
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly file?: string;
  /** `mtime:size` of a file. */
  readonly stamp?: string;
}

export const GUIDE_FILE = /\.xml(\.gz)?$/i;

const hash = (s: string): string => createHash('sha1').update(s).digest('hex').slice(0, 16);

/**
 * `NAME=MINUTES` entries (settings `guide.timeShifts`) by name. Split at the last `=`, as URLs
 * have them in their query; entries of another shape are ignored (settings validation rejects them).
 */
export function parseTimeShifts(entries: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of entries) {
    const eq = e.lastIndexOf('=');
    const minutes = e.slice(eq + 1);
    if (eq > 0 && /^[+-]?\d{1,4}$/.test(minutes)) out.set(e.slice(0, eq), Number(minutes));
  }
  return out;
}

export async function listInputs(
  epgDir: string,
  urls: readonly string[],
  sources: readonly GuideInput[],
  timeShifts: readonly string[] = [],
): Promise<InputSpec[]> {
  const shifts = parseTimeShifts(timeShifts);
  const out: InputSpec[] = [];
  let names: string[] = [];
  try {
    names = (await readdir(epgDir)).filter((n) => GUIDE_FILE.test(n)).sort();
  } catch {
    // No epg/ directory yet: no file inputs.
  }
  for (const [i, name] of names.entries()) {
    const file = join(epgDir, name);
    try {
      const st = await stat(file);
      if (!st.isFile()) continue;
      out.push({
        id: `file-${hash(name)}`,
        kind: 'files',
        label: `epg/${name}`,
        order: i,
        timeShiftMinutes: shifts.get(name) ?? 0,
        file,
        // A changed time shift makes the file's spool stale too.
        stamp: `${st.mtimeMs}:${st.size}:${shifts.get(name) ?? 0}`,
      });
    } catch {
      // Removed between readdir and stat.
    }
  }
  urls.forEach((url, i) => {
    const shift = shifts.get(url);
    out.push({
      // A changed time shift names another spool, so the guide is read again.
      id: `url-${hash(shift ? `${url}\n${shift}` : url)}`,
      kind: 'urls',
      label: maskUrl(url),
      order: i,
      timeShiftMinutes: shift ?? 0,
      url,
    });
  });
  const seen = new Set(out.map((s) => s.id));
  for (const src of [...sources].sort((a, b) => a.priority - b.priority)) {
    const kind: GuideKind = src.kind === 'xtream' ? 'xtream' : 'xmltv';
    src.xmltvUrls.forEach((url, i) => {
      const id = `${kind}-${hash(`${src.sourceId}\n${url}`)}`;
      if (seen.has(id)) return;
      seen.add(id);
      out.push({
        id,
        kind,
        label: `${src.sourceId}: ${maskUrl(url)}`,
        order: src.priority * 1000 + i,
        timeShiftMinutes: src.timeShiftMinutes,
        url,
        headers: src.headers,
      });
    });
  }
  return out;
}

export async function openInput(
  spec: InputSpec,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<AsyncIterable<Buffer>> {
  if (spec.file) {
    const stream = createReadStream(spec.file, { highWaterMark: 256 * 1024 });
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
    return stream;
  }
  return openUrl(spec.url as string, {
    headers: spec.headers ?? {},
    timeoutMs,
    ...(signal ? { signal } : {}),
  });
}
