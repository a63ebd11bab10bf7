// GuideService: keeps /xmltv.xml current without ever making a request wait for a refresh.
//
// A refresh reads every XMLTV input into its own spool (only inputs that are new, changed or
// stale are read again), matches lineup channels to guide channels, fetches per-channel Xtream
// EPG for channels no XMLTV covers, fills the rest with the dummy guide, and writes the output
// file, which is atomically replaced when complete. Requests stream the last complete file, so
// they are served during refreshes and straight after a restart.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, open, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Logger } from '../log.js';
import type { Channel, Lineup } from '../model.js';
import { writeJsonAtomic } from '../util/atomic-file.js';
import { writeGuide, writeGuideFile, type ChannelPlan, type Window, type WriteOptions } from './build.js';
import { safeMessage } from './fetch.js';
import { GUIDE_FILE, listInputs, openInput, type InputSpec } from './inputs.js';
import type { MatchedBy } from './match.js';
import { basePlan, outputIds, planChannels, withLines } from './plan.js';
import { ShortEpgClient } from './short-epg-fetch.js';
import { SpoolWriter, loadSpoolMeta, removeSpool, type SpoolLine, type SpoolMeta } from './spool.js';
import { DEFAULT_PRECEDENCE, type GuideKind } from './types.js';
import { ingestXmltv } from './ingest.js';
import { GzipCache } from './gzip-cache.js';
import { renderProgrammeBody } from './xmltv-writer.js';

export interface GuideServiceOptions {
  readonly lineup: Lineup;
  /** Drop-in folder for `.xml` / `.xml.gz` guides (watched). */
  readonly epgDir: string;
  /** Spools, the built guide, overrides and state. */
  readonly cacheDir: string;
  readonly logger: Logger;
  readonly pastHours: number;
  readonly futureDays: number;
  readonly dummyBlockMinutes: number;
  /** Holes of at least this many minutes in a channel's guide get placeholder blocks; 0 = none. */
  readonly fillGapsMinutes?: number;
  readonly channelId: 'guideNumber' | 'tvgId';
  /** Guide kinds in order of preference; kinds not listed are not used. */
  readonly precedence: readonly string[];
  /** Extra XMLTV URLs from settings. */
  readonly urls: readonly string[];
  /** `<epg/ file name or guide URL>=<minutes>` corrections (settings `guide.timeShifts`). */
  readonly timeShifts?: readonly string[];
  readonly refreshIntervalMs: number;
  readonly shortEpgConcurrency: number;
  readonly fetchTimeoutMs?: number;
  /** Emit `<lcn>` (not in the XMLTV DTD). Default: only when channel ids are tvg-ids. */
  readonly lcn?: boolean;
  /** At most this many channels get per-channel Xtream EPG per refresh (flood protection). */
  readonly shortEpgMaxChannels?: number;
  readonly shortEpgTtlMs?: number;
  /** Worker threads for large XMLTV inputs (default: CPUs − 2, at most 2; 0 = none). */
  readonly ingestWorkers?: number;
}

export interface GuideProgress {
  /** Raw bytes read from inputs in the current (or last) refresh. */
  bytes: number;
  /** Programmes read from inputs, then programmes written. */
  programmes: number;
  channelsMatched: number;
  channelsTotal: number;
}

export interface ChannelCoverage {
  readonly guideNumber: string;
  readonly key: string;
  readonly name: string;
  /** The `<channel id>` in the output. */
  readonly id: string;
  readonly source: GuideKind | 'none';
  /** Input label (credentials masked). */
  readonly input?: string;
  readonly guideId?: string;
  readonly matchedBy?: MatchedBy;
  readonly override?: string;
  readonly programmes: number;
}

export interface GuideError {
  readonly input: string;
  readonly message: string;
  readonly at: string;
}

export interface InputStatus {
  readonly label: string;
  readonly kind: GuideKind;
  readonly fetchedAt: string;
  readonly bytes: number;
  readonly channels: number;
  readonly programmes: number;
  readonly complete: boolean;
  readonly problems: readonly string[];
}

