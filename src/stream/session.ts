// One channel's tuner session: one upstream at a time spliced into one fixed output program,
// fanned out to every client of the channel through a ring. Owns the failover state machine:
// preferred → next candidate by priority → "channel unavailable" slate, with null/PSI
// keepalive in every gap, bounded hold-and-retry when everything fails, and recovery probes
// that switch back to a better source once it has proven stable.
import { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { Logger } from '../log.js';
import type { Channel, StreamCandidate } from '../model.js';
import type { TsClip } from '../media/clip.js';
import type { Backoff } from './backoff.js';
import { OutputBatcher } from './batcher.js';
import { ClientWriter, type ClientPolicy, type ClientStats } from './client.js';
import type { ConnectionLimiter } from './limiter.js';
import { Ring } from './ring.js';
import type { RecyclingSlabs } from './slab-pool.js';
import { SourceRun, type RunEvents, type RunFailure } from './source-run.js';
import type { CodecSignature, SplicerPort } from './splicer-port.js';
import { signatureOf } from '../ts/signature.js';
import type { FfmpegProfile } from './upstream/ffmpeg-args.js';
import type { Upstream } from './upstream/types.js';
import type { StreamingOptions } from './options.js';

export type SessionState = 'starting' | 'live' | 'fallback' | 'slate' | 'ended';

export interface SwitchRecord {
  readonly at: number;
  /** What clients saw before: a candidate's masked label, 'slate' or 'none'. */
  readonly from: string;
  /** What they see now: a candidate's masked label or 'slate'. */
  readonly to: string;
  /** Source id behind `from`, when it is a candidate (absent for 'slate' and 'none'). */
  readonly fromSource?: string;
  /** Source id behind `to`, when it is a candidate. */
  readonly toSource?: string;
  readonly reason: string;
  readonly gapMs: number;
}

export interface SessionInfo {
  readonly guideNumber: string;
  readonly channel: string;
  readonly tuner: number;
  readonly sourceId?: string;
  readonly source?: string;
  readonly upstreamKind?: string;
  readonly state: SessionState;
  readonly startedAt: number;
  /** Upstream bit rate over the last few seconds (bit/s). */
  readonly bitrate: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly clients: readonly ClientStats[];
  readonly switches: readonly SwitchRecord[];
}

export interface SessionEvents {
  switch(s: Session, r: SwitchRecord & { guideNumber: string }): void;
  allFailed(s: Session): void;
  recovered(s: Session, sourceId: string): void;
  probe(s: Session, p: { sourceId: string; ok: boolean; reason?: string }): void;
  ended(s: Session, reason: string): void;
}

export interface SessionDeps {
  readonly channel: Channel;
  readonly tuner: number;
  readonly options: StreamingOptions;
  readonly limiter: ConnectionLimiter;
  readonly backoff: Backoff;
  readonly logger: Logger;
  readonly splicer: SplicerPort;
  /** The splicer's output memory, when it is recycled: told what the ring and clients still need. */
  readonly memory?: RecyclingSlabs;
  readonly fallback: () => { manual: boolean; auto: boolean };
  readonly open: (c: StreamCandidate, profile: FfmpegProfile | undefined) => Promise<Upstream>;
  /** The "channel unavailable" slate closest to `height`. */
  readonly openSlate: (height: number | undefined) => Promise<{ upstream: Upstream; clip: TsClip }>;
  readonly events: SessionEvents;
  readonly now?: () => number;
}

/** Gap after which null/PSI keepalive is written (clients must never wait 1 s for a byte). */
const KEEPALIVE_MS = 250;
const TICK_MS = 50;
const MAX_SWITCHES_KEPT = 50;
/** Client policy besides maxLagMs: skips allowed per window before a client is disconnected. */
const MAX_SKIPS = 3;
const SKIP_WINDOW_MS = 60_000;
/** Ring byte cap per second of ring (40 Mbit/s). */
const RING_BYTES_PER_SECOND = 5 << 20;
/** Steady-state batching of client writes (ms): a latency nobody notices, far fewer syscalls. */
const PUMP_COALESCE_MS = 50;
const PUMP_MAX_BYTES = 256 * 1024;
/** Keyframes closer together than this (in wall time) ride the normal pump schedule. */
const RAP_PUMP_MS = 250;
/** Upstream flow control: pause once every client has this much unsent output, resume below the second. */
const PAUSE_BACKLOG = 2 << 20;
const RESUME_BACKLOG = 512 << 10;

export function candidateKey(c: StreamCandidate): string {
  return `${c.sourceId}\u0000${c.streamId}\u0000${c.url}`;
}

export class Session {
  state: SessionState = 'starting';
  readonly startedAt: number;
  readonly ring: Ring;
  private readonly clients = new Set<ClientWriter>();
  /** Clients gone whose sinks may still be flushing writes: their memory is not reused yet. */
  private readonly leaving = new Set<ClientWriter>();
  private readonly switches: SwitchRecord[] = [];
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private readonly policy: ClientPolicy;
  private active?: SourceRun;
  private pending?: SourceRun;
  private slate?: { upstream: Upstream; stopped: boolean };
  private slateStarting = false;
  private lastOutputAt: number;
  /** When live data last stopped (start of the current gap); undefined while a source is live. */
  private gapSince?: number;
  private lastFailReason = 'start';
  private allFailedSince?: number;
  private emptySince?: number;
  private lastSwitchBackAt = -Infinity;
  private lastProbeAt = -Infinity;
  /** Candidates seen to need the ffmpeg transcode to match the output's codecs. */
  private readonly transcode = new Set<string>();
  /** Clock jumps inside sources the splicer has rejoined after (see feed). */
  private clockJumps = 0;
  /** Candidates seen to serve fMP4 HLS, which only ffmpeg reads. */
  private readonly fmp4 = new Set<string>();
  /** A manual switch pins its source: no automatic switch-back until it fails. */
  private pinned?: string;
  private forcedNext?: string;
  private bytesOut = 0;
  private bytesIn = 0;
  /** A source has gone live at least once (the output has content). */
  private everLive = false;
  private rate: { t: number; bytes: number }[] = [];
  private closing?: Promise<void>;
  private spliceCount = 0;
  private pumpTimer?: NodeJS.Timeout;
  private lastPumpAt = -Infinity;
  private lastRapPumpAt = -Infinity;
  /** Output not yet in the ring: appended in large chunks when clients are pumped. */
  private readonly batch = new OutputBatcher();

  constructor(private readonly d: SessionDeps) {
    this.now = d.now ?? (() => performance.now());
    this.startedAt = Date.now();
    this.log = d.logger.child({ channel: d.channel.guideNumber, tuner: d.tuner });
    const o = d.options;
    this.ring = new Ring({ maxAgeMs: o.ringSeconds * 1000, maxBytes: o.ringSeconds * RING_BYTES_PER_SECOND });
    this.policy = { maxLagMs: o.maxLagMs, maxSkips: MAX_SKIPS, skipWindowMs: SKIP_WINDOW_MS };
    const now = this.now();
    this.lastOutputAt = now;
    this.gapSince = now;
    this.emptySince = now;
    // Cold tune: the client gets bytes at once, then keepalive until a source passes the gate.
    this.output(d.splicer.keepalive(), [], now);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
    this.tryStart();
  }

  get guideNumber(): string {
    return this.d.channel.guideNumber;
  }

  get tuner(): number {
    return this.d.tuner;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Accounts whose slots this session holds (live source and probe). */
  heldAccounts(): string[] {
    return [this.active, this.pending]
      .filter((r): r is SourceRun => r !== undefined)
      .map((r) => r.candidate.accountKey);
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Add a client; it starts at the newest keyframe (or the cold-tune PSI). */
  join(sink: Writable, address: string, signal?: AbortSignal): ClientWriter {
    // Output memory is recycled once written chunks have reached the socket; a sink of another
    // kind may hold on to them after its write callback, so recycling stops for good.
    if (!(sink instanceof ServerResponse || sink instanceof Socket)) this.d.memory?.disable();
    const w = new ClientWriter(this.ring, sink, address, this.policy, this.now, signal, () =>
      this.updateFlow(),
    );
    this.clients.add(w);
    this.emptySince = undefined;
    void w.done.then((reason) => {
      this.clients.delete(w);
      if (w.pinnedPos !== Infinity) this.leaving.add(w);
      this.updateFlow();
      this.log.info({ client: address, reason, drops: w.stats.drops }, 'client left');
      if (this.clients.size === 0 && !this.ended) this.emptySince = this.now();
    });
    w.pump();
    return w;
  }

  info(): SessionInfo {
    const a = this.active;
    return {
      guideNumber: this.guideNumber,
      channel: this.d.channel.name,
      tuner: this.d.tuner,
      sourceId: a?.candidate.sourceId,
      source: a?.label ?? (this.slate ? 'slate' : undefined),
      upstreamKind: a?.kind,
      state: this.state,
      startedAt: this.startedAt,
      bitrate: this.bitrate(),
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      clients: [...this.clients].map((c) => c.stats),
      switches: [...this.switches],
    };
  }

  /** Switch to the next candidate, or to the one from `sourceId`. False when there is none. */
  forceSwitch(sourceId?: string): boolean {
    if (this.ended) return false;
    const list = this.d.channel.candidates;
    const cur = this.active ? list.indexOf(this.active.candidate) : -1;
    const target = sourceId
      ? list.find((c) => c.sourceId === sourceId && c !== this.active?.candidate)
      : (list.find((_c, i) => i > cur) ?? list.find((c) => c !== this.active?.candidate));
    if (!target) return false;
    this.pinned = candidateKey(target);
    this.forcedNext = candidateKey(target);
    this.d.backoff.succeed(candidateKey(target));
    this.dropPending();
    // With a free slot the new source is validated while the current one keeps playing.
    if (!this.startRun(target, 'live') && this.active) {
      // Same account and no spare slot: let go of the current source first.
      const old = this.active;
      this.active = undefined;
      this.beginGap('manual');
      void old.close().then(() => !this.ended && !this.pending && this.startRun(target, 'live'));
    }
    return true;
  }

  /** Manual fallback / auto-fallback changed: re-evaluate the current source. */
  fallbackChanged(): void {
    if (this.ended) return;
    const { manual } = this.d.fallback();
    if (manual && this.active && this.indexOf(this.active.candidate) === 0) {
      const next = this.d.channel.candidates[1];
      if (next) this.forceSwitch(next.sourceId);
      else this.failActive('manual-fallback', 'manual fallback: slate');
    }
    this.pinned = undefined;
    this.lastProbeAt = -Infinity;
  }

  /** End the session: clients get the end of stream, slots come back once sockets close. */
  end(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    this.state = 'ended';
    clearInterval(this.timer);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.log.info({ reason }, 'session ended');
    for (const b of this.batch.take()) this.ring.append(b.data, b.rapOffsets, this.now());
    for (const c of this.clients) c.end();
    this.clients.clear();
    this.stopSlate();
    const runs = [this.active, this.pending].filter((r): r is SourceRun => r !== undefined);
    this.active = this.pending = undefined;
    this.ring.clear();
    this.d.events.ended(this, reason);
    this.closing = Promise.all(runs.map((r) => r.close())).then(() => undefined);
    return this.closing;
  }

  // ---- the state machine -------------------------------------------------------------------

  private tick(): void {
    if (this.ended) return;
    const now = this.now();
    this.active?.check(now);
    this.pending?.check(now);
    if (this.ended) return;
    const o = this.d.options;
    if (now - this.lastOutputAt >= KEEPALIVE_MS) this.output(this.d.splicer.keepalive(), [], now);
    if (!this.active && this.gapSince !== undefined && now - this.gapSince >= o.slateAfterMs)
      this.startSlate();
    if (!this.active && !this.pending) this.tryStart();
    this.maybeProbe(now);
    this.maybeSwitchBack(now);
    if (this.allFailedSince !== undefined && now - this.allFailedSince > o.allSourcesFailedHoldMs) {
      void this.end('all sources failed');
      return;
    }
    if (this.emptySince !== undefined && now - this.emptySince >= o.lingerMs) void this.end('idle');
  }

  private indexOf(c: StreamCandidate): number {
    return this.d.channel.candidates.indexOf(c);
  }

  /** Candidates allowed right now, in failover order. */
  private eligible(): StreamCandidate[] {
    const { manual, auto } = this.d.fallback();
    let list = [...this.d.channel.candidates];
    // Manual fallback: everything but the preferred source. No auto fallback: only the preferred.
    if (manual) list = list.slice(1);
    else if (!auto) list = list.slice(0, 1);
    return list.filter(
      (c) => c.kind === 'loop' || !this.transcode.has(candidateKey(c)) || this.d.options.ffmpegPath,
    );
  }

  /** Open the best eligible candidate (no live source, nothing pending). */
  private tryStart(): void {
    if (this.ended || this.pending) return;
    const now = this.now();
    let waitingForSlot = false;
    for (const c of this.eligible()) {
      if (!this.d.backoff.ready(candidateKey(c), now)) continue;
      if (this.startRun(c, 'live')) return;
      waitingForSlot = true;
    }
    // Nothing to try: every candidate is backing off, or (for longer than a stall) has no free
    // slot. A slot held by our own closing socket comes back within milliseconds, so wait for it.
    const gap = this.gapSince === undefined ? 0 : now - this.gapSince;
    // Manual fallback with nothing but the preferred source: the slate for as long as it is on.
    const manualSlate = this.d.fallback().manual && this.eligible().length === 0;
    if (
      !this.active &&
      !manualSlate &&
      this.allFailedSince === undefined &&
      (!waitingForSlot || gap > this.d.options.stallMs)
    ) {
      this.markAllFailed();
    }
  }

  private markAllFailed(): void {
    this.allFailedSince = this.now();
    this.log.warn(
      { holdMs: this.d.options.allSourcesFailedHoldMs },
      'all sources failed; holding on the slate while retrying',
    );
    this.d.events.allFailed(this);
  }

  /** Take a slot and start validating `c`. False when its account has no free slot. */
  private startRun(c: StreamCandidate, purpose: 'live' | 'probe'): boolean {
    const loop = c.kind === 'loop';
    const lease = this.d.limiter.tryAcquire(c.accountKey, purpose);
    if (!lease) return false;
    const key = candidateKey(c);
    const base: FfmpegProfile | undefined = this.transcode.has(key)
      ? {
          video: 'h264',
          audio: 'aac',
          height: this.d.splicer.signature?.height ?? this.d.options.slateHeight,
        }
      : (c.normalise || this.fmp4.has(key)) && !loop
        ? { video: 'copy', audio: 'copy' }
        : undefined;
    const profile: FfmpegProfile | undefined = base && this.fmp4.has(key) ? { ...base, input: 'fmp4' } : base;
    const run = new SourceRun(
      c,
      purpose,
      lease,
      {
        stallMs: this.d.options.stallMs,
        validateTimeoutMs: this.d.options.validateTimeoutMs,
        maxBufferBytes: 32 << 20,
      },
      this.runEvents,
      this.now,
      profile !== undefined,
    );
    this.pending = run;
    this.log.info(
      { source: c.sourceId, label: c.label, purpose, normalise: profile?.video },
      'opening source',
    );
    run.start(() => this.d.open(c, profile));
    return true;
  }

  private readonly runEvents: RunEvents = {
    ready: (run) => this.onReady(run),
    layout: (run) => {
      // Cold tune: the client has had only PAT and null packets; the PMT can go out now.
      const pmt = run.analyzer.state.pmt;
      if (run !== this.pending || this.everLive || !pmt || !this.d.splicer.announce?.(pmt)) return;
      this.output(this.d.splicer.psi(), [], this.now());
    },
    data: (run, packets) => {
      if (run !== this.active) return;
      this.bytesIn += packets.length;
      this.feed(packets);
    },
    splice: (run, reason) => {
      if (run !== this.active) return;
      this.d.splicer.begin(`${run.candidate.sourceId}#${++this.spliceCount}`);
      this.log.info({ source: run.candidate.sourceId, reason }, 'upstream timeline break: re-splicing');
    },
    failed: (run, f) => this.onFailed(run, f),
  };

  private onReady(run: SourceRun): void {
    if (run !== this.pending || this.ended) return;
    const c = run.candidate;
    const sig = signatureOf(run.analyzer.state);
    if (sig && !this.d.splicer.compatible(sig)) {
      const key = candidateKey(c);
      this.pending = undefined;
      void run.close();
      if (this.d.options.ffmpegPath && !run.normalised && c.kind !== 'loop') {
        this.log.info(
          { source: c.sourceId, ...sig },
          'source codecs differ from the channel: using the ffmpeg normaliser',
        );
        this.transcode.add(key);
        this.startRun(c, run.purpose);
      } else {
        this.log.warn({ source: c.sourceId, ...sig }, 'source codecs differ from the channel: skipped');
        this.d.backoff.fail(key, this.now());
        this.d.events.probe(this, { sourceId: c.sourceId, ok: false, reason: 'incompatible' });
      }
      return;
    }
    if (run.purpose === 'probe' && this.active) {
      this.log.info({ source: c.sourceId }, 'recovery probe valid; waiting for it to prove stable');
      return; // maybeSwitchBack() decides
    }
    this.switchTo(run, this.forcedNext === candidateKey(c) ? 'manual' : this.lastFailReason);
  }

  private onFailed(run: SourceRun, f: RunFailure): void {
    const c = run.candidate;
    const key = candidateKey(c);
    if (run === this.pending && f.reason === 'fmp4' && this.d.options.ffmpegPath && !this.fmp4.has(key)) {
      // Not a fault of the source: read it again through ffmpeg, which reads fMP4.
      this.pending = undefined;
      void run.close();
      this.log.info({ source: c.sourceId }, 'fMP4 HLS source: reading it through ffmpeg');
      this.fmp4.add(key);
      if (!this.startRun(c, run.purpose) && !this.active) this.tryStart();
      return;
    }
    this.d.backoff.fail(key, this.now());
    this.log.warn(
      { source: c.sourceId, label: c.label, reason: f.reason, detail: f.detail, mode: run.mode },
      'source failed',
    );
    if (this.pinned === key) this.pinned = undefined;
    if (run === this.pending) {
      this.pending = undefined;
      void run.close();
      if (run.purpose === 'probe')
        this.d.events.probe(this, { sourceId: c.sourceId, ok: false, reason: f.reason });
      else this.lastFailReason = f.reason;
      if (!this.active) this.tryStart();
      return;
    }
    if (run === this.active) this.failActive(f.reason, f.detail);
  }

  /** The live source is gone: keepalive now, slate after slateAfterMs, next candidate at once. */
  private failActive(reason: string, detail: string): void {
    const run = this.active;
    this.active = undefined;
    this.lastFailReason = reason;
    this.gapSince ??= run?.lastDataAt;
    this.beginGap(reason);
    if (run) void run.close();
    this.log.info({ reason, detail }, 'failing over');
    // A recovery probe of a better source under way becomes the live attempt.
    const p = this.pending;
    if (p?.mode === 'hold') this.switchTo(p, reason);
    else if (!p) this.tryStart();
  }

  private beginGap(reason: string): void {
    this.gapSince ??= this.now();
    this.lastFailReason = reason;
    this.state = this.slate ? 'slate' : this.state === 'starting' ? 'starting' : 'fallback';
  }

  private dropPending(): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) void p.close();
  }

  private switchTo(run: SourceRun, reason: string): void {
    const now = this.now();
    const old = this.active;
    const from = old?.candidate.label ?? (this.slate ? 'slate' : 'none');
    const gapMs = old || this.gapSince === undefined ? 0 : Math.round(now - this.gapSince);
    this.stopSlate();
    this.active = run;
    this.pending = undefined;
    this.gapSince = undefined;
    this.allFailedSince = undefined;
    this.forcedNext = undefined;
    this.lastProbeAt = now; // first recovery probe one interval after landing on a fallback
    const c = run.candidate;
    this.d.backoff.succeed(candidateKey(c));
    this.state = this.indexOf(c) === 0 ? 'live' : 'fallback';
    // Listeners see the switch before its bytes.
    this.record(
      { from, to: c.label, fromSource: old?.candidate.sourceId, toSource: c.sourceId },
      reason,
      gapMs,
    );
    this.d.splicer.begin(`${c.sourceId}#${++this.spliceCount}`);
    for (const b of run.goLive(() => this.d.splicer.health)) this.feed(b);
    // Cold tune: nothing was played before, so release the first keyframe's PES at once
    // instead of holding it until the next frame starts (the hold only protects splices).
    if (!this.everLive && this.d.splicer.flush) {
      const f = this.d.splicer.flush();
      if (f.data.length > 0) this.output(f.data, f.rapOffsets, now);
    }
    this.everLive = true;
    if (old) void old.close();
  }

  private record(
    w: { from: string; to: string; fromSource?: string; toSource?: string },
    reason: string,
    gapMs: number,
  ): void {
    const { from, to, fromSource, toSource } = w;
    const r: SwitchRecord = {
      at: Date.now(),
      from,
      to,
      ...(fromSource !== undefined && { fromSource }),
      ...(toSource !== undefined && { toSource }),
      reason,
      gapMs,
    };
    this.switches.push(r);
    if (this.switches.length > MAX_SWITCHES_KEPT) this.switches.shift();
    this.log.info({ source: toSource, fromSource, from, to, reason, gapMs }, 'switch');
    this.d.events.switch(this, { ...r, guideNumber: this.guideNumber });
  }

  /** While on the slate or a lower-priority source, probe a better one now and then. */
  private maybeProbe(now: number): void {
    if (!this.active || this.pending || this.pinned) return;
    if (now - this.lastProbeAt < this.d.options.probeIntervalMs) return;
    const idx = this.indexOf(this.active.candidate);
    for (const c of this.eligible()) {
      if (this.indexOf(c) >= idx) break;
      if (!this.d.backoff.ready(candidateKey(c), now)) continue;
      this.lastProbeAt = now;
      if (this.startRun(c, 'probe')) return;
    }
  }

  /** A probe that stayed healthy long enough replaces the live source at its newest keyframe. */
  private maybeSwitchBack(now: number): void {
    const p = this.pending;
    if (!p || p.purpose !== 'probe' || p.mode !== 'hold' || p.readyAt === undefined) return;
    const o = this.d.options;
    if (now - p.readyAt < o.switchBackStableMs || now - this.lastSwitchBackAt < o.minSwitchBackIntervalMs)
      return;
    this.lastSwitchBackAt = now;
    this.d.events.probe(this, { sourceId: p.candidate.sourceId, ok: true });
    this.switchTo(p, 'recovered');
    this.d.events.recovered(this, p.candidate.sourceId);
  }

  private startSlate(): void {
    if (this.slate || this.slateStarting || this.ended) return;
    this.slateStarting = true;
    this.d.openSlate(this.d.splicer.signature?.height).then(
      ({ upstream, clip }) => {
        this.slateStarting = false;
        const sig: CodecSignature = { video: clip.videoCodec, audio: clip.audioCodec };
        if (this.ended || this.active || !this.d.splicer.compatible(sig)) {
          if (!this.ended && !this.active)
            this.log.warn(sig, 'slate codecs differ from the channel: keepalive only');
          void upstream.close();
          return;
        }
        const slate = { upstream, stopped: false };
        this.slate = slate;
        const gapMs = this.gapSince === undefined ? 0 : Math.round(this.now() - this.gapSince);
        this.state = 'slate';
        this.record({ from: 'none', to: 'slate' }, this.lastFailReason, gapMs);
        this.d.splicer.begin(`slate#${++this.spliceCount}`);
        upstream.start({
          data: (b) => {
            if (!slate.stopped) this.feed(b);
          },
          splice: () => {},
          end: () => {
            if (this.slate === slate) this.stopSlate();
          },
        });
      },
      (err: unknown) => {
        this.slateStarting = false;
        this.log.error({ err: String(err) }, 'slate unavailable: keepalive only');
      },
    );
  }

  private stopSlate(): void {
    const s = this.slate;
    if (!s) return;
    s.stopped = true;
    this.slate = undefined;
    void s.upstream.close();
  }

  // ---- output -------------------------------------------------------------------------------

  private feed(packets: Buffer): void {
    const r = this.d.splicer.push(packets);
    const jumps = this.d.splicer.health.clockJumps ?? 0;
    if (jumps !== this.clockJumps) {
      this.clockJumps = jumps;
      this.log.warn(
        { source: this.active?.candidate.sourceId },
        "source clock jumped (encoder restart?): output continues from the source's next keyframe",
      );
    }
    if (r.data.length > 0) this.output(r.data, r.rapOffsets, this.now());
  }

  private output(data: Buffer, rapOffsets: readonly number[], now: number): void {
    if (data.length === 0 || this.ended) return;
    this.lastOutputAt = now;
    this.bytesOut += data.length;
    this.batch.add(data, rapOffsets);
    // A keyframe after a quiet spell (a cold tune's or a switch's first picture) and big
    // backlogs go out at once. Keyframes in quick succession (an unpaced source) need not.
    const firstRap = rapOffsets.length > 0 && now - this.lastRapPumpAt >= RAP_PUMP_MS;
    if (firstRap) this.lastRapPumpAt = now;
    if (firstRap || this.batch.bytes >= PUMP_MAX_BYTES) this.pumpAll();
    else this.schedulePump(now);
    this.sampleRate(now);
  }

  /**
   * Wake the clients. After a quiet spell at once (cold tune, keyframes after a gap); while data
   * flows, at most every PUMP_COALESCE_MS so each client gets several chunks per write — with
   * hundreds of clients the number of writes, not the bytes, is what costs CPU.
   */
  private schedulePump(now: number): void {
    if (this.pumpTimer) return;
    const wait = this.lastPumpAt + PUMP_COALESCE_MS - now;
    if (wait <= 0) return this.pumpAll();
    this.pumpTimer = setTimeout(() => this.pumpAll(), wait);
  }

  private pumpAll(): void {
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.lastPumpAt = this.now();
    const mem = this.d.memory;
    for (const b of this.batch.take()) {
      this.ring.append(b.data, b.rapOffsets, this.lastPumpAt);
      mem?.appended(b.data, this.ring.endPos);
    }
    let safe = this.ring.firstPos;
    for (const c of this.clients) {
      c.pump();
      safe = Math.min(safe, c.pinnedPos);
    }
    for (const c of this.leaving) {
      if (c.pinnedPos === Infinity) this.leaving.delete(c);
      else safe = Math.min(safe, c.pinnedPos);
    }
    mem?.recycle(safe);
    this.updateFlow();
  }

  /**
   * Backpressure to the upstream only when every client has a backlog in the ring: nobody can
   * take more, so reading on would just make all of them skip. One slow client never slows the
   * others. The hysteresis keeps an unpaced source from ping-ponging (pause/resume per socket
   * buffer is a round trip each and caps throughput far below the link).
   */
  private updateFlow(): void {
    const run = this.active;
    if (!run) return;
    const limit = run.isPaused ? RESUME_BACKLOG : PAUSE_BACKLOG;
    let pause = this.clients.size > 0;
    for (const c of this.clients) {
      if (c.backlog < limit) {
        pause = false;
        break;
      }
    }
    run.setPaused(pause);
  }

  private sampleRate(now: number): void {
    const last = this.rate.at(-1);
    if (last && now - last.t < 500) return;
    this.rate.push({ t: now, bytes: this.bytesOut });
    while (this.rate.length > 12) this.rate.shift();
  }

  private bitrate(): number {
    const a = this.rate[0];
    const b = this.rate.at(-1);
    if (!a || !b || b.t === a.t) return 0;
    return Math.round(((b.bytes - a.bytes) * 8 * 1000) / (b.t - a.t));
  }
}
