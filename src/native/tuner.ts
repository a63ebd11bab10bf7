// One control-protocol tuner: lock key, channel/vchannel, program and PID filter, target. Tuning
// only selects a mux of the virtual RF plan; an upstream is opened (as one more client of the
// channel's session, with its failover and slates) only for a program the client actually wants
// — chosen with `program`, or whose elementary PIDs are in the filter — and only while a target
// is set. Everything else the mux carries (PAT, PMTs, VCT) comes from the PSI carousel.
import { Writable } from 'node:stream';
import type { GetSetRequest, GetSetResult } from '../hdhr/control.js';
import type { Logger } from '../log.js';
import type { Channel } from '../model.js';
import { isChannelMap, type ChannelMapName } from './channel-maps.js';
import { MuxPsi, SLOT_PIDS, slotPids } from './mux-psi.js';
import { ProgramRemux } from './program-remux.js';
import { VCT_PID } from './psip.js';
import type { Mux, MuxProgram } from './rf-plan.js';
import {
  allPids,
  applyFilter,
  formatFilter,
  formatStatus,
  formatStreamInfo,
  formatTarget,
  formatTune,
  formatVstatus,
  lockModulation,
  nominalBitrate,
  parseChannel,
  parseFilter,
  parseTarget,
  PID_COUNT,
  type PidSet,
  type Target,
  type Tune,
} from './tuning-values.js';
import type { TunerOutput } from './udp-output.js';

/** What native tuning needs from the streaming core (SessionManager satisfies it structurally). */
export interface NativeSessions {
  attach(
    channel: Channel,
    sink: Writable,
    opts: { tuner?: number; client: string; signal?: AbortSignal },
  ): Promise<
    | { ok: true; tuner: number; done: Promise<unknown> }
    | { ok: false; status: number; code: number; text: string }
  >;
  sessions(): readonly {
    readonly tuner: number;
    readonly guideNumber: string;
    readonly clients: readonly { readonly address: string }[];
  }[];
}

/** Client names of native tuners start with this, so HTTP clients can be told apart. */
export const NATIVE_CLIENT_PREFIX = 'native/';

export interface TunerEnv {
  readonly sessions: NativeSessions;
  readonly logger: Logger;
  readonly channelMap: ChannelMapName;
  /** Upstreams one tuner may hold at once (programs of its mux streamed together). */
  readonly maxPrograms: number;
  readonly psiIntervalMs: number;
  /** Wait before re-opening a program whose upstream failed or ended (ms). */
  readonly retryMs: number;
  muxAt(frequency: number): Mux | undefined;
  locate(guideNumber: string): { mux: Mux; program: number } | undefined;
  createOutput(target: Target): TunerOutput;
  now(): number;
}

interface OpenProgram {
  readonly program: number;
  readonly channel: Channel;
  readonly ac: AbortController;
  /** Attached (or tried) with `tuner: <this index>`; extra programs take any free tuner. */
  readonly claimsIndex: boolean;
  state: 'opening' | 'open' | 'failed';
  error?: string;
  retryAt?: number;
}

const READ_ONLY = 'ERROR: variable is read-only';
/** Every 5th carousel round carries the VCT too. */
const VCT_EVERY = 5;

export class NativeTuner {
  private lock: { key: number; owner: string } | undefined;
  private tune: Tune | null = null;
  private mux: Mux | undefined;
  private vchannel: string | undefined;
  private program: number | undefined;
  private filter: PidSet = allPids();
  private target: Target | null = null;
  private channelMap: ChannelMapName;
  private output: TunerOutput | undefined;
  private readonly psi = new MuxPsi();
  private readonly programs = new Map<number, OpenProgram>();
  private timer: NodeJS.Timeout | undefined;
  private rounds = 0;

  constructor(
    readonly index: number,
    private readonly env: TunerEnv,
  ) {
    this.channelMap = env.channelMap;
  }