export interface GuideStatus {
  readonly state: 'idle' | 'refreshing';
  readonly phase?: 'inputs' | 'short-epg' | 'building';
  /** When the served guide was built (ISO), or null before the first build. */
  readonly lastRefresh: string | null;
  readonly progress: GuideProgress;
  readonly coverage: readonly ChannelCoverage[];
  readonly inputs: readonly InputStatus[];
  readonly errors: readonly GuideError[];
}

/** Content types for /xmltv.xml and /xmltv.xml.gz. */
export function guideContentType(gzip: boolean): string {
  return gzip ? 'application/gzip' : 'application/xml; charset=utf-8';
}

type Scope = 'rebuild' | 'stale' | 'full';
const SCOPE_RANK: Record<Scope, number> = { rebuild: 0, stale: 1, full: 2 };

interface Persisted {
  lastRefresh: string | null;
  progress: GuideProgress;
  coverage: ChannelCoverage[];
  inputs: InputStatus[];
  errors: GuideError[];
}

export class GuideService extends EventEmitter {
  private readonly kinds: GuideKind[];
  private readonly shortEpg: ShortEpgClient;
  private overrides = new Map<string, string>();
  private persisted: Persisted = {
    lastRefresh: null,
    progress: { bytes: 0, programmes: 0, channelsMatched: 0, channelsTotal: 0 },
    coverage: [],
    inputs: [],
    errors: [],
  };
  private progress: GuideProgress = { bytes: 0, programmes: 0, channelsMatched: 0, channelsTotal: 0 };
  private phase: GuideStatus['phase'];
  private running: { scope: Scope; promise: Promise<void> } | undefined;
  private queued:
    { scope: Scope; promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce = new Map<string, NodeJS.Timeout>();
  private watcher: FSWatcher | undefined;
  private abort = new AbortController();
  private loaded: Promise<void> | undefined;
  private lastProgressEmit = 0;
  /** Remote inputs tried in this process, so rebuilds do not hammer a failing URL. */
  private readonly attempted = new Map<string, number>();
  private readonly onLineupChange = (): void => this.soon('lineup', 1000, 'rebuild');

  constructor(private readonly opts: GuideServiceOptions) {
    super();
    this.kinds = [];
    for (const k of opts.precedence) {
      if ((DEFAULT_PRECEDENCE as readonly string[]).includes(k) && !this.kinds.includes(k as GuideKind)) {
        this.kinds.push(k as GuideKind);
      } else opts.logger.warn({ kind: k }, 'guide: unknown or repeated precedence entry ignored');
    }
    this.gzipped = new GzipCache(join(opts.cacheDir, 'guide.xml'));
    this.shortEpg = new ShortEpgClient({
      concurrency: opts.shortEpgConcurrency,
      timeoutMs: Math.min(opts.fetchTimeoutMs ?? 60_000, 30_000),
      ttlMs: opts.shortEpgTtlMs ?? 4 * 3600_000,
      logger: opts.logger,
    });
  }

  private readonly gzipped: GzipCache;

  private get guidePath(): string {
    return join(this.opts.cacheDir, 'guide.xml');
  }
  private spoolBase(id: string): string {
    return join(this.opts.cacheDir, 'spool', id);
  }

  /** Load the cached guide state, watch epg/, follow the lineup, schedule refreshes. Resolves quickly. */
  async start(): Promise<void> {
    this.abort = new AbortController();
    this.loaded ??= this.load();
    await this.loaded;
    try {
      this.watcher = watch(this.opts.epgDir, (_ev, name) => {
        if (!name || GUIDE_FILE.test(String(name))) this.soon('files', 1500, 'stale');
      });
      this.watcher.on('error', (err) =>
        this.opts.logger.warn({ err: safeMessage(err) }, 'guide: epg/ watch failed'),
      );
    } catch (err) {
      this.opts.logger.warn({ err: safeMessage(err) }, 'guide: cannot watch epg/');
    }
    this.opts.lineup.on('change', this.onLineupChange);
    // A guide from before the restart is served at once; bring it up to date in the background.
    if (this.opts.lineup.channels().length) this.background('stale');
    this.schedule();
  }

  async stop(): Promise<void> {
    this.opts.lineup.off('change', this.onLineupChange);
    this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.timer);
    for (const t of this.debounce.values()) clearTimeout(t);
    this.debounce.clear();
    this.abort.abort();
    await this.running?.promise.catch(() => undefined);
    await this.queued?.promise.catch(() => undefined);
  }

