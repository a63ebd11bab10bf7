// Writes the output XMLTV from a per-channel plan: one `<channel>` per lineup channel, then each
// channel's programmes (from a spool, short EPG or the dummy guide), sorted, overlaps resolved,
// limited to the window. Streams throughout; only one channel's programmes are in memory.
import type { Writable } from 'node:stream';
import type { Channel } from '../model.js';
import { writeStreamAtomic } from '../util/atomic-file.js';
import { dummyBody, dummySlots, gapSlots } from './dummy.js';
import type { SpoolEntry, SpoolLine } from './spool.js';
import { SpoolReader, parseSpoolRecords } from './spool-records.js';
import { BufferedWriter } from './buffered-writer.js';
import {
  FOOTER,
  PROGRAMME_END,
  PROGRAMME_TAG,
  escapeText,
  programmeLine,
  renderChannel,
  renderHeader,
} from './xmltv-writer.js';
import type { GuideKind } from './types.js';
import { formatXmltvTime } from './xmltv-time.js';
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
  /**
   * Holes of at least this many minutes in a channel's guide (and its end before the window's)
   * get placeholder blocks, so clients can schedule recordings there; 0 = leave them.
   */
  readonly fillGapsMinutes: number;
  /** Emit the non-DTD `<lcn>` element. */
  readonly lcn: boolean;
  readonly generatedAt: number;
  /** Path of an input's spool data file (`.lines`). */
  readonly spoolFile: (inputId: string) => string;
}

/** What `arrangeTimes` keeps: indices into the input, in output order, with their stop times. */
export interface Arranged {
  readonly order: number[];
  readonly stops: number[];
}

/**
 * Sort by start, drop duplicates (same start: the first one read wins), infer missing stops (0)
 * from the next start, trim a programme that overlaps the next, and keep only what touches the
 * window. Works on bare times so spooled bodies can stay bytes.
 */
export function arrangeTimes(
  n: number,
  starts: ArrayLike<number>,
  stops: ArrayLike<number>,
  window: Window,
): Arranged {
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = (starts[i] as number) >= (starts[i - 1] as number);
  let byStart: number[] | undefined;
  if (!sorted) {
    byStart = Array.from({ length: n }, (_, i) => i);
    // Ties keep input order (the first one read wins).
    byStart.sort((a, b) => (starts[a] as number) - (starts[b] as number) || a - b);
  }
  const uniq: number[] = [];
  let prev = NaN;
  for (let k = 0; k < n; k++) {
    const i = byStart ? (byStart[k] as number) : k;
    const start = starts[i] as number;
    if (k === 0 || start !== prev) uniq.push(i);
    prev = start;
  }
  const order: number[] = [];
  const outStops: number[] = [];
  for (let k = 0; k < uniq.length; k++) {
    const i = uniq[k] as number;
    const start = starts[i] as number;
    const next = k + 1 < uniq.length ? (starts[uniq[k + 1] as number] as number) : undefined;
    let stop = (stops[i] as number) || (next !== undefined ? next : start + 3600_000);
    if (next !== undefined && next < stop) stop = next;
    if (stop <= window.from || start >= window.to) continue;
    order.push(i);
    outStops.push(stop);
  }
  return { order, stops: outStops };
}

/** `arrangeTimes` over spool lines (short EPG, dummy and tests). */
export function arrange(lines: readonly SpoolLine[], window: Window): SpoolLine[] {
  const r = arrangeTimes(
    lines.length,
    lines.map((l) => l.start),
    lines.map((l) => l.stop),
    window,
  );
  return r.order.map((i, k) => {
    const l = lines[i] as SpoolLine;
    const stop = r.stops[k] as number;
    return stop === l.stop ? l : { start: l.start, stop, body: l.body };
  });
}

/**
 * A `<programme>` start tag in pieces, with no string built per programme (hundreds of
 * thousands per guide). `idClose`: the escaped channel id followed by the tag's close.
 */
function putStartTag(w: BufferedWriter, start: number, stop: number, idClose: string): void {
  w.put(PROGRAMME_TAG.open);
  w.put(formatXmltvTime(start));
  w.put(PROGRAMME_TAG.stop);
  w.put(formatXmltvTime(stop));
  w.put(PROGRAMME_TAG.channel);
  w.put(idClose);
}

/**
 * Placeholder blocks in the holes of one channel's guide: a short guide (a panel's short EPG, a
 * provider sending two days) otherwise leaves the rest of the week empty, and Plex cannot
 * schedule recordings there. Holes before the first programme are left alone (that is the past,
 * or a guide starting later), as are ones shorter than `fillGapsMinutes`.
 */
