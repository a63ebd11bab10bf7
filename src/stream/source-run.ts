// One attempt at playing one candidate: its limiter slot, its upstream, and what we learn from
// its bytes. It moves through gate (validation) → hold (validated, buffering from the newest
// random-access point, e.g. a recovery probe proving itself stable) → live (bytes forwarded to
// the splicer). Any failure is reported once; close() gives the slot back only after the
// upstream's sockets/processes are really gone.
import type { StreamCandidate } from '../model.js';
import { PacketAligner } from '../ts/aligner.js';
import { StreamAnalyzer } from '../ts/analyzer.js';
import { PAT_PID, TS_PACKET_SIZE as P } from '../ts/constants.js';
import { pidOf, pusiOf } from '../ts/packet.js';
import { isVideoRap } from '../ts/rap.js';
import type { Lease } from './limiter.js';
import type { Upstream, UpstreamError } from './upstream/types.js';
import { DEFAULT_WATCHDOG, Watchdog, type SourceCounters } from './watchdog.js';

export type RunMode = 'opening' | 'gate' | 'hold' | 'live' | 'closed';

export interface RunFailure {
  /** Short machine-friendly reason: an UpstreamError code or a watchdog verdict. */
  readonly reason: string;
  readonly detail: string;
}

export interface RunEvents {
  /** Validation passed (PAT, PMT, PCR, video random-access point). */
  ready(run: SourceRun): void;
  /** The gate has parsed the source's PMT (`run.analyzer.state.pmt`), usually long before `ready`. */
  layout?(run: SourceRun): void;
  /**
   * Live-mode bytes, exactly as received (not aligned: the splicer aligns and parses them once;
   * the analyzer and aligner of the gate are off the hot path by then).
   */
  data(run: SourceRun, bytes: Buffer): void;
  /** The upstream starts a new timeline (HLS discontinuity) while live. */
  splice(run: SourceRun, reason: string): void;
  failed(run: SourceRun, f: RunFailure): void;
}

export interface RunOptions {
  readonly stallMs: number;
  readonly validateTimeoutMs: number;
  /** Cap on bytes buffered while validating/holding (one GOP plus PSI normally). */
  readonly maxBufferBytes: number;
}

export class SourceRun {
  mode: RunMode = 'opening';
  readonly openedAt: number;
  readyAt?: number;
  bytesIn = 0;
  /** When the last bytes arrived (the client-visible gap of a failover starts here). */
  lastDataAt?: number;
  upstream?: Upstream;
  readonly analyzer = new StreamAnalyzer();
  private readonly aligner = new PacketAligner();
  private watchdog?: Watchdog;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private pat?: Buffer;
  private pmt?: Buffer;
  private closing?: Promise<void>;
  private failedOnce = false;
  private layoutSeen = false;
  private paused = false;
  /** Live: what the consumer of our bytes (the splicer) learnt about them, for the watchdog. */
  private liveHealth?: () => SourceCounters;

  constructor(
    readonly candidate: StreamCandidate,
    readonly purpose: 'live' | 'probe',
    private readonly lease: Lease | undefined,
    private readonly opts: RunOptions,
    private readonly events: RunEvents,
    private readonly now: () => number,
    /** Set when this run goes through the ffmpeg normaliser. */
    readonly normalised: boolean,
  ) {
    this.openedAt = now();
  }

  get label(): string {
    return this.candidate.label;
  }

  get kind(): string {
    return this.upstream?.kind ?? this.candidate.kind;
  }