  /** Re-read every input now. Concurrent calls share one refresh. */
  refresh(): Promise<void> {
    return this.request('full');
  }

  status(): GuideStatus {
    const p = this.persisted;
    return {
      state: this.running ? 'refreshing' : 'idle',
      ...(this.running && this.phase ? { phase: this.phase } : {}),
      lastRefresh: p.lastRefresh,
      progress: this.running ? { ...this.progress } : { ...p.progress },
      coverage: p.coverage,
      inputs: p.inputs,
      errors: p.errors,
    };
  }

  /**
   * Set (`id`), forbid (`''`: no guide data) or clear (`null`: automatic) the guide id of a
   * lineup channel (by `Channel.key`). Persisted; the guide is rebuilt in the background.
   */
  async setGuideId(channelKey: string, guideId: string | null): Promise<void> {
    this.loaded ??= this.load();
    await this.loaded;
    if (guideId === null) this.overrides.delete(channelKey);
    else this.overrides.set(channelKey, guideId.trim());
    await writeJsonAtomic(join(this.opts.cacheDir, 'overrides.json'), Object.fromEntries(this.overrides), {
      indent: 1,
    });
    this.background('rebuild');
  }

  /** Stream the current guide (the last complete one) to `out`, which is ended. */
  async writeXmltv(out: Writable, opts: { gzip: boolean }): Promise<void> {
    const fh = await open(this.guidePath, 'r').catch(() => undefined);
    if (fh) {
      if (opts.gzip) await this.gzipped.serve(fh, out);
      else await pipeline(fh.createReadStream({ highWaterMark: 1 << 20 }), out);
      return;
    }
    // Nothing built yet: every lineup channel with dummy programmes, so clients can map channels.
    const now = Date.now();
    const channels = this.opts.lineup.channels();
    const ids = outputIds(channels, this.opts.channelId);
    const plans = channels.map((ch, i) => basePlan(ch, ids[i] as string, this.kinds));
    const pass = new PassThrough({ highWaterMark: 1 << 20 });
    const piping = opts.gzip ? pipeline(pass, createGzip(), out) : pipeline(pass, out);
    try {
      await writeGuide(pass, plans, this.writeOptions(this.window(now), now));
      pass.end();
    } catch (err) {
      pass.destroy(err as Error);
    }
    await piping;
  }

  // ---- scheduling -------------------------------------------------------------------------