  getset(variable: string, req: GetSetRequest): GetSetResult | undefined {
    const get = this.getter(variable);
    if (!get) return undefined;
    if (req.value === undefined) return { value: get() };
    const setter = this.setter(variable);
    if (!setter) return { error: READ_ONLY };
    const foreign = this.foreign();
    if (foreign) return { error: `ERROR: resource locked by ${foreign.address}` };
    const force = variable === 'lockkey' && req.value.trim().toLowerCase() === 'force';
    if (this.lock && !force && req.lockkey !== this.lock.key) {
      return { error: `ERROR: resource locked by ${this.lock.owner}` };
    }
    const r = setter(req.value, req);
    return r ?? { value: get() };
  }

  /** The lineup (hence the plan) changed: re-read the mux this tuner sits on. */
  refresh(): void {
    if (!this.tune) return;
    this.mux = this.env.muxAt(this.tune.frequency);
    this.psi.setMux(this.mux);
    this.reconcile();
  }

  close(): void {
    for (const p of [...this.programs.keys()]) this.closeProgram(p);
    this.output?.close();
    this.output = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  // ---- variables ----

  private getter(v: string): (() => string) | undefined {
    switch (v) {
      case 'channel':
        return () => formatTune(this.tune);
      case 'channelmap':
        return () => this.channelMap;
      case 'vchannel':
        return () => this.vchannel ?? 'none';
      case 'program':
        return () => String(this.program ?? 0);
      case 'filter':
        return () => formatFilter(this.effectiveFilter());
      case 'target':
        return () => formatTarget(this.target);
      case 'lockkey':
        return () => this.lock?.owner ?? this.foreign()?.address ?? 'none';
      case 'status':
        return () => this.status();
      case 'vstatus':
        return () => formatVstatus(this.current());
      case 'streaminfo':
        return () => this.streamInfo();
      case 'debug':
        return () => this.debug();
      default:
        return undefined;
    }
  }

  private setter(v: string): ((value: string, req: GetSetRequest) => GetSetResult | void) | undefined {
    switch (v) {
      case 'channel':
        return (value) => {
          const t = parseChannel(value, this.channelMap);
          if (!t.ok) return { error: t.error };
          this.retune(t.value, undefined, undefined);
        };
      case 'vchannel':
        return (value) => {
          const gn = value.trim();
          if (gn.toLowerCase() === 'none') return this.retune(null, undefined, undefined);
          const at = this.env.locate(gn);
          if (!at) return { error: 'ERROR: invalid vchannel' };
          this.retune({ modulation: 'auto', frequency: at.mux.frequency }, at.program, gn);
        };
      case 'channelmap':
        return (value) => {
          const m = value.trim().toLowerCase();
          if (!isChannelMap(m)) return { error: 'ERROR: invalid channelmap' };
          this.channelMap = m;
        };
      case 'program':
        return (value) => {
          const s = value.trim().toLowerCase();
          const n = s === 'none' ? 0 : /^\d{1,5}$/.test(s) ? Number(s) : -1;
          if (n < 0 || n > 0xffff) return { error: 'ERROR: invalid program' };
          this.program = n === 0 ? undefined : n;
          this.psi.select(this.program);
          this.reconcile();
        };
      case 'filter':
        return (value) => {
          const f = parseFilter(value);
          if (!f.ok) return { error: f.error };
          this.filter = f.value;
          this.program = undefined;
          this.psi.select(undefined);
          this.reconcile();
        };
      case 'target':
        return (value) => {
          const t = parseTarget(value);
          if (!t.ok) return { error: t.error };
          this.retarget(t.value);
        };
      case 'lockkey':
        return (value, req) => this.setLockkey(value, req);
      default:
        return undefined;
    }
  }

  private setLockkey(value: string, req: GetSetRequest): GetSetResult | void {
    const v = value.trim().toLowerCase();
    if (v === 'none' || v === 'force') {
      this.lock = undefined;
      return;
    }
    const key = /^\d{1,10}$/.test(v) ? Number(v) : 0;
    if (key < 1 || key > 0xffffffff) return { error: 'ERROR: invalid lockkey' };
    this.lock = { key, owner: req.peer ?? 'unknown' };
  }

  // ---- state changes ----

  private retune(tune: Tune | null, program: number | undefined, vchannel: string | undefined): void {
    this.tune = tune;
    this.vchannel = vchannel;
    this.program = program;
    this.filter = allPids();
    this.mux = tune ? this.env.muxAt(tune.frequency) : undefined;
    this.psi.setMux(this.mux);
    this.psi.select(program);
    // A retune drops the upstreams of the old mux even when the same channel is wanted again.
    for (const p of [...this.programs.keys()]) this.closeProgram(p);
    this.reconcile();
  }

  private retarget(target: Target | null): void {
    this.output?.close();
    this.output = undefined;
    this.target = target;
    if (target) this.output = this.env.createOutput(target);
    this.reconcile();
  }

  /** Open the wanted programs, close the others, run the carousel while there is something to send. */
  private reconcile(): void {
    const want = this.target && this.mux ? this.wanted(this.mux) : [];
    for (const [p, o] of this.programs) {
      const w = want.find((x) => x.program === p);
      if (!w || w.channel.key !== o.channel.key) this.closeProgram(p);
    }
    for (const w of want) if (!this.programs.has(w.program)) this.openProgram(w);
    if (this.target && this.mux) {
      if (!this.timer) {
        this.timer = setInterval(() => this.tick(), this.env.psiIntervalMs);
        this.timer.unref();
        this.tick();
      }
    } else if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private wanted(mux: Mux): MuxProgram[] {
    if (this.program !== undefined) return mux.programs.filter((p) => p.program === this.program);
    const hit = mux.programs.filter((p) => {
      const { esBase } = slotPids(p.program);
      for (let i = 0; i < SLOT_PIDS; i++) if (this.filter[esBase + i]) return true;
      return false;
    });
    return hit.slice(0, this.env.maxPrograms);
  }

  private tick(): void {
    const now = this.env.now();
    let retry = false;
    for (const [p, o] of this.programs) {
      if (o.state === 'failed' && (o.retryAt ?? 0) <= now) {
        this.programs.delete(p);
        retry = true;
      }
    }
    if (retry) this.reconcile();
    this.emit(this.psi.packets(this.rounds++ % VCT_EVERY === 0));
  }

  private emit(packets: Buffer): void {
    if (!this.output || packets.length === 0) return;
    const out = applyFilter(packets, this.effectiveFilter());
    if (out.length) this.output.write(out);
  }

  // ---- programs (session clients) ----

  private openProgram(mp: MuxProgram): void {
    const claimsIndex = ![...this.programs.values()].some((o) => o.claimsIndex && o.state !== 'failed');
    const entry: OpenProgram = {
      program: mp.program,
      channel: mp.channel,
      ac: new AbortController(),
      claimsIndex,
      state: 'opening',
    };
    this.programs.set(mp.program, entry);
    const live = (): boolean => this.programs.get(mp.program) === entry && !entry.ac.signal.aborted;
    const remux = new ProgramRemux(slotPids(mp.program).esBase, (layout) => {
      if (live()) this.psi.setLayout(mp.program, layout);
    });
    const sink = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (live()) this.emit(remux.push(chunk));
        cb();
      },
    });
    sink.on('error', () => undefined);
    this.attach(entry, sink, live).catch((err: unknown) =>
      this.failed(entry, `806 Tune Failed (${String(err)})`),
    );
  }

  private async attach(entry: OpenProgram, sink: Writable, live: () => boolean): Promise<void> {
    const client = `${NATIVE_CLIENT_PREFIX}tuner${this.index}/p${entry.program}@${this.lock?.owner ?? this.target?.host ?? '?'}`;
    const base = { client, signal: entry.ac.signal };
    let r = await this.env.sessions.attach(
      entry.channel,
      sink,
      entry.claimsIndex ? { ...base, tuner: this.index } : base,
    );
    // Our index is busy (an HTTP client got there first): take any free tuner of the shared pool.
    if (!r.ok && r.code === 804 && entry.claimsIndex && live()) {
      r = await this.env.sessions.attach(entry.channel, sink, base);
    }
    if (!live()) return;
    if (!r.ok) return this.failed(entry, `${r.code} ${r.text}`);
    entry.state = 'open';
    this.env.logger.info(
      { channel: entry.channel.guideNumber, tuner: this.index, program: entry.program, pool: r.tuner },
      'native tuner streaming',
    );
    void r.done.then(() => {
      if (live()) this.failed(entry, 'session ended');
    });
  }

  private failed(entry: OpenProgram, error: string): void {
    entry.state = 'failed';
    entry.error = error;
    entry.retryAt = this.env.now() + this.env.retryMs;
    this.env.logger.warn(
      { channel: entry.channel.guideNumber, tuner: this.index, program: entry.program, error },
      'native tuner: program not available',
    );
  }

  private closeProgram(p: number): void {
    const o = this.programs.get(p);
    if (!o) return;
    this.programs.delete(p);
    o.ac.abort();
  }

  // ---- reports ----

  /** The filter actually applied: a `program` selection passes its PSI and slot PIDs only. */
  private effectiveFilter(): PidSet {
    if (this.program === undefined) return this.filter;
    const set = new Uint8Array(PID_COUNT);
    const { pmtPid, esBase } = slotPids(this.program);
    set[0] = 1;
    set[pmtPid] = 1;
    set[VCT_PID] = 1;
    set.fill(1, esBase, esBase + SLOT_PIDS);
    return set;
  }

  /** An HTTP client streaming on our tuner index (as a device's HTTP stream locks its tuner). */
  private foreign(): { address: string; guideNumber: string } | undefined {
    const ours = `${NATIVE_CLIENT_PREFIX}tuner${this.index}/`;
    for (const s of this.env.sessions.sessions()) {
      if (s.tuner !== this.index || s.clients.some((c) => c.address.startsWith(ours))) continue;
      const c = s.clients.find((x) => !x.address.startsWith(NATIVE_CLIENT_PREFIX));
      if (c) return { address: hostOf(c.address), guideNumber: s.guideNumber };
    }
    return undefined;
  }

  private status(): string {
    // An HTTP stream on our index owns the tuner, as on the device: report its channel.
    const f = this.foreign();
    const at = f && this.env.locate(f.guideNumber);
    if (at) {
      return formatStatus({
        tune: { modulation: 'auto', frequency: at.mux.frequency },
        lock: at.mux.modulation,
        bps: nominalBitrate(at.mux.modulation),
        pps: 0,
      });
    }
    if (!this.tune) return formatStatus({ tune: null, bps: 0, pps: 0 });
    const lock = this.mux ? lockModulation(this.tune.modulation, this.mux.modulation) : undefined;
    const rates = this.output?.rates();
    return formatStatus({
      tune: this.tune,
      lock,
      bps: lock ? rates?.bps || nominalBitrate(lock) : 0,
      pps: lock ? (rates?.pps ?? 0) : 0,
    });
  }

  private current(): { guideNumber: string; name: string } | undefined {
    const p = this.mux?.programs.find((x) => x.program === this.program);
    return p && { guideNumber: p.channel.guideNumber, name: p.channel.name };
  }

  private streamInfo(): string {
    if (!this.tune || !this.mux) return formatStreamInfo([], undefined);
    return formatStreamInfo(
      this.mux.programs.map((p) => ({
        program: p.program,
        guideNumber: p.channel.guideNumber,
        name: p.channel.name,
        noData: this.programs.get(p.program)?.state === 'failed',
      })),
      this.mux.tsid,
    );
  }

  private debug(): string {
    const s = this.output?.stats;
    const r = this.output?.rates() ?? { bps: 0, pps: 0 };
    const lines = [
      `tun: ${this.status().split(' bps=')[0]} dbg=0`,
      `dev: resync=0 overflow=${s?.overflows ?? 0}`,
      `ts:  bps=${r.bps} te=0 crc=0`,
      `net: pps=${r.pps} err=${s?.errors ?? 0} stop=0`,
      ...[...this.programs.values()].map(
        (o) => `prog: ${o.program} vch=${o.channel.guideNumber} ${o.state}${o.error ? ` (${o.error})` : ''}`,
      ),
    ];
    return `${lines.join('\n')}\n`;
  }
}

/** `198.18.0.2:41234`, `::ffff:10.0.0.5:80` → the IPv4 address. */
function hostOf(address: string): string {
  const noPort = address.replace(/:\d+$/, '');
  return noPort.replace(/^::ffff:/i, '');
}