  /** Open with `open()`; failures are reported through `failed`. */
  start(open: () => Promise<Upstream>): void {
    open().then(
      (up) => {
        if (this.mode === 'closed') {
          void up.close();
          return;
        }
        this.upstream = up;
        this.mode = 'gate';
        up.start({
          data: (b) => this.onBytes(b),
          splice: (r) => this.onSplice(r),
          end: (err) => this.fail(err?.code ?? 'eof', err?.message ?? 'upstream ended'),
        });
      },
      (err: UpstreamError) => this.fail(err.code ?? 'error', err.message ?? 'open failed'),
    );
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Flow control from the session: stop/restart reading; the watchdog ignores our own pauses. */
  setPaused(on: boolean): void {
    if (on === this.paused || this.mode !== 'live') return;
    this.paused = on;
    if (on) this.upstream?.pause?.();
    else {
      this.watchdog?.resume(this.now());
      this.upstream?.resume?.();
    }
  }

  /** Time-based verdicts: validation deadline and the watchdog. */
  check(now: number): void {
    if (this.paused) return;
    if (this.mode === 'opening' || this.mode === 'gate') {
      const limit = this.opts.validateTimeoutMs + this.extraValidateMs();
      if (now - this.openedAt > limit) {
        this.fail('validate-timeout', `not valid MPEG-TS within ${limit} ms (${this.missing()})`);
      }
      return;
    }
    const v = this.watchdog?.check(now);
    if (v) this.fail(v.reason, v.detail);
  }

  /**
   * Switch to live: returns the buffered PSI + packets from the newest random-access point, then
   * any partial packet pending alignment (later data() bytes continue it). From now on the
   * watchdog reads `health` (counters kept by whoever parses the live bytes) after each chunk.
   */
  goLive(health: () => SourceCounters): Buffer[] {
    const out = [this.pat, this.pmt, ...this.buffered, this.aligner.takeTail()].filter(
      (b): b is Buffer => b !== undefined && b.length > 0,
    );
    this.buffered = [];
    this.bufferedBytes = 0;
    this.liveHealth = health;
    this.watchdog?.rebase(this.now(), health());
    this.mode = 'live';
    return out;
  }

  /** Stop, then release the limiter slot once every connection has closed. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.mode = 'closed';
      this.buffered = [];
      try {
        await this.upstream?.close();
      } finally {
        this.lease?.release();
      }
    })();
    return this.closing;
  }

  /**
   * Extra time an HLS upstream gets to validate (direct or through ffmpeg): one target duration,
   * read when checking, as the playlist is only parsed after start (6 s until then).
   */
  private extraValidateMs(): number {
    const up = this.upstream as { kind: string; targetDuration?: number } | undefined;
    if (!up || !(up.kind === 'hls' || up.kind.startsWith('ffmpeg(hls'))) return 0;
    return (up.targetDuration || 6) * 1000;
  }

  private missing(): string {
    const s = this.analyzer.state;
    const m = [
      !s.pat && 'PAT',
      !s.pmt && 'PMT',
      !s.pcrSeen && 'PCR',
      !s.randomAccessSeen && 'keyframe',
    ].filter(Boolean);
    return m.length ? `missing ${m.join(', ')}` : 'no data';
  }

  private fail(reason: string, detail: string): void {
    if (this.failedOnce || this.mode === 'closed') return;
    this.failedOnce = true;
    this.events.failed(this, { reason, detail });
  }

  private onSplice(reason: string): void {
    this.aligner.reset();
    if (this.mode === 'live') this.events.splice(this, reason);
    else this.resetBuffer();
  }

  private onBytes(chunk: Buffer): void {
    if (this.mode === 'closed' || this.failedOnce) return;
    this.bytesIn += chunk.length;
    const now = this.now();
    this.lastDataAt = now;
    if (this.mode === 'live') {
      this.events.data(this, chunk);
      if (this.liveHealth) this.watchdog?.observe(now, this.liveHealth());
      return;
    }
    const packets = this.aligner.push(chunk);
    if (this.aligner.gaveUp) return this.fail('not-ts', 'no MPEG-TS sync in the body');
    if (packets.length === 0) return;
    this.analyzer.push(packets);
    this.watchdog?.observe(now, this.analyzer.state);
    if (!this.layoutSeen && this.analyzer.state.pmt) {
      this.layoutSeen = true;
      this.events.layout?.(this);
    }
    this.keep(packets);
    if (this.bufferedBytes > this.opts.maxBufferBytes) {
      // No random-access point for this long: a GOP that big is not a source we can splice in.
      return this.fail('no-keyframe', 'no random-access point within the buffer limit');
    }
    if (this.mode === 'gate' && this.analyzer.ready()) {
      this.mode = 'hold';
      this.readyAt = now;
      this.watchdog = new Watchdog({ ...DEFAULT_WATCHDOG, stallMs: this.opts.stallMs }, now);
      this.watchdog.observe(now, this.analyzer.state);
      this.events.ready(this);
    }
  }

  /** Buffer packets from the newest video random-access point; remember the newest PAT/PMT. */
  private keep(packets: Buffer): void {
    const st = this.analyzer.state;
    const pmtPid = st.pat?.programs[0]?.pmtPid ?? -1;
    const video = st.pmt?.streams.find((s) => s.kind === 'video');
    let start = 0;
    for (let off = 0; off < packets.length; off += P) {
      if (!pusiOf(packets, off)) continue;
      const pid = pidOf(packets, off);
      if (pid === PAT_PID) this.pat = Buffer.from(packets.subarray(off, off + P));
      else if (pid === pmtPid) this.pmt = Buffer.from(packets.subarray(off, off + P));
      else if (video && pid === video.pid && isVideoRap(packets, off, video.codec)) {
        this.resetBuffer();
        start = off;
      }
    }
    const tail = packets.subarray(start);
    if (tail.length > 0) {
      this.buffered.push(tail);
      this.bufferedBytes += tail.length;
    }
  }

  private resetBuffer(): void {
    this.buffered = [];
    this.bufferedBytes = 0;
  }
}
