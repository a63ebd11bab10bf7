// Stream side of the fake provider: the `onStream` hook of startFakeProvider. Serves MPEG-TS (and
// live HLS) from a looping clip in real time, with fault injection per stream id, and keeps a
// connection log (open/close per account) that proves connection limits were never exceeded.
import { createCipheriv } from 'node:crypto';
import type http from 'node:http';
import { PacketAligner } from '../../src/ts/aligner.js';
import { TS_PACKET_SIZE as P } from '../../src/ts/constants.js';
import {
  hasPayload,
  payloadOffset,
  pidOf,
  pusiOf,
  readPcr,
  setCc,
  setPid,
  writePcr,
} from '../../src/ts/packet.js';
import { buildPat, buildPmt, parsePat, parsePmt, sectionToPackets } from '../../src/ts/psi.js';
import { readPts, shiftPesTimestamps } from '../../src/ts/pes.js';
import { StreamAnalyzer } from '../../src/ts/analyzer.js';
import { Pacer } from '../../src/stream/pacer.js';

export type StreamFault =
  | { kind: 'refuse' } // close the socket without an answer
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'html200'; contentType?: string } // 200 with an HTML error page
  | { kind: 'stall'; afterBytes: number } // stop sending, keep the socket open
  | { kind: 'eof'; afterBytes: number } // end the response cleanly
  | { kind: 'reset'; afterBytes: number } // destroy the socket mid-body
  | { kind: 'corrupt'; everyNth: number; afterBytes?: number } // damage every Nth packet (TEI + CC)
  | { kind: 'slowHeaders'; delayMs: number };

export interface HlsPlan {
  /** Segments listed in the live window. */
  readonly window?: number;
  /** Encrypt segments with AES-128 (IV = media sequence unless `iv` is given). */
  readonly aesKey?: Buffer;
  readonly iv?: Buffer;
  /** Every Nth segment starts a new timeline (+1000 s) behind an EXT-X-DISCONTINUITY. */
  readonly discontinuityEvery?: number;
  /** Serve a master playlist pointing at variants first. */
  readonly master?: boolean;
}

export interface StreamPlan {
  /** Looping clip (MPEG-TS bytes). */
  readonly clip: LoopClip;
  readonly fault?: StreamFault;
  /** Serve as HLS when the request asks for .m3u8. */
  readonly hls?: HlsPlan;
  /** Added to every timestamp of this stream (90 kHz), e.g. another source's clock. */
  readonly tsOffset?: number;
  /** An encoder restart inside the stream: from loop iteration `after` on, timestamps move by `ticks` (90 kHz). */
  readonly clockJump?: { readonly after: number; readonly ticks: number };
}

export interface ConnectionRecord {
  readonly account: string;
  readonly streamId: string;
  readonly path: string;
  readonly openedAt: number;
  closedAt?: number;
}

/** A clip prepared for looping: aligned packets, its video period (90 kHz) and its PIDs. */
export interface LoopClip {
  readonly data: Buffer;
  readonly durationTicks: number;
  readonly firstPcr: number;
}

export function prepareClip(raw: Buffer): LoopClip {
  const data = new PacketAligner().push(raw);
  const an = new StreamAnalyzer();
  an.push(data);
  const videoPid = an.state.pmt?.streams.find((s) => s.kind === 'video')?.pid;
  if (videoPid === undefined) throw new Error('clip has no video stream');
  const pts: number[] = [];
  let firstPcr: number | undefined;
  for (let off = 0; off < data.length; off += P) {
    firstPcr ??= readPcr(data, off);
    if (pidOf(data, off) !== videoPid || !pusiOf(data, off)) continue;
    const p = payloadOffset(data, off);
    const v = p < 0 ? undefined : readPts(data, p, off + P);
    if (v !== undefined) pts.push(v);
  }
  pts.sort((a, b) => a - b);
  let frame = Infinity;
  for (let i = 1; i < pts.length; i++)
    if (pts[i]! > pts[i - 1]!) frame = Math.min(frame, pts[i]! - pts[i - 1]!);
  if (pts.length < 2 || firstPcr === undefined) throw new Error('clip too short');
  return { data, durationTicks: pts[pts.length - 1]! - pts[0]! + frame, firstPcr };
}

/**
 * The same clip on other PIDs (PMT, video, audio), PSI rewritten to match: a source whose
 * layout differs from another one carrying the same programme.
 */
