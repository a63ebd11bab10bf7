// Writes the output XMLTV from a per-channel plan: one `<channel>` per lineup channel, then each
// channel's programmes (from a spool, short EPG or the dummy guide), sorted, overlaps resolved,
// limited to the window. Streams throughout; only one channel's programmes are in memory.
import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { Channel } from '../model.js';
import { writeStreamAtomic } from '../util/atomic-file.js';
import { dummyBody, dummySlots } from './dummy.js';
import { readSpoolLines, type SpoolEntry, type SpoolLine } from './spool.js';
import {
  BufferedWriter,
  FOOTER,
  escapeText,
  programmeLine,
  renderChannel,
  renderHeader,
} from './xmltv-writer.js';
import type { GuideKind } from './types.js';
import type { MatchedBy } from './match.js';

export type PlanSource =
  | {
      readonly type: 'spool';
      readonly kind: GuideKind;
      readonly inputId: string;
      readonly guideId: string;
      readonly entry: SpoolEntry;
    }
  | { readonly type: 'lines'; readonly kind: GuideKind; readonly lines: readonly SpoolLine[] }
  | { readonly type: 'dummy' }
  | { readonly type: 'none' };

export interface ChannelPlan {
  readonly channel: Channel;
  /** The `<channel id>` written (GuideNumber or tvg-id). */
  readonly outId: string;
  readonly icon?: string;
  readonly source: PlanSource;
  /** How the guide channel was found (spool sources). */
  readonly matchedBy?: MatchedBy;
}

export interface Window {
  readonly from: number;
  readonly to: number;
}

export interface WriteOptions {
  readonly window: Window;
  readonly dummyBlockMinutes: number;
  /** Emit the non-DTD `<lcn>` element. */
  readonly lcn: boolean;
  readonly generatedAt: number;
  /** Path of an input's spool data file (`.lines`). */
  readonly spoolFile: (inputId: string) => string;
}

/**
 * Sort by start, drop duplicates (same start: the first one read wins), infer missing stops from
 * the next start, trim a programme that overlaps the next, and keep only what touches the window.
 */
export function arrange(lines: SpoolLine[], window: Window): SpoolLine[] {
  lines.sort((a, b) => a.start - b.start);
  const uniq = lines.filter((l, i) => i === 0 || (lines[i - 1] as SpoolLine).start !== l.start);
  const out: SpoolLine[] = [];
  for (let i = 0; i < uniq.length; i++) {
    const cur = uniq[i] as SpoolLine;
    const next = uniq[i + 1];
    let stop = cur.stop || (next ? next.start : cur.start + 3600_000);
    if (next && next.start < stop) stop = next.start;
    if (stop <= window.from || cur.start >= window.to) continue;
    out.push(stop === cur.stop ? cur : { start: cur.start, stop, body: cur.body });
  }
  return out;
}

/** Write the whole guide to `out` (not ended). Returns programmes written per plan entry. */
export async function writeGuide(
  out: Writable,
  plans: readonly ChannelPlan[],
  opts: WriteOptions,
): Promise<number[]> {
  const w = new BufferedWriter(out);
  await w.write(renderHeader(opts.generatedAt));
  for (const p of plans) {
    await w.write(
      renderChannel({
        id: p.outId,
        names: [p.channel.name, p.channel.guideNumber],
        ...(p.icon ? { icon: p.icon } : {}),
        ...(opts.lcn ? { lcn: p.channel.guideNumber } : {}),
      }),
    );
  }
  const counts: number[] = [];
  const files = new Map<string, FileHandle>();
  try {
    for (const p of plans) {
      let lines: SpoolLine[] = [];
      const s = p.source;
      if (s.type === 'spool') {
        let fh = files.get(s.inputId);
        if (!fh) {
          fh = await open(opts.spoolFile(s.inputId), 'r');
          files.set(s.inputId, fh);
        }
        lines = arrange(await readSpoolLines(fh, s.entry), opts.window);
      } else if (s.type === 'lines') {
        lines = arrange([...s.lines], opts.window);
      } else if (s.type === 'dummy') {
        const body = dummyBody(p.channel.name);
        lines = dummySlots(opts.window.from, opts.window.to, opts.dummyBlockMinutes).map((x) => ({
          ...x,
          body,
        }));
      }
      // One string per channel: the id is escaped once, and the writer sees few, larger parts.
      const id = escapeText(p.outId);
      let text = '';
      for (const l of lines) text += programmeLine(l.start, l.stop, id, l.body);
      const wait = w.write(text);
      if (wait) await wait;
      counts.push(lines.length);
    }
  } finally {
    for (const fh of files.values()) await fh.close();
  }
  await w.write(FOOTER);
  await w.flush();
  return counts;
}

/** Write the guide to `path` atomically: readers see the old file until the new one is complete. */
export async function writeGuideFile(
  path: string,
  plans: readonly ChannelPlan[],
  opts: WriteOptions,
): Promise<number[]> {
  // 0666 (before umask), as before: the guide holds no secret and is the service's public output.
  return writeStreamAtomic(path, (out) => writeGuide(out, plans, opts), {
    mode: 0o666,
    highWaterMark: 1 << 20,
  });
}
