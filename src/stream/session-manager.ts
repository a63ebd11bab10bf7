// Tuners and sessions: one session per channel, shared by all of its clients. The first client
// opens it (taking a tuner index and a connection slot), later ones join without a new slot;
// it lingers after the last client leaves so zapping does not thrash upstreams, and a lingering
// session is evicted when its tuner or slot is needed by another channel.
import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import type { Logger } from '../log.js';
import type { Channel, SourceLimit, StreamCandidate } from '../model.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { demoClip, slateClip } from './clips.js';
import { ConnectionLimiter, type AccountUsage } from './limiter.js';
import type { StreamingOptions } from './options.js';
import { Splicer } from '../ts/splicer.js';
import { Session, type SessionInfo, type SwitchRecord } from './session.js';
import { RecyclingSlabs } from './slab-pool.js';
import type { SplicerPort } from './splicer-port.js';
import type { FfmpegProfile } from './upstream/ffmpeg-args.js';
import { LoopUpstream } from './upstream/loop.js';
import { openUpstream } from './upstream/open.js';
import type { Upstream } from './upstream/types.js';
import type { HttpTimeouts } from './upstream/http.js';
import type { HlsOptions } from './upstream/hls.js';

export type { StreamingOptions } from './options.js';
export { DEFAULT_STREAMING } from './options.js';
export type { SessionInfo, SwitchRecord } from './session.js';

export type AttachResult =
  | { ok: true; tuner: number; session: SessionInfo; done: Promise<void> }
  | { ok: false; status: 404 | 503; code: number; text: string };

export interface SessionManagerOptions {
  options: StreamingOptions;
  limits: () => readonly SourceLimit[];
  tunerCount: () => number;
  logger: Logger;
  /** Per-source retry back-off (default 1 s doubling to 60 s). */
  backoff?: BackoffPolicy;
  /** Upstream HTTP timeouts (default: connect 3 s, headers = validateTimeoutMs, body = 2 × stallMs). */
  timeouts?: Partial<HttpTimeouts>;
  hls?: HlsOptions;
  /** Splicer factory (the TS layer's Splicer); tests may inject their own. */
  createSplicer?: () => SplicerPort;
  /** How long the "all tuners in use" slate plays before the stream ends (busyResponse 'slate'). */
  busySlateMs?: number;
}

export class SessionManager extends EventEmitter {
  private readonly byGuide = new Map<string, Session>();
  private readonly limiter: ConnectionLimiter;
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private manual = false;
  private auto: boolean;
  private closed = false;
  private readonly busySlates = new Set<Writable>();

  constructor(private readonly o: SessionManagerOptions) {
    super();
    this.limiter = new ConnectionLimiter(o.limits);
    this.backoff = new Backoff(o.backoff ?? DEFAULT_BACKOFF);
    this.log = o.logger;
    this.auto = o.options.autoFallback;
  }

  async attach(
    channel: Channel,
    sink: Writable,
    opts: { tuner?: number; client: string; signal?: AbortSignal },
  ): Promise<AttachResult> {
    if (this.closed) return busy(803, 'System Busy');
    const existing = this.live(channel.guideNumber);
    if (opts.tuner !== undefined) {
      const holder = this.byTuner(opts.tuner);
      if (opts.tuner < 0 || opts.tuner >= this.o.tunerCount()) return busy(804, 'Tuner In Use');
      if (holder && holder !== existing && holder.clientCount > 0) return busy(804, 'Tuner In Use');
    }
    if (existing) return this.join(existing, sink, opts);
    if (channel.candidates.length === 0) return busy(807, 'No Video Data');

    // A tuner and a connection slot for at least one candidate, evicting idle sessions if needed.
    let tuner = opts.tuner ?? this.freeTuner();
    const needs = (): boolean =>
      tuner === undefined || this.byTuner(tuner) !== undefined || !this.hasSlot(channel.candidates);
    if (needs()) {
      await this.evictIdle(channel.candidates, opts.tuner);
      tuner = opts.tuner ?? this.freeTuner();
    }
    const again = this.live(channel.guideNumber); // another client may have opened it meanwhile
    if (again) return this.join(again, sink, opts);
    if (tuner === undefined || this.byTuner(tuner) !== undefined || !this.hasSlot(channel.candidates)) {
      this.log.warn(
        { channel: channel.guideNumber, client: opts.client },
        'no free tuner or connection slot',
      );
      if (this.o.options.busyResponse === 'slate') return this.busySlate(channel, sink, opts.signal);
      return busy(
        opts.tuner !== undefined ? 804 : 805,
        opts.tuner !== undefined ? 'Tuner In Use' : 'All Tuners In Use',
      );
    }
    const session = this.create(channel, tuner);
    return this.join(session, sink, opts);
  }