export function remapClip(clip: LoopClip, pids: { pmt: number; video: number; audio: number }): LoopClip {
  const data = Buffer.from(clip.data);
  const an = new StreamAnalyzer();
  an.push(data);
  const oldPmt = an.state.pat?.programs[0]?.pmtPid;
  const streams = an.state.pmt?.streams ?? [];
  const map = new Map<number, number>();
  if (oldPmt !== undefined) map.set(oldPmt, pids.pmt);
  for (const st of streams) map.set(st.pid, st.kind === 'video' ? pids.video : pids.audio);
  const section = (off: number): Buffer => {
    const p = payloadOffset(data, off);
    const start = p + 1 + data[p]!;
    return data.subarray(start, start + 3 + (((data[start + 1]! & 0x0f) << 8) | data[start + 2]!));
  };
  for (let off = 0; off < data.length; off += P) {
    const pid = pidOf(data, off);
    if (pid === 0 && pusiOf(data, off)) {
      const pat = parsePat(section(off));
      if (!pat.ok) continue;
      const programs = pat.value.programs.map((pr) => ({ ...pr, pmtPid: map.get(pr.pmtPid) ?? pr.pmtPid }));
      const pkt = sectionToPackets(
        0,
        buildPat({ transportStreamId: pat.value.transportStreamId, programs }),
        data[off + 3]! & 15,
      );
      pkt.packets.copy(data, off, 0, P);
    } else if (pid === oldPmt && pusiOf(data, off)) {
      const pmt = parsePmt(section(off));
      if (!pmt.ok) continue;
      const built = buildPmt({
        programNumber: pmt.value.programNumber,
        pcrPid: map.get(pmt.value.pcrPid) ?? pmt.value.pcrPid,
        streams: pmt.value.streams.map((st) => ({
          streamType: st.streamType,
          pid: map.get(st.pid) ?? st.pid,
          descriptors: st.descriptors,
        })),
      });
      sectionToPackets(pids.pmt, built, data[off + 3]! & 15).packets.copy(data, off, 0, P);
    } else if (map.has(pid)) {
      setPid(data, off, map.get(pid)!);
    }
  }
  return { ...clip, data };
}

/** Iteration `i` of the loop: timestamps moved by i periods (+offset), CC continued across loops. */
class Looper {
  private readonly cc = new Map<number, number>();
  constructor(
    private readonly clip: LoopClip,
    private readonly offset = 0,
    private readonly jump?: StreamPlan['clockJump'],
  ) {}

  iteration(i: number): Buffer {
    const out = Buffer.from(this.clip.data);
    const jumped = this.jump && i >= this.jump.after ? this.jump.ticks : 0;
    const delta = i * this.clip.durationTicks + this.offset + jumped;
    for (let off = 0; off < out.length; off += P) {
      const pcr = readPcr(out, off);
      if (pcr !== undefined) writePcr(out, off, pcr + delta * 300);
      if (pusiOf(out, off)) {
        const p = payloadOffset(out, off);
        if (p >= 0) shiftPesTimestamps(out, p, off + P, delta);
      }
      const pid = pidOf(out, off);
      if (pid !== 0x1fff && hasPayload(out, off)) {
        const c = ((this.cc.get(pid) ?? -1) + 1) & 15;
        this.cc.set(pid, c);
        setCc(out, off, c);
      }
    }
    return out;
  }
}

const HTML = '<html><head><title>Error</title></head><body>EC: 4004 Access denied</body></html>';

export class FakeStreams {
  readonly plans = new Map<string, StreamPlan>();
  readonly log: ConnectionRecord[] = [];
  private readonly open = new Set<http.ServerResponse>();
  private readonly hlsStart = new Map<string, number>();

  constructor(plans: Record<string, StreamPlan> = {}) {
    for (const [k, v] of Object.entries(plans)) this.plans.set(k, v);
  }

