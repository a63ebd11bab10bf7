// The lineup: reads every source in tuners/, merges channels, keeps GuideNumbers stable, applies
// user overrides, refreshes on a schedule and on demand, hot-reloads definitions, and serves the
// last good lineup (from disk after a restart) while providers are down.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Channel, GuideInput, Lineup, ScanStatus, SourceLimit } from '../model.js';
import type { Logger } from '../log.js';
import { redact } from '../util/redact.js';
import {
  loadSourceDir,
  parseDefinition,
  xtreamAccountKey,
  type Problem,
  type SourceDefinition,
} from '../sources/definition.js';
import { DEMO_SOURCE_ID, demoSnapshot, loadDemoClips, type DemoClip } from '../sources/demo.js';
import { readM3uSource } from '../sources/m3u.js';
import { readXtreamSource, XtreamClient } from '../sources/xtream.js';
import {
  SourceError,
  type ProviderInfo,
  type RefreshProgress,
  type SourceSnapshot,
} from '../sources/types.js';
import { fingerprint, readSourceCache, removeSourceCache, writeSourceCache } from './cache.js';
import { ChannelMap, compareGuideNumbers, normaliseNumber } from './channel-map.js';
import { candidateId, mergeSources, type MergeSource } from './merge.js';
import { OverrideError, Overrides, type ChannelOverride, type OverridePatch } from './overrides.js';

export interface LineupServiceOptions {
  readonly tunersDir: string;
  readonly dataDir: string;
  readonly logger: Logger;
  /** Serve the built-in demo channels when no tuners/ file is enabled. */
  readonly demo: boolean;
  readonly demoConnections: number;
  /** Global cap on TunerCount (255 is the protocol's ceiling anyway). */
  readonly tunerCap: number;
  /** First GuideNumber handed out. */
  readonly firstNumber: number;
  /** Give new channels the provider's number (tvg-chno / num) when it is free. */
  readonly useProviderNumbers: boolean;
  readonly qualityPreference: readonly string[];
  readonly hlsVariant: 'lowest' | 'highest';
  /** ms; a source's own refreshInterval wins. */
  readonly defaultRefreshInterval: number;
  /** For tests: demo clips instead of src/media/assets.ts. */
  readonly demoClips?: () => readonly DemoClip[] | Promise<readonly DemoClip[]>;
  /** For tests: environment used for `${VAR}` expansion (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Watch tuners/ for changes (default true). */
  readonly watch?: boolean;
}

/** A channel as the admin API sees it, disabled ones included. */
export interface ChannelRecord extends Channel {
  readonly disabled: boolean;
  readonly enabled: boolean;
  readonly override?: ChannelOverride;
  /** `<sourceId>:<streamId>` of each candidate, in order. */
  readonly candidateIds: readonly string[];
}

export interface SourceStatus {
  readonly id: string;
  readonly name: string;
  readonly type: 'xtream' | 'm3u' | 'demo';
  readonly file?: string;
  readonly enabled: boolean;
  readonly status: SourceLimit['status'];
  readonly error?: string;
  readonly errorCode?: string;
  readonly channelCount: number;
  readonly skipped: number;
  readonly warnings: readonly string[];
  readonly lastRefresh?: string;
  readonly lastAttempt?: string;
  readonly nextRefresh?: string;
  /** Effective limit (configured ∧ provider's). */
  readonly maxConnections: number;
  readonly provider?: ProviderInfo;
  /** Problems of the definition file (a broken edit keeps the last good definition running). */
  readonly problems: readonly Problem[];
}

export interface SourceTestResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly errorCode?: string;
  readonly problems?: readonly Problem[];
  readonly provider?: ProviderInfo;
  readonly maxConnections?: number;
  /** M3U: entries the playlist offers. */
  readonly channels?: number;
}

interface SourceState {
  def: SourceDefinition;
  accountKey: string;
  status: SourceLimit['status'];
  error?: string;
  errorCode?: string;
  snapshot?: SourceSnapshot;
  provider?: ProviderInfo;
  lastRefresh?: string;
  lastAttempt?: string;
  nextRefresh?: string;
  failures: number;
  timer?: NodeJS.Timeout;
  refreshing?: Promise<boolean>;
  problems: Problem[];
}