  sessions(): SessionInfo[] {
    return [...this.byGuide.values()].map((s) => s.info());
  }

  tunersInUse(): number {
    return this.byGuide.size;
  }

  /** Per-account slot usage (includes sockets still closing and recovery probes). */
  connections(): AccountUsage[] {
    return this.limiter.usage();
  }

  kill(guideNumber: string): boolean {
    const s = this.byGuide.get(guideNumber);
    if (!s) return false;
    void s.end('killed');
    return true;
  }

  forceSwitch(guideNumber: string, toSourceId?: string): boolean {
    return this.byGuide.get(guideNumber)?.forceSwitch(toSourceId) ?? false;
  }

  setManualFallback(on: boolean): void {
    this.manual = on;
    this.log.info({ manual: on }, 'manual fallback');
    for (const s of this.byGuide.values()) s.fallbackChanged();
  }

  setAutoFallback(on: boolean): void {
    this.auto = on;
    this.log.info({ auto: on }, 'auto fallback');
    for (const s of this.byGuide.values()) s.fallbackChanged();
  }

  fallbackState(): { manual: boolean; auto: boolean } {
    return { manual: this.manual, auto: this.auto };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.busySlates) w.end();
    await Promise.all([...this.byGuide.values()].map((s) => s.end('shutdown')));
  }

  // ---- internals ----------------------------------------------------------------------------

  private live(guideNumber: string): Session | undefined {
    const s = this.byGuide.get(guideNumber);
    return s && !s.ended ? s : undefined;
  }

  private byTuner(tuner: number): Session | undefined {
    for (const s of this.byGuide.values()) if (s.tuner === tuner) return s;
    return undefined;
  }

  private freeTuner(): number | undefined {
    const n = this.o.tunerCount();
    for (let i = 0; i < n; i++) if (!this.byTuner(i)) return i;
    return undefined;
  }

  private hasSlot(cands: readonly StreamCandidate[]): boolean {
    return cands.some((c) => this.limiter.free(c.accountKey) > 0);
  }

  /** End sessions without clients that stand in the way (tuner or account slot), oldest first. */
  private async evictIdle(cands: readonly StreamCandidate[], tuner?: number): Promise<void> {
    const accounts = new Set(cands.map((c) => c.accountKey));
    const idle = [...this.byGuide.values()].filter((s) => s.clientCount === 0);
    const noTuner = this.freeTuner() === undefined;
    const victims = idle.filter(
      (s) =>
        (tuner !== undefined && s.tuner === tuner) ||
        noTuner ||
        s.heldAccounts().some((a) => accounts.has(a)),
    );
    if (victims.length === 0) return;
    this.log.info({ sessions: victims.map((v) => v.guideNumber) }, 'evicting idle sessions');
    await Promise.all(victims.map((v) => v.end('evicted')));
  }

  private create(channel: Channel, tuner: number): Session {
    const options = this.o.options;
    const timeouts: HttpTimeouts = {
      connectMs: this.o.timeouts?.connectMs ?? 3000,
      headersMs: this.o.timeouts?.headersMs ?? options.validateTimeoutMs,
      bodyMs: this.o.timeouts?.bodyMs ?? options.stallMs * 2,
    };
    // Our own splicer writes into memory the session recycles; an injected one keeps its own.
    const memory = this.o.createSplicer ? undefined : new RecyclingSlabs();
    const session = new Session({
      channel,
      tuner,
      options,
      limiter: this.limiter,
      backoff: this.backoff,
      logger: this.log,
      splicer: this.o.createSplicer?.() ?? new Splicer({ memory }),
      memory,
      fallback: () => this.fallbackState(),
      open: (c, profile) => this.open(c, profile, timeouts),
      openSlate: async (height) => {
        const clip = await slateClip('unavailable', height ?? options.slateHeight);
        return { clip, upstream: new LoopUpstream(clip) };
      },
      events: {
        switch: (_s, r) => this.emit('switch', r),
        allFailed: (s) => this.emit('all-failed', { guideNumber: s.guideNumber }),
        recovered: (s, sourceId) => this.emit('recovered', { guideNumber: s.guideNumber, sourceId }),
        probe: (s, p) => {
          this.log.info(
            { channel: s.guideNumber, source: p.sourceId, ok: p.ok, reason: p.reason },
            'recovery probe',
          );
          this.emit('probe', { guideNumber: s.guideNumber, ...p });
        },
        ended: (s, reason) => {
          if (this.byGuide.get(s.guideNumber) === s) this.byGuide.delete(s.guideNumber);
          this.log.info({ channel: s.guideNumber, tuner: s.tuner, reason }, 'session stop');
          this.emit('session-stop', { guideNumber: s.guideNumber, tuner: s.tuner, reason });
        },
      },
    });
    this.byGuide.set(channel.guideNumber, session);
    this.log.info({ channel: channel.guideNumber, name: channel.name, tuner }, 'session start');
    this.emit('session-start', { guideNumber: channel.guideNumber, tuner });
    return session;
  }

  private async open(
    c: StreamCandidate,
    profile: FfmpegProfile | undefined,
    timeouts: HttpTimeouts,
  ): Promise<Upstream> {
    const ffmpegPath = this.o.options.ffmpegPath;
    return openUpstream(c, {
      timeouts,
      hls: this.o.hls,
      ffmpeg: profile && ffmpegPath ? { path: ffmpegPath, profile } : undefined,
      openLoop: async (cand) => new LoopUpstream(await demoClip(cand.url)),
    });
  }

  private join(
    session: Session,
    sink: Writable,
    opts: { client: string; signal?: AbortSignal },
  ): AttachResult {
    const w = session.join(sink, opts.client, opts.signal);
    this.log.info(
      { channel: session.guideNumber, client: opts.client, clients: session.clientCount },
      'client join',
    );
    this.emit('client-join', { guideNumber: session.guideNumber, client: opts.client });
    const done = w.done.then((reason) => {
      this.log.info({ channel: session.guideNumber, client: opts.client, reason }, 'client leave');
      this.emit('client-leave', { guideNumber: session.guideNumber, client: opts.client, reason });
    });
    return { ok: true, tuner: session.tuner, session: session.info(), done };
  }

  /** busyResponse 'slate': a short "all tuners in use" clip instead of a 503. */
  private async busySlate(channel: Channel, sink: Writable, signal?: AbortSignal): Promise<AttachResult> {
    let up: LoopUpstream;
    try {
      up = new LoopUpstream(await slateClip('busy', this.o.options.slateHeight));
    } catch {
      return busy(805, 'All Tuners In Use');
    }
    this.busySlates.add(sink);
    const stop = (): void => {
      clearTimeout(t);
      void up.close();
      this.busySlates.delete(sink);
      if (!sink.writableEnded) sink.end();
    };
    const t = setTimeout(stop, this.o.busySlateMs ?? 10_000);
    signal?.addEventListener('abort', stop, { once: true });
    sink.once('close', stop);
    up.start({ data: (b) => void sink.write(b), splice: () => {}, end: stop });
    const done = new Promise<void>((r) => sink.once('close', () => r()));
    const info: SessionInfo = {
      guideNumber: channel.guideNumber,
      channel: channel.name,
      tuner: -1,
      source: 'busy slate',
      state: 'slate',
      startedAt: Date.now(),
      bitrate: 0,
      bytesIn: 0,
      bytesOut: 0,
      clients: [],
      switches: [],
    };
    return { ok: true, tuner: -1, session: info, done };
  }
}

function busy(code: number, text: string): AttachResult {
  return { ok: false, status: 503, code, text };
}

export type { SwitchRecord as SwitchEvent };
