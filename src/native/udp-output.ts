// Sends a tuner's packets to its `target` as UDP or RTP datagrams. The session already delivers in
// real time, but joins start with a keyframe's worth of buffered data at once: datagrams go
// through a queue drained every tick by a share of its length, so a backlog is spread over
// ~200 ms instead of hitting the receiver's socket buffer in one burst.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { DatagramPacker, rtpHeader } from './datagrams.js';
import type { Target } from './tuning-values.js';

export interface OutputStats {
  datagrams: number;
  bytes: number;
  /** Datagrams dropped because the queue was full (the receiver or network cannot keep up). */
  overflows: number;
  /** Failed sends (unreachable network, …). */
  errors: number;
}

/** Where a tuner writes its filtered, 188-aligned packets. */
export interface TunerOutput {
  write(packets: Buffer): void;
  /** Measured output rate over the last second or so. */
  rates(): { bps: number; pps: number };
  readonly stats: OutputStats;
  close(): void;
}

export interface UdpOutputOptions {
  /** Drain tick (ms). */
  tickMs?: number;
  /** Share of the queue sent per tick (1/n). */
  drainDivisor?: number;
  /** Most datagrams sent per tick. */
  maxPerTick?: number;
  /** Queue bound (datagrams); older ones are dropped beyond it. */
  maxQueue?: number;
  /** A partial datagram waits at most this long before it is padded and sent (ms). */
  maxHoldMs?: number;
  now?: () => number;
}

export class UdpOutput implements TunerOutput {
  readonly stats: OutputStats = { datagrams: 0, bytes: 0, overflows: 0, errors: 0 };
  private readonly sock = dgram.createSocket('udp4');
  private readonly packer = new DatagramPacker();
  private readonly queue: Buffer[] = [];
  private readonly o: Required<UdpOutputOptions>;
  private timer: NodeJS.Timeout | undefined;
  private partialSince = 0;
  private sequence = randomInt(0x10000);
  private readonly ssrc = randomInt(0x7fffffff);
  private readonly epoch: number;
  private closed = false;
  private window = { at: 0, datagrams: 0, bytes: 0 };
  private last = { bps: 0, pps: 0 };

  constructor(
    private readonly target: Target,
    opts: UdpOutputOptions = {},
  ) {
    this.o = {
      tickMs: 10,
      drainDivisor: 20,
      maxPerTick: 64,
      maxQueue: 4096,
      maxHoldMs: 30,
      now: Date.now,
      ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
    };
    this.epoch = this.o.now();
    this.window.at = this.epoch;
    this.sock.on('error', () => this.stats.errors++);
    this.sock.unref();
  }

  write(packets: Buffer): void {
    if (this.closed || packets.length === 0) return;
    const hadPartial = this.packer.pending > 0;
    for (const d of this.packer.push(packets)) this.enqueue(d);
    if (!hadPartial && this.packer.pending > 0) this.partialSince = this.o.now();
    this.arm();
  }

  rates(): { bps: number; pps: number } {
    const now = this.o.now();
    const dt = now - this.window.at;
    if (dt >= 1000) {
      this.last = {
        bps: Math.round(((this.stats.bytes - this.window.bytes) * 8 * 1000) / dt),
        pps: Math.round(((this.stats.datagrams - this.window.datagrams) * 1000) / dt),
      };
      this.window = { at: now, datagrams: this.stats.datagrams, bytes: this.stats.bytes };
    }
    return this.last;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.sock.close();
  }

  private enqueue(d: Buffer): void {
    this.queue.push(d);
    if (this.queue.length > this.o.maxQueue) {
      this.queue.shift();
      this.stats.overflows++;
    }
  }

  private arm(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.tick(), this.o.tickMs);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    if (this.packer.pending > 0 && this.o.now() - this.partialSince >= this.o.maxHoldMs) {
      const d = this.packer.flush();
      if (d) this.enqueue(d);
    }
    const n = Math.min(
      this.queue.length,
      this.o.maxPerTick,
      Math.max(1, Math.ceil(this.queue.length / this.o.drainDivisor)),
    );
    for (let i = 0; i < n; i++) this.send(this.queue.shift()!);
    if (this.queue.length === 0 && this.packer.pending === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private send(payload: Buffer): void {
    const msg =
      this.target.protocol === 'rtp'
        ? [rtpHeader(this.sequence++, Math.round((this.o.now() - this.epoch) * 90), this.ssrc), payload]
        : [payload];
    this.stats.datagrams++;
    this.stats.bytes += payload.length;
    this.sock.send(msg, this.target.port, this.target.host, (err) => {
      if (err) this.stats.errors++;
    });
  }
}