  /**
   * Run a refresh of `scope`, or join one: concurrent full refreshes share one run; anything
   * asked for while a run is under way (lineup or file changes, overrides) gets one follow-up
   * run with the widest scope asked for.
   */
  private request(scope: Scope): Promise<void> {
    if (!this.running) {
      const promise = this.run(scope).finally(() => {
        this.running = undefined;
        const q = this.queued;
        this.queued = undefined;
        if (q && !this.abort.signal.aborted) this.request(q.scope).then(q.resolve, q.reject);
        else q?.resolve();
      });
      this.running = { scope, promise };
      return promise;
    }
    if (scope === 'full' && this.running.scope === 'full') return this.running.promise;
    if (!this.queued) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      this.queued = { scope, promise, resolve, reject };
    } else if (SCOPE_RANK[scope] > SCOPE_RANK[this.queued.scope]) this.queued.scope = scope;
    return this.queued.promise;
  }

  private background(scope: Scope): void {
    this.request(scope).catch((err) =>
      this.opts.logger.error({ err: safeMessage(err) }, 'guide: refresh failed'),
    );
  }

  private soon(reason: string, ms: number, scope: Scope): void {
    clearTimeout(this.debounce.get(reason));
    const t = setTimeout(() => {
      this.debounce.delete(reason);
      this.background(scope);
    }, ms);
    t.unref();
    this.debounce.set(reason, t);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.abort.signal.aborted) return;
    this.timer = setTimeout(() => this.background('stale'), Math.max(1000, this.opts.refreshIntervalMs));
    this.timer.unref();
  }

  // ---- persistence ------------------------------------------------------------------------

  private async load(): Promise<void> {
    await mkdir(join(this.opts.cacheDir, 'spool'), { recursive: true });
    await mkdir(this.opts.epgDir, { recursive: true });
    try {
      const raw = JSON.parse(await readFile(join(this.opts.cacheDir, 'overrides.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') this.overrides.set(k, v);
    } catch {
      // No overrides yet.
    }
    try {
      const st = JSON.parse(
        await readFile(join(this.opts.cacheDir, 'guide-state.json'), 'utf8'),
      ) as Persisted;
      if (st && Array.isArray(st.coverage)) this.persisted = st;
    } catch {
      // First start.
    }
  }

  private async save(): Promise<void> {
    await writeJsonAtomic(join(this.opts.cacheDir, 'guide-state.json'), this.persisted);
  }

  // ---- the refresh ------------------------------------------------------------------------

  private window(now: number): Window {
    return { from: now - this.opts.pastHours * 3600_000, to: now + this.opts.futureDays * 86_400_000 };
  }

  private writeOptions(window: Window, now: number): WriteOptions {
    return {
      window,
      dummyBlockMinutes: this.opts.dummyBlockMinutes,
      fillGapsMinutes: this.opts.fillGapsMinutes ?? 0,
      lcn: this.opts.lcn ?? this.opts.channelId === 'tvgId',
      generatedAt: now,
      spoolFile: (id) => `${this.spoolBase(id)}.lines`,
    };
  }

  private emitProgress(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastProgressEmit < 250) return;
    this.lastProgressEmit = now;
    this.emit('progress', { ...this.progress });
  }

  private async run(scope: Scope): Promise<void> {
    this.loaded ??= this.load();
    await this.loaded;
    const channels = this.opts.lineup.channels();
    const log = this.opts.logger;
    if (!channels.length) {
      log.info('guide: lineup is empty, keeping the current guide');
      return;
    }
    const started = Date.now();
    const window = this.window(started);
    const errors: GuideError[] = [];
    this.progress = { bytes: 0, programmes: 0, channelsMatched: 0, channelsTotal: channels.length };
    this.phase = 'inputs';
    this.emitProgress(true);

    const specs = await listInputs(
      this.opts.epgDir,
      this.opts.urls,
      this.opts.lineup.guideInputs(),
      this.opts.timeShifts,
    );
    const used = specs.filter((s) => this.kinds.includes(s.kind));
    const metas = new Map<string, SpoolMeta>();
    for (const spec of used) {
      if (this.abort.signal.aborted) return;
      const old = await loadSpoolMeta(this.spoolBase(spec.id));
      const meta = this.needsRead(spec, old, scope, started)
        ? await this.ingest(spec, window, old, errors)
        : old;
      if (meta) metas.set(spec.id, meta);
    }
    await this.removeUnused(new Set(used.map((s) => s.id)));

    const plans = await this.plan(channels, used, metas, window, errors);
    if (this.abort.signal.aborted) return;
    this.phase = 'building';
    this.emitProgress(true);
    const counts = await writeGuideFile(this.guidePath, plans, this.writeOptions(window, started));
    await this.gzipped.prune();

    const labels = new Map(used.map((s) => [s.id, s.label]));
    const coverage = plans.map((p, i): ChannelCoverage => this.coverageOf(p, counts[i] ?? 0, labels));
    this.progress.channelsMatched = coverage.filter(
      (c) => c.source !== 'dummy' && c.source !== 'none',
    ).length;
    this.progress.programmes = counts.reduce((a, b) => a + b, 0);
    this.persisted = {
      lastRefresh: new Date().toISOString(),
      progress: { ...this.progress },
      coverage,
      inputs: used.flatMap((s) => {
        const m = metas.get(s.id);
        return m ? [inputStatus(m)] : [];
      }),
      errors: errors.slice(0, 50),
    };
    await this.save();
    this.phase = undefined;
    this.emitProgress(true);
    log.info(
      { ms: Date.now() - started, scope, ...this.progress, errors: errors.length },
      'guide: refreshed',
    );
    this.emit('refreshed', this.status());
    this.schedule();
  }

  private needsRead(spec: InputSpec, old: SpoolMeta | undefined, scope: Scope, now: number): boolean {
    if (spec.file) return !old || old.stamp !== spec.stamp;
    const last = this.attempted.get(spec.id);
    if (!old)
      return scope !== 'rebuild' || last === undefined || now - last > this.opts.refreshIntervalMs / 4;
    if (scope === 'full') return true;
    return scope === 'stale' && now - old.fetchedAt >= this.opts.refreshIntervalMs * 0.9;
  }

  /** Read one input into a new spool; keep the previous spool when the new read is worse. */
  private async ingest(
    spec: InputSpec,
    window: Window,
    old: SpoolMeta | undefined,
    errors: GuideError[],
  ): Promise<SpoolMeta | undefined> {
    const log = this.opts.logger;
    const t0 = Date.now();
    const fail = (message: string): void => {
      errors.push({ input: spec.label, message, at: new Date().toISOString() });
    };
    if (!spec.file) this.attempted.set(spec.id, t0);
    const writer = new SpoolWriter(this.spoolBase(spec.id), window);
    try {
      await writer.openFile();
      const body = abortable(
        await openInput(spec, this.opts.fetchTimeoutMs ?? 60_000, this.abort.signal),
        this.abort.signal,
      );
      const report = await ingestXmltv(body, writer, {
        window,
        timeShiftMinutes: spec.timeShiftMinutes,
        ...(this.opts.ingestWorkers !== undefined ? { workers: this.opts.ingestWorkers } : {}),
        onBytes: (n) => {
          this.progress.bytes += n;
          this.emitProgress();
        },
      });
      this.progress.programmes += report.programmes;
      const index = await writer.finish();
      if (report.problemCount) {
        fail(
          `${report.complete ? '' : 'incomplete: '}${report.problemCount} problem(s): ${report.problems.slice(0, 3).join('; ')}`,
        );
      }
      if (!report.complete && old && writer.written < old.programmes) {
        await writer.discard();
        fail('kept the previous copy, which had more programmes');
        return old;
      }
      const meta: SpoolMeta = {
        version: 1,
        inputId: spec.id,
        kind: spec.kind,
        label: spec.label,
        fetchedAt: t0,
        ...(spec.stamp ? { stamp: spec.stamp } : {}),
        channels: writer.channels,
        index,
        programmes: writer.written,
        bytes: report.bytes,
        complete: report.complete,
        problems: report.problems.slice(0, 5),
        problemCount: report.problemCount,
      };
      await writer.commit(meta);
      log.info(
        {
          input: spec.label,
          bytes: report.bytes,
          channels: report.channels,
          programmes: report.programmes,
          kept: writer.written,
          ms: Date.now() - t0,
          complete: report.complete,
        },
        'guide: input read',
      );
      return meta;
    } catch (err) {
      await writer.discard();
      const message = safeMessage(err);
      fail(old ? `${message} (kept the previous copy)` : message);
      log.warn({ input: spec.label, err: message }, 'guide: input failed');
      return old;
    }
  }

  private async removeUnused(keep: Set<string>): Promise<void> {
    const dir = join(this.opts.cacheDir, 'spool');
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const id = name.replace(/\.(json|lines|tmp|json\.tmp)$/, '');
      if (!keep.has(id) && /\.(json|lines)$/.test(name)) await removeSpool(join(dir, id));
    }
  }

  private async plan(
    channels: readonly Channel[],
    specs: readonly InputSpec[],
    metas: ReadonlyMap<string, SpoolMeta>,
    window: Window,
    errors: GuideError[],
  ): Promise<ChannelPlan[]> {
    const { plans, wantShort } = planChannels(
      channels,
      specs.flatMap((spec) => {
        const meta = metas.get(spec.id);
        return meta ? [{ spec, meta }] : [];
      }),
      {
        kinds: this.kinds,
        channelId: this.opts.channelId,
        overrides: this.overrides,
        sources: this.opts.lineup.guideInputs(),
      },
    );
    if (wantShort.length) {
      this.phase = 'short-epg';
      this.emitProgress(true);
      const max = this.opts.shortEpgMaxChannels ?? 500;
      if (wantShort.length > max) {
        errors.push({
          input: 'short EPG',
          message: `${wantShort.length} channels need per-channel EPG; only the first ${max} were fetched`,
          at: new Date().toISOString(),
        });
      }
      const todo = wantShort.slice(0, max);
      const byKey = new Map<string, number[]>();
      for (const w of todo) byKey.set(w.req.key, [...(byKey.get(w.req.key) ?? []), w.i]);
      const reqs = [...new Map(todo.map((w) => [w.req.key, w.req])).values()];
      let failed = 0;
      let firstError = '';
      await this.shortEpg.fetchAll(
        reqs,
        (req, programmes) => {
          const lines: SpoolLine[] = programmes
            .filter((p) => (p.stop ?? 0) > window.from && p.start < window.to)
            .map((p) => ({ start: p.start, stop: p.stop ?? 0, body: renderProgrammeBody(p) }));
          if (!lines.length) return;
          for (const i of byKey.get(req.key) ?? [])
            plans[i] = withLines(plans[i] as ChannelPlan, 'short-epg', lines);
        },
        (_req, message) => {
          failed++;
          firstError ||= message;
        },
      );
      if (failed) {
        errors.push({
          input: 'short EPG',
          message: `${failed} of ${reqs.length} requests failed (first: ${firstError})`,
          at: new Date().toISOString(),
        });
      }
    }
    return plans;
  }

  private coverageOf(
    p: ChannelPlan,
    programmes: number,
    labels: ReadonlyMap<string, string>,
  ): ChannelCoverage {
    const s = p.source;
    const override = this.overrides.get(p.channel.key);
    const matchedBy = p.matchedBy;
    return {
      guideNumber: p.channel.guideNumber,
      key: p.channel.key,
      name: p.channel.name,
      id: p.outId,
      source: s.type === 'spool' || s.type === 'lines' ? s.kind : s.type === 'dummy' ? 'dummy' : 'none',
      ...(s.type === 'spool' ? { input: labels.get(s.inputId) ?? s.inputId, guideId: s.guideId } : {}),
      ...(matchedBy ? { matchedBy } : {}),
      ...(override !== undefined ? { override } : {}),
      programmes,
    };
  }
}

function inputStatus(m: SpoolMeta): InputStatus {
  return {
    label: m.label,
    kind: m.kind,
    fetchedAt: new Date(m.fetchedAt).toISOString(),
    bytes: m.bytes,
    channels: m.channels.length,
    programmes: m.programmes,
    complete: m.complete,
    problems: m.problems,
  };
}

/** Stop reading between chunks once `signal` fires (service stop). */
async function* abortable(src: AsyncIterable<Buffer>, signal: AbortSignal): AsyncGenerator<Buffer> {
  for await (const chunk of src) {
    if (signal.aborted) throw new Error('guide service stopped');
    yield chunk;
  }
}
