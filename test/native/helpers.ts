// Fakes for native-tuning tests: a lineup, a streaming core that feeds a synthetic program into
// each attached sink, and an output that records what a tuner would send.
import type { Writable } from 'node:stream';
import type { Channel } from '../../src/model.js';
import type { NativeSessions } from '../../src/native/tuner.js';
import type { TunerOutput, OutputStats } from '../../src/native/udp-output.js';
import { buildPat, buildPmt, sectionToPackets } from '../../src/ts/psi.js';

export { FakeLineup } from '../helpers/fake-lineup.js';

export function channel(key: string, guideNumber: string, name: string): Channel {
  return {
    key,
    guideNumber,
    name,
    hd: true,
    candidates: [
      {
        sourceId: 's',
        accountKey: 'acct',
        url: 'http://user:secret@example.invalid/1.ts',
        label: 'http://***:***@example.invalid/1.ts',
        headers: {},
        priority: 0,
        name,
        streamId: key,
        quality: 0,
        kind: 'ts',
      },
    ],
  };
}

/** One TS packet with payload `fill` on `pid`. */
export function esPacket(pid: number, cc: number, fill = 0xaa): Buffer {
  const p = Buffer.alloc(188, fill);
  p[0] = 0x47;
  p[1] = (pid >> 8) & 0x1f;
  p[2] = pid & 0xff;
  p[3] = 0x10 | (cc & 0x0f);
  return p;
}

/** PAT + PMT (video 0x100 H.264, audio 0x101 AAC) of the session's fixed output program. */
export function sessionPsi(videoType = 0x1b, cc = 0): Buffer {
  const pat = buildPat({ transportStreamId: 1, programs: [{ programNumber: 1, pmtPid: 0x1000 }] });
  const pmt = buildPmt({
    programNumber: 1,
    pcrPid: 0x100,
    streams: [
      { streamType: videoType, pid: 0x100 },
      { streamType: 0x0f, pid: 0x101 },
    ],
  });
  return Buffer.concat([sectionToPackets(0, pat, cc).packets, sectionToPackets(0x1000, pmt, cc).packets]);
}

interface Attached {
  channel: Channel;
  sink: Writable;
  opts: { tuner?: number; client: string; signal?: AbortSignal };
  tuner: number;
  aborted: boolean;
}

/** Streaming core stand-in: tuner pool of `size`, sessions shared per channel. */
export class FakeSessions implements NativeSessions {
  readonly attached: Attached[] = [];
  /** Next attach results to force (e.g. a 805). */
  failNext: { code: number; text: string }[] = [];
  /** Sessions held by HTTP clients: tuner → address. */
  readonly http = new Map<number, { guideNumber: string; address: string }>();

  constructor(public size = 2) {}

  attach(
    channel: Channel,
    sink: Writable,
    opts: { tuner?: number; client: string; signal?: AbortSignal },
  ): Promise<
    { ok: true; tuner: number; done: Promise<void> } | { ok: false; status: 503; code: number; text: string }
  > {
    const forced = this.failNext.shift();
    if (forced) return Promise.resolve({ ok: false, status: 503, ...forced });
    const busy = new Set([...this.http.keys(), ...this.live().map((a) => a.tuner)]);
    let tuner = opts.tuner;
    if (tuner !== undefined && busy.has(tuner)) {
      return Promise.resolve({ ok: false, status: 503, code: 804, text: 'Tuner In Use' });
    }
    if (tuner === undefined) {
      for (let i = 0; i < this.size; i++) if (!busy.has(i)) tuner ??= i;
    }
    if (tuner === undefined)
      return Promise.resolve({ ok: false, status: 503, code: 805, text: 'All Tuners In Use' });
    const a: Attached = { channel, sink, opts, tuner, aborted: false };
    this.attached.push(a);
    const done = new Promise<void>((resolve) => {
      const stop = (): void => {
        a.aborted = true;
        if (!sink.writableEnded) sink.end();
        resolve();
      };
      if (opts.signal?.aborted) stop();
      else opts.signal?.addEventListener('abort', stop, { once: true });
    });
    // PSI first, then a couple of ES packets, like a join at a keyframe.
    sink.write(Buffer.concat([sessionPsi(), esPacket(0x100, 0), esPacket(0x101, 0), esPacket(0x11, 0)]));
    return Promise.resolve({ ok: true, tuner, done });
  }

  live(): Attached[] {
    return this.attached.filter((a) => !a.aborted);
  }

  sessions(): { tuner: number; guideNumber: string; clients: { address: string }[] }[] {
    return [
      ...this.live().map((a) => ({
        tuner: a.tuner,
        guideNumber: a.channel.guideNumber,
        clients: [{ address: a.opts.client }],
      })),
      ...[...this.http].map(([tuner, h]) => ({
        tuner,
        guideNumber: h.guideNumber,
        clients: [{ address: h.address }],
      })),
    ];
  }
}

/** Records what a tuner writes. */
export class CaptureOutput implements TunerOutput {
  readonly chunks: Buffer[] = [];
  readonly stats: OutputStats = { datagrams: 0, bytes: 0, overflows: 0, errors: 0 };
  closed = false;
  write(packets: Buffer): void {
    this.chunks.push(Buffer.from(packets));
    this.stats.bytes += packets.length;
  }
  rates(): { bps: number; pps: number } {
    return { bps: 0, pps: 0 };
  }
  close(): void {
    this.closed = true;
  }
  /** PIDs of every packet written so far. */
  pids(): number[] {
    const all = Buffer.concat(this.chunks);
    const out: number[] = [];
    for (let o = 0; o + 188 <= all.length; o += 188) out.push(((all[o + 1]! & 0x1f) << 8) | all[o + 2]!);
    return out;
  }
}

export const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