const MAX_TUNERS = 255;
/** setTimeout's ceiling (~24.8 days); longer delays would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class LineupService extends EventEmitter implements Lineup {
  private readonly states = new Map<string, SourceState>();
  private fileProblems: Problem[] = [];
  private map!: ChannelMap;
  private overrides!: Overrides;
  private demoSnap?: SourceSnapshot;
  private enabledList: Channel[] = [];
  private records: ChannelRecord[] = [];
  private byNumber = new Map<string, Channel>();
  private byKey = new Map<string, ChannelRecord>();
  private scanState: { inProgress: boolean; progress: number; found: number } = {
    inProgress: false,
    progress: 0,
    found: 0,
  };
  private scanRun?: Promise<void>;
  private scanAbort?: AbortController;
  private watcher?: FSWatcher;
  private reloadTimer?: NodeJS.Timeout;
  private reloading: Promise<void> = Promise.resolve();
  private saving: Promise<void> = Promise.resolve();
  private started = false;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly opts: LineupServiceOptions) {
    super();
    this.log = opts.logger;
  }

  // ---- lifecycle ----

  /** Load persisted state and the last good lineup, watch tuners/, start the first refresh in the background. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await mkdir(this.opts.dataDir, { recursive: true });
    await mkdir(this.opts.tunersDir, { recursive: true }).catch((err: unknown) =>
      this.log.warn({ err: String(err) }, 'cannot create the tuners directory'),
    );
    const corrupt = (what: string) => (movedTo: string, reason: string) =>
      this.log.error({ file: movedTo, reason }, `${what} was unreadable and has been moved aside`);
    this.map = await ChannelMap.load(
      path.join(this.opts.dataDir, 'channel-map.json'),
      this.opts.firstNumber,
      corrupt('channel map'),
    );
    this.overrides = await Overrides.load(
      path.join(this.opts.dataDir, 'overrides.json'),
      corrupt('overrides'),
    );
    if (this.opts.demo) await this.loadDemo();
    await this.reloadDefinitions(false);
    for (const st of this.states.values()) {
      const cached = await readSourceCache(this.opts.dataDir, st.def).catch(() => undefined);
      if (cached) {
        st.snapshot = cached.snapshot;
        st.provider = cached.snapshot.provider;
        st.lastRefresh = cached.savedAt;
      }
    }
    this.rebuild();
    if (this.opts.watch !== false) this.startWatching();
    void this.scan().catch((err: unknown) => this.log.error({ err: String(err) }, 'first refresh failed'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.reloadTimer);
    for (const st of this.states.values()) clearTimeout(st.timer);
    this.scanAbort?.abort();
    await this.scanRun?.catch(() => undefined);
    await this.reloading.catch(() => undefined);
    await this.saving;
  }

  // ---- Lineup (read side) ----

  channels(): readonly Channel[] {
    return this.enabledList;
  }

  get(guideNumber: string): Channel | undefined {
    return this.byNumber.get(guideNumber);
  }

  tunerCount(): number {
    // Sources sharing one provider account share its limit: count each account once.
    const perAccount = new Map<string, number>();
    for (const l of this.sourceLimits()) {
      if (!l.enabled) continue;
      const cur = perAccount.get(l.accountKey);
      perAccount.set(l.accountKey, cur === undefined ? l.maxConnections : Math.min(cur, l.maxConnections));
    }
    let sum = 0;
    for (const n of perAccount.values()) sum += n;
    return Math.max(1, Math.min(sum, this.opts.tunerCap, MAX_TUNERS));
  }

  sourceLimits(): readonly SourceLimit[] {
    const out: SourceLimit[] = [];
    for (const st of this.states.values()) {
      out.push({
        sourceId: st.def.id,
        name: st.def.name,
        accountKey: st.accountKey,
        maxConnections: this.effectiveMax(st),
        providerMaxConnections: st.provider?.maxConnections,
        providerActiveConnections: st.provider?.activeConnections,
        enabled: st.def.enabled,
        status: st.def.enabled ? st.status : 'disabled',
        error: st.error,
        channelCount: st.snapshot?.entries.length ?? 0,
        lastRefresh: st.lastRefresh,
      });
    }
    if (this.demoActive()) {
      out.push({
        sourceId: DEMO_SOURCE_ID,
        name: 'Demo',
        accountKey: DEMO_SOURCE_ID,
        maxConnections: this.opts.demoConnections,
        enabled: true,
        status: 'ok',
        channelCount: this.demoSnap!.entries.length,
      });
    }
    return out;
  }

  scanStatus(): ScanStatus {
    return { ...this.scanState };
  }

  /** Refresh every enabled source; resolves when done. A scan already running is joined. */
  scan(): Promise<void> {
    if (this.scanRun) return this.scanRun;
    const abort = new AbortController();
    this.scanAbort = abort;
    const run = (async () => {
      const list = [...this.states.values()].filter((s) => s.def.enabled);
      const progress = new Map<SourceState, RefreshProgress>();
      const update = (): void => {
        let fraction = 0;
        let found = 0;
        for (const st of list) {
          fraction += progress.get(st)?.fraction ?? 0;
          found += progress.get(st)?.entries ?? 0;
        }
        const pct = list.length === 0 ? 100 : Math.floor((100 * fraction) / list.length);
        this.scanState = { inProgress: true, progress: Math.min(99, pct), found };
      };
      this.scanState = { inProgress: true, progress: 0, found: 0 };
      let ok = false;
      await Promise.all(
        list.map(async (st) => {
          const success = await this.refreshState(st, abort.signal, (p) => {
            progress.set(st, p);
            update();
          });
          ok ||= success;
          progress.set(st, { entries: st.snapshot?.entries.length ?? 0, fraction: 1 });
          update();
        }),
      );
      if (ok || list.length === 0) this.commit();
      this.scanState = { inProgress: false, progress: 100, found: this.enabledList.length };
    })().finally(() => {
      this.scanRun = undefined;
      this.scanAbort = undefined;
    });
    this.scanRun = run;
    return run;
  }

  abortScan(): void {
    this.scanAbort?.abort();
  }

  guideInputs(): readonly GuideInput[] {
    const out: GuideInput[] = [];
    for (const st of this.states.values()) {
      const d = st.def;
      if (!d.enabled || !st.snapshot) continue;
      const headers = { 'User-Agent': d.userAgent, ...d.headers };
      if (d.type === 'xtream') {
        const c = new XtreamClient(d);
        out.push({
          sourceId: d.id,
          kind: 'xtream',
          xmltvUrls: d.epgUrls.length > 0 ? d.epgUrls : [c.xmltvUrl()],
          playerApiUrl: c.playerApiUrl(),
          headers,
          timeShiftMinutes: d.timeShiftMinutes,
          priority: d.priority,
        });
      } else {
        const urls = d.epgUrls.length > 0 ? d.epgUrls : st.snapshot.tvgUrls;
        if (urls.length === 0) continue;
        out.push({
          sourceId: d.id,
          kind: 'xmltv',
          xmltvUrls: urls,
          headers,
          timeShiftMinutes: d.timeShiftMinutes || st.snapshot.timeShiftMinutes || 0,
          priority: d.priority,
        });
      }
    }
    return out.sort((a, b) => a.priority - b.priority);
  }

  // ---- admin API ----

  /** Every channel, disabled ones included, with override details. */
  allChannels(): readonly ChannelRecord[] {
    return this.records;
  }

  /** Apply an override patch (`null` clears a field); returns the channel as it now is. */
  async setOverride(key: string, patch: OverridePatch): Promise<ChannelRecord> {
    const ch = this.byKey.get(key);
    if (!ch) throw new OverrideError(`no channel with key "${key}"`, 'key');
    if (patch.guideNumber !== undefined && patch.guideNumber !== null) {
      const wanted = normaliseNumber(String(patch.guideNumber)) ?? String(patch.guideNumber);
      const owner = this.byNumber.get(wanted) ?? this.records.find((r) => r.guideNumber === wanted);
      if (owner && owner.key !== key) {
        throw new OverrideError(`GuideNumber ${wanted} is already used by "${owner.name}"`, 'guideNumber');
      }
      const pinnedBy = this.overrides.pinnedNumbers().get(wanted);
      if (pinnedBy && pinnedBy !== key)
        throw new OverrideError(`GuideNumber ${wanted} is pinned by another channel`, 'guideNumber');
    }
    const o = this.overrides.set(key, patch);
    if (o.guideNumber) this.map.setNumber(key, o.guideNumber, ch.name);
    this.commit();
    return this.byKey.get(key)!;
  }

  async clearOverride(key: string): Promise<boolean> {
    const changed = this.overrides.clear(key);
    if (changed) this.commit();
    return changed;
  }

  /** Merge channels into the first key's channel; returns that channel. */
  async mergeChannels(keys: readonly string[]): Promise<ChannelRecord> {
    for (const k of keys)
      if (!this.byKey.has(k)) throw new OverrideError(`no channel with key "${k}"`, 'keys');
    const target = this.overrides.merge(keys);
    this.commit();
    return this.byKey.get(target)!;
  }

  /** Move candidates out of a channel into a new channel (which gets the next free number). */
  async splitChannel(key: string, candidateIds: readonly string[]): Promise<ChannelRecord> {
    const ch = this.byKey.get(key);
    if (!ch) throw new OverrideError(`no channel with key "${key}"`, 'key');
    const unknown = candidateIds.filter((id) => !ch.candidateIds.includes(id));
    if (unknown.length > 0)
      throw new OverrideError(`not candidates of this channel: ${unknown.join(', ')}`, 'candidateIds');
    if (candidateIds.length >= ch.candidateIds.length) {
      throw new OverrideError('leave at least one candidate in the original channel', 'candidateIds');
    }
    const newKey = this.overrides.split(key, candidateIds);
    this.commit();
    return this.byKey.get(newKey)!;
  }

  /** Refresh one source now; resolves true on success. */
  async refreshSource(id: string): Promise<boolean> {
    const st = this.states.get(id);
    if (!st) throw new OverrideError(`no source "${id}"`, 'id');
    const ok = await this.refreshState(st);
    if (ok) this.commit();
    return ok;
  }

  /** Authenticate (Xtream) or read the playlist (M3U) for a definition, without adding it. */
  async testSource(raw: object): Promise<SourceTestResult> {
    const { id, ...rest } = raw as Record<string, unknown>;
    const name = typeof id === 'string' && id ? id : 'test';
    const r = parseDefinition(
      JSON.stringify(rest),
      path.join(this.opts.tunersDir, `${name}.json`),
      this.opts.env ?? process.env,
    );
    const blocking = r.problems.filter((p) => !p.warning);
    if (!r.definition || blocking.length > 0) {
      return {
        ok: false,
        error: blocking[0] ? `${blocking[0].field}: ${blocking[0].reason}` : 'invalid definition',
        problems: blocking,
      };
    }
    const def = r.definition;
    try {
      if (def.type === 'xtream') {
        const provider = await new XtreamClient(def).authenticate();
        const max =
          def.maxConnections && provider.maxConnections
            ? Math.min(def.maxConnections, provider.maxConnections)
            : (def.maxConnections ?? provider.maxConnections ?? 1);
        return { ok: true, provider, maxConnections: max };
      }
      const snap = await readM3uSource(def);
      return { ok: true, channels: snap.entries.length, maxConnections: def.maxConnections ?? 1 };
    } catch (err) {
      const e = err instanceof SourceError ? err : new SourceError(String(err), 'provider');
      return { ok: false, error: redact(e.message), errorCode: e.code };
    }
  }

  sourceStatus(): { sources: SourceStatus[]; problems: Problem[] } {
    const sources: SourceStatus[] = [...this.states.values()].map((st) => ({
      id: st.def.id,
      name: st.def.name,
      type: st.def.type,
      file: st.def.definitionFile,
      enabled: st.def.enabled,
      status: st.def.enabled ? st.status : 'disabled',
      error: st.error,
      errorCode: st.errorCode,
      channelCount: st.snapshot?.entries.length ?? 0,
      skipped: st.snapshot?.skipped ?? 0,
      warnings: st.snapshot?.warnings ?? [],
      lastRefresh: st.lastRefresh,
      lastAttempt: st.lastAttempt,
      nextRefresh: st.nextRefresh,
      maxConnections: this.effectiveMax(st),
      provider: st.provider,
      problems: st.problems,
    }));
    if (this.demoActive()) {
      sources.push({
        id: DEMO_SOURCE_ID,
        name: 'Demo',
        type: 'demo',
        enabled: true,
        status: 'ok',
        channelCount: this.demoSnap!.entries.length,
        skipped: 0,
        warnings: [],
        maxConnections: this.opts.demoConnections,
        problems: [],
      });
    }
    return { sources, problems: this.fileProblems };
  }

  /** Re-read tuners/ now (the watcher does this on its own after edits). */
  reload(): Promise<void> {
    const next = this.reloading.then(() => this.reloadDefinitions(true));
    this.reloading = next.catch((err: unknown) =>
      this.log.error({ err: String(err) }, 'reloading tuners/ failed'),
    );
    return next;
  }

  // ---- internals ----

  private async loadDemo(): Promise<void> {
    try {
      const clips = await (this.opts.demoClips ?? loadDemoClips)();
      this.demoSnap = demoSnapshot(clips);
    } catch (err) {
      this.log.warn({ source: DEMO_SOURCE_ID, err: String(err) }, 'demo clips unavailable; demo source off');
    }
  }

  private demoActive(): boolean {
    return this.demoSnap !== undefined && ![...this.states.values()].some((s) => s.def.enabled);
  }

  private effectiveMax(st: SourceState): number {
    const cfg = st.def.maxConnections;
    const prov = st.provider?.maxConnections;
    if (cfg !== undefined && prov !== undefined) return Math.min(cfg, prov);
    return cfg ?? prov ?? 1;
  }

  private accountKeyOf(def: SourceDefinition): string {
    if (def.type === 'xtream') return xtreamAccountKey(def.url, def.username);
    // A get.php playlist is an Xtream account too: share its limit with an xtream source of that account.
    if (def.url) {
      const user = new URL(def.url).searchParams.get('username');
      if (user) return xtreamAccountKey(def.url, user);
    }
    return `m3u:${def.id}`;
  }

  private async reloadDefinitions(refreshChanged: boolean): Promise<void> {
    const { definitions, problems } = await loadSourceDir(this.opts.tunersDir, this.opts.env ?? process.env);
    const fresh = problems.filter(
      (p) =>
        !this.fileProblems.some((q) => q.file === p.file && q.field === p.field && q.reason === p.reason),
    );
    for (const p of fresh) {
      this.log[p.warning ? 'info' : 'warn'](
        { file: p.file, field: p.field },
        `${p.file}: ${p.field ? `${p.field}: ` : ''}${p.reason}`,
      );
    }
    this.fileProblems = problems;
    const badIds = new Set(
      problems.filter((p) => !p.warning).map((p) => path.basename(p.file).replace(/\.json$/i, '')),
    );
    const seen = new Set<string>();
    const toRefresh: SourceState[] = [];
    let changed = false;
    for (const def of definitions) {
      seen.add(def.id);
      const own = problems.filter((p) => path.basename(p.file) === `${def.id}.json`);
      const st = this.states.get(def.id);
      if (!st) {
        const ns: SourceState = {
          def,
          accountKey: this.accountKeyOf(def),
          status: def.enabled ? 'pending' : 'disabled',
          failures: 0,
          problems: own,
        };
        this.states.set(def.id, ns);
        if (def.enabled) toRefresh.push(ns);
        changed = true;
        continue;
      }
      st.problems = own;
      if (sameDefinition(st.def, def)) continue;
      changed = true;
      const sameData = fingerprint(st.def) === fingerprint(def);
      const wasEnabled = st.def.enabled;
      st.def = def;
      st.accountKey = this.accountKeyOf(def);
      if (!def.enabled) {
        clearTimeout(st.timer);
        st.status = 'disabled';
        st.nextRefresh = undefined;
      } else if (!sameData || !wasEnabled || !st.snapshot) {
        st.status = st.snapshot ? st.status : 'pending';
        toRefresh.push(st);
      }
    }
    for (const [id, st] of this.states) {
      if (seen.has(id)) continue;
      if (badIds.has(id)) {
        // A broken edit: keep the last good definition running, report the problem.
        st.problems = problems.filter((p) => path.basename(p.file) === `${id}.json`);
        continue;
      }
      clearTimeout(st.timer);
      this.states.delete(id);
      await removeSourceCache(this.opts.dataDir, id).catch(() => undefined);
      this.log.info({ source: id }, 'source removed');
      changed = true;
    }
    if (!refreshChanged) return;
    if (changed) this.commit();
    await Promise.all(
      toRefresh.map(async (st) => {
        if (await this.refreshState(st)) this.commit();
      }),
    );
  }

  /** Read one source. On failure the last good snapshot stays. Resolves true on success. */
  private refreshState(
    st: SourceState,
    signal?: AbortSignal,
    onProgress?: (p: RefreshProgress) => void,
  ): Promise<boolean> {
    if (st.refreshing) return st.refreshing;
    const run = this.doRefresh(st, signal, onProgress).finally(() => {
      st.refreshing = undefined;
      this.schedule(st);
    });
    st.refreshing = run;
    return run;
  }

  private async doRefresh(
    st: SourceState,
    signal?: AbortSignal,
    onProgress?: (p: RefreshProgress) => void,
  ): Promise<boolean> {
    const def = st.def;
    const started = Date.now();
    st.lastAttempt = new Date(started).toISOString();
    const log = this.log.child({ source: def.id });
    try {
      const snap =
        def.type === 'xtream'
          ? await readXtreamSource(def, { signal, onProgress })
          : await readM3uSource(def, { signal, onProgress });
      if (st.def !== def) return false; // redefined meanwhile; the new definition refreshes itself
      if (snap.entries.length === 0 && (st.snapshot?.entries.length ?? 0) > 0) {
        throw new SourceError(
          `${def.definitionFile}: provider returned no channels; keeping the last good list`,
          'empty',
          undefined,
          'empty',
        );
      }
      st.snapshot = snap;
      st.provider = snap.provider ?? st.provider;
      st.status = 'ok';
      st.error = undefined;
      st.errorCode = undefined;
      st.failures = 0;
      st.lastRefresh = new Date().toISOString();
      log.info(
        {
          channels: snap.entries.length,
          skipped: snap.skipped,
          ms: Date.now() - started,
          maxConnections: st.provider?.maxConnections,
          activeConnections: st.provider?.activeConnections,
        },
        'source refreshed',
      );
      for (const w of snap.warnings.slice(0, 5)) log.debug({ warning: redact(w) }, 'source warning');
      const savedAt = st.lastRefresh;
      // Serialised with the other writes, so stop() waits for it.
      this.saving = this.saving.then(() =>
        writeSourceCache(this.opts.dataDir, def, snap, savedAt).catch((err: unknown) =>
          log.warn({ err: String(err) }, 'could not write the lineup cache'),
        ),
      );
      return true;
    } catch (err) {
      if (signal?.aborted) {
        log.info('refresh aborted');
        return false;
      }
      const e =
        err instanceof SourceError
          ? err
          : new SourceError(`${def.definitionFile}: ${String(err)}`, 'provider');
      st.status = 'error';
      st.error = redact(e.message);
      st.errorCode = e.code ?? e.kind;
      st.failures++;
      log.warn(
        { kind: e.kind, code: e.code, status: e.status, keptChannels: st.snapshot?.entries.length ?? 0 },
        st.error,
      );
      return false;
    }
  }

  private schedule(st: SourceState): void {
    clearTimeout(st.timer);
    if (this.stopped || !st.def.enabled || this.states.get(st.def.id) !== st) return;
    const interval = st.def.refreshInterval ?? this.opts.defaultRefreshInterval;
    let delay = interval;
    if (st.failures > 0) {
      // Back off; auth failures slowly, since panels ban IPs that keep failing logins.
      const base =
        st.errorCode && /auth|refused|expired|banned|disabled|not-found/.test(st.errorCode)
          ? 15 * 60_000
          : 60_000;
      delay = Math.min(interval, base * 2 ** Math.min(st.failures - 1, 8));
    }
    delay = Math.min(delay, MAX_TIMER_MS);
    st.nextRefresh = new Date(Date.now() + delay).toISOString();
    st.timer = setTimeout(() => {
      void this.refreshState(st).then((ok) => ok && this.commit());
    }, delay);
    st.timer.unref();
  }

  private startWatching(): void {
    try {
      this.watcher = watch(this.opts.tunersDir, () => {
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => void this.reload(), 200);
        this.reloadTimer.unref();
      });
      this.watcher.on('error', (err) =>
        this.log.warn({ err: String(err) }, 'watching tuners/ failed; edits need a restart'),
      );
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot watch tuners/; edits need a restart');
    }
  }

  /** Rebuild the lineup, persist numbering, tell listeners. */
  private commit(): void {
    if (this.stopped) return;
    this.rebuild();
    this.persist();
    this.emit('change');
  }

  private persist(): void {
    this.saving = this.saving
      .then(() => this.map.save())
      .then(() => this.overrides.save())
      .catch((err: unknown) =>
        this.log.error({ err: String(err) }, 'could not save the channel map or overrides'),
      );
  }

  private rebuild(): void {
    const sources: MergeSource[] = [];
    for (const st of this.states.values()) {
      if (!st.def.enabled || !st.snapshot) continue;
      sources.push({
        id: st.def.id,
        priority: st.def.priority,
        accountKey: st.accountKey,
        normalise: st.def.normalise,
        entries: st.snapshot.entries,
      });
    }
    if (this.demoActive()) {
      sources.push({
        id: DEMO_SOURCE_ID,
        priority: 0,
        accountKey: DEMO_SOURCE_ID,
        entries: this.demoSnap!.entries,
      });
    }
    const merged = mergeSources(sources, {
      qualityPreference: this.opts.qualityPreference,
      hlsVariant: this.opts.hlsVariant,
      route: (cid, key) => this.overrides.route(cid, key),
      isKnown: (key) => this.map.numberOf(key) !== undefined,
    });
    const pins = this.overrides.pinnedNumbers();
    const present = new Set(merged.map((m) => m.key));
    for (const [num, key] of pins) {
      // Pins survive a lost channel map; a pin never takes a number from a channel in the lineup.
      const owner = this.map.ownerOf(num);
      if (present.has(key) && owner !== key && !(owner && present.has(owner)))
        this.map.setNumber(key, num, key);
    }
    this.map.assign(
      merged.map((m) => ({ key: m.key, name: m.name, providerNumber: m.providerNumber })),
      { useProviderNumbers: this.opts.useProviderNumbers, pinned: new Set(pins.keys()) },
    );
    const records: ChannelRecord[] = merged.map((m) => {
      const o = this.overrides.get(m.key);
      const candidates = o?.candidateOrder ? reorder(m.candidates, o.candidateOrder) : m.candidates;
      const disabled = o?.disabled === true;
      return {
        key: m.key,
        guideNumber: this.map.numberOf(m.key)!,
        name: o?.name ?? m.name,
        epgId: m.epgId,
        logo: o?.logo ?? m.logo,
        group: o?.group ?? m.group,
        hd: m.hd,
        candidates,
        disabled,
        enabled: !disabled,
        override: o,
        candidateIds: candidates.map(candidateId),
      };
    });
    records.sort((a, b) => compareGuideNumbers(a.guideNumber, b.guideNumber));
    this.records = records;
    this.byKey = new Map(records.map((r) => [r.key, r]));
    this.enabledList = records.filter((r) => !r.disabled).map(toChannel);
    this.byNumber = new Map(this.enabledList.map((c) => [c.guideNumber, c]));
  }
}

function toChannel(r: ChannelRecord): Channel {
  return {
    key: r.key,
    guideNumber: r.guideNumber,
    name: r.name,
    epgId: r.epgId,
    logo: r.logo,
    group: r.group,
    hd: r.hd,
    candidates: r.candidates,
  };
}

function reorder<T extends { sourceId: string; streamId: string }>(
  list: readonly T[],
  order: readonly string[],
): T[] {
  const rank = new Map(order.map((id, i) => [id, i]));
  return list
    .map((c, i) => ({ c, i, r: rank.get(candidateId(c)) ?? order.length }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.c);
}

function sameDefinition(a: SourceDefinition, b: SourceDefinition): boolean {
  const ser = (d: SourceDefinition) =>
    JSON.stringify(d, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v));
  return ser(a) === ser(b);
}

// Re-exported for the admin API.
export { candidateId } from './merge.js';
export { OverrideError, type ChannelOverride, type OverridePatch } from './overrides.js';
export type { Problem } from '../sources/definition.js';