class GapFiller {
  private body: string | undefined;

  constructor(
    private readonly w: BufferedWriter,
    private readonly name: string,
    /** As `putStartTag` takes it. */
    private readonly idClose: string,
    private readonly opts: WriteOptions,
  ) {}

  /** Fill [from, to) if it is a hole worth filling (`from` -1: nothing before it). */
  fill(from: number, to: number): void {
    const min = this.opts.fillGapsMinutes * 60_000;
    if (from < 0 || min <= 0 || to - from < min) return;
    this.body ??= dummyBody(this.name);
    for (const s of gapSlots(Math.max(from, this.opts.window.from), to, this.opts.dummyBlockMinutes)) {
      putStartTag(this.w, s.start, s.stop, this.idClose);
      this.w.put(this.body);
      this.w.put(PROGRAMME_END);
    }
  }
}

/**
 * Write the whole guide to `out` (not ended). Returns programmes written per plan entry.
 * `recycle`: `out` is done with a chunk when its write callback runs (see BufferedWriter).
 */
export async function writeGuide(
  out: Writable,
  plans: readonly ChannelPlan[],
  opts: WriteOptions,
  recycle = false,
): Promise<number[]> {
  const w = new BufferedWriter(out, 1 << 20, recycle);
  w.put(renderHeader(opts.generatedAt));
  for (const p of plans) {
    w.put(
      renderChannel({
        id: p.outId,
        names: [p.channel.name, p.channel.guideNumber],
        ...(p.icon ? { icon: p.icon } : {}),
        ...(opts.lcn ? { lcn: p.channel.guideNumber } : {}),
      }),
    );
    const wait = w.ready();
    if (wait) await wait;
  }
  const counts: number[] = [];
  const spool = new SpoolReader(
    plans.map((p) => (p.source.type === 'spool' ? p.source : undefined)),
    opts.spoolFile,
  );
  try {
    for (let n = 0; n < plans.length; n++) {
      const p = plans[n] as ChannelPlan;
      const s = p.source;
      // Escaped once per channel.
      const id = escapeText(p.outId);
      const idClose = id + PROGRAMME_TAG.close;
      let written = 0;
      if (s.type === 'spool') {
        const rec = parseSpoolRecords(await spool.take(n), s.entry.count);
        const { order, stops } = arrangeTimes(rec.count, rec.starts, rec.stops, opts.window);
        // The body goes out as the spooled bytes.
        const gaps = new GapFiller(w, p.channel.name, idClose, opts);
        for (let k = 0; k < order.length; k++) {
          const i = order[k] as number;
          gaps.fill(k ? (stops[k - 1] as number) : -1, rec.starts[i] as number);
          putStartTag(w, rec.starts[i] as number, stops[k] as number, idClose);
          w.putBytes(rec.data, rec.bodyStart[i] as number, rec.bodyEnd[i] as number);
          w.put(PROGRAMME_END);
        }
        gaps.fill(order.length ? (stops[order.length - 1] as number) : -1, opts.window.to);
        written = order.length;
      } else {
        let lines: SpoolLine[] = [];
        if (s.type === 'lines') lines = arrange(s.lines, opts.window);
        else if (s.type === 'dummy') {
          const body = dummyBody(p.channel.name);
          lines = dummySlots(opts.window.from, opts.window.to, opts.dummyBlockMinutes).map((x) => ({
            ...x,
            body,
          }));
        }
        const gaps = s.type === 'lines' ? new GapFiller(w, p.channel.name, idClose, opts) : undefined;
        for (let k = 0; k < lines.length; k++) {
          const l = lines[k] as SpoolLine;
          gaps?.fill(k ? (lines[k - 1] as SpoolLine).stop : -1, l.start);
          w.put(programmeLine(l.start, l.stop, id, l.body));
        }
        gaps?.fill(lines.length ? (lines[lines.length - 1] as SpoolLine).stop : -1, opts.window.to);
        written = lines.length;
      }
      // Per channel: writes above only collect, so back-pressure is checked here.
      const wait = w.ready();
      if (wait) await wait;
      counts.push(written);
    }
  } finally {
    await spool.close();
  }
  w.put(FOOTER);
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
  return writeStreamAtomic(path, (out) => writeGuide(out, plans, opts, true), {
    mode: 0o666,
    highWaterMark: 1 << 20,
  });
}