  /** Pass as `onStream` to startFakeProvider. */
  readonly handler = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    info: { username: string; password: string; streamId: string; ext: string },
  ): void => {
    const rec: ConnectionRecord = {
      account: info.username,
      streamId: info.streamId,
      path: info.ext,
      openedAt: performance.now(),
    };
    this.log.push(rec);
    this.open.add(res);
    res.once('close', () => {
      rec.closedAt = performance.now();
      this.open.delete(res);
    });
    req.socket.setNoDelay(true);
    const seg = /^(.+)_(\d+|key|v\d)$/.exec(info.streamId);
    const id = seg ? seg[1]! : info.streamId;
    const plan = this.plans.get(id);
    if (!plan) {
      res.writeHead(404, { 'content-type': 'text/html' }).end(HTML);
      return;
    }
    if (plan.hls && (info.ext === 'm3u8' || seg)) return this.serveHls(res, plan, id, seg?.[2], info);
    void this.serveTs(req, res, plan);
  };

  /** Highest number of simultaneously open requests an account ever had. */
  maxConcurrent(account: string): number {
    const events: [number, number][] = [];
    for (const r of this.log) {
      if (r.account !== account) continue;
      events.push([r.openedAt, 1], [r.closedAt ?? Infinity, -1]);
    }
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let cur = 0;
    let max = 0;
    for (const [, d] of events) max = Math.max(max, (cur += d));
    return max;
  }

  openCount(account?: string): number {
    return this.log.filter(
      (r) => r.closedAt === undefined && (account === undefined || r.account === account),
    ).length;
  }

  /** Requests received for a stream id (segments excluded). */
  opens(streamId: string): number {
    return this.log.filter((r) => r.streamId === streamId).length;
  }

  closeAll(): void {
    for (const res of this.open) res.destroy();
  }

  private async serveTs(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    plan: StreamPlan,
  ): Promise<void> {
    const f = plan.fault;
    if (f?.kind === 'refuse') return void req.socket.destroy();
    if (f?.kind === 'status')
      return void res.writeHead(f.status, { 'content-type': 'text/html' }).end(f.body ?? HTML);
    if (f?.kind === 'html200')
      return void res.writeHead(200, { 'content-type': f.contentType ?? 'text/html' }).end(HTML);
    if (f?.kind === 'slowHeaders') {
      await new Promise((r) => setTimeout(r, f.delayMs));
      if (res.destroyed) return;
    }
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    const looper = new Looper(plan.clip, plan.tsOffset ?? 0, plan.clockJump);
    let sent = 0;
    let stopped = false;
    let iteration = 0;
    const pacer = new Pacer(
      {
        data: (b) => {
          if (stopped) return;
          b = this.applyFault(b, sent, f);
          const limit = f && 'afterBytes' in f && f.kind !== 'corrupt' ? f.afterBytes : Infinity;
          if (sent + b.length >= limit) {
            res.write(b.subarray(0, Math.max(0, limit - sent)));
            stopped = true;
            pacer.stop();
            if (f?.kind === 'eof') res.end();
            else if (f?.kind === 'reset') res.socket?.resetAndDestroy();
            return; // 'stall': keep the socket open, send nothing more
          }
          sent += b.length;
          res.write(b);
        },
        splice: () => {},
      },
      { leadMs: 300 },
    );
    // Keep about two iterations queued in the pacer; it releases them at their PCR pace.
    const feed = (): void => {
      if (stopped || res.destroyed) return;
      while (pacer.buffered < plan.clip.data.length) pacer.push(looper.iteration(iteration++));
    };
    feed();
    const t = setInterval(feed, 100);
    res.once('close', () => {
      stopped = true;
      clearInterval(t);
      pacer.stop();
    });
  }

  private applyFault(b: Buffer, sent: number, f: StreamFault | undefined): Buffer {
    if (f?.kind !== 'corrupt' || sent < (f.afterBytes ?? 0)) return b;
    const out = Buffer.from(b);
    for (let off = 0; off + P <= out.length; off += P) {
      if (((sent + off) / P) % f.everyNth !== 0) continue;
      out[off + 1] = out[off + 1]! | 0x80; // transport_error_indicator
      out[off + 3] = (out[off + 3]! & 0xf0) | ((out[off + 3]! + 7) & 0x0f); // CC jump
    }
    return out;
  }

  private serveHls(
    res: http.ServerResponse,
    plan: StreamPlan,
    id: string,
    part: string | undefined,
    info: { username: string; password: string },
  ): void {
    const f = plan.fault;
    if (f?.kind === 'status') return void res.writeHead(f.status, { 'content-type': 'text/html' }).end(HTML);
    const hls = plan.hls!;
    const seconds = plan.clip.durationTicks / 90_000;
    const base = `/live/${encodeURIComponent(info.username)}/${encodeURIComponent(info.password)}/${id}`;
    if (!this.hlsStart.has(id)) this.hlsStart.set(id, performance.now() - (hls.window ?? 4) * seconds * 1000);
    const start = this.hlsStart.get(id)!;
    if (part === 'key')
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(hls.aesKey);
    if (part === undefined && hls.master) {
      const body = `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n${base}_v1.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=90000000\n${base}_v2.m3u8\n`;
      return void res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(body);
    }
    if (part === undefined || part.startsWith('v')) {
      const newest = Math.floor((performance.now() - start) / (seconds * 1000)) - 1;
      const first = Math.max(0, newest - (hls.window ?? 4) + 1);
      const lines = [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        `#EXT-X-TARGETDURATION:${Math.ceil(seconds)}`,
        `#EXT-X-MEDIA-SEQUENCE:${first}`,
      ];
      if (hls.aesKey)
        lines.push(
          `#EXT-X-KEY:METHOD=AES-128,URI="${base}_key.key"${hls.iv ? `,IV=0x${hls.iv.toString('hex')}` : ''}`,
        );
      for (let s = first; s <= newest; s++) {
        if (hls.discontinuityEvery && s > 0 && s % hls.discontinuityEvery === 0)
          lines.push('#EXT-X-DISCONTINUITY');
        lines.push(`#EXTINF:${seconds.toFixed(3)},`, `${base}_${s}.ts`);
      }
      return void res
        .writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' })
        .end(lines.join('\n') + '\n');
    }
    const seq = Number(part);
    const jumps = hls.discontinuityEvery ? Math.floor(seq / hls.discontinuityEvery) : 0;
    let body = new Looper(plan.clip, (plan.tsOffset ?? 0) + jumps * 1000 * 90_000).iteration(seq);
    if (hls.aesKey) {
      const iv = hls.iv ?? Buffer.alloc(16);
      if (!hls.iv) iv.writeUInt32BE(seq, 12);
      const c = createCipheriv('aes-128-cbc', hls.aesKey, iv);
      body = Buffer.concat([c.update(body), c.final()]);
    }
    res.writeHead(200, { 'content-type': 'video/mp2t' }).end(body);
  }
}
