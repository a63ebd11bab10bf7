// A pre-encoded TS clip parsed once into what the looping source needs: whole packets, PSI,
// the loop period, per-packet play-out times (PCR-interpolated) and the random-access points.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PacketAligner } from '../ts/aligner.js';
import { StreamAnalyzer, type AnalyzedStream } from '../ts/analyzer.js';
import { TS_PACKET_SIZE as P } from '../ts/constants.js';
import { payloadOffset, pidOf, pusiOf, readPcr } from '../ts/packet.js';
import { add33, diff33, pesPayloadIndex, readDts, readPts } from '../ts/pes.js';
import { isVideoRap } from '../ts/rap.js';

export interface TsClip {
  /** File base name, for logs. */
  readonly name: string;
  /** Whole packets; shared and never modified (the looping source copies before rewriting). */
  readonly data: Buffer;
  readonly packetCount: number;
  readonly streams: readonly AnalyzedStream[];
  readonly pmtPid: number;
  readonly pcrPid: number;
  readonly videoPid: number;
  readonly audioPid?: number;
  readonly videoCodec: string;
  readonly audioCodec?: string;
  /** First and last PCR, 27 MHz. */
  readonly firstPcr: number;
  readonly lastPcr: number;
  /** Loop period in 90 kHz ticks: video frames × frame duration. */
  readonly duration: number;
  readonly durationMs: number;
  /** Play-out time of each packet in ms from the first PCR, within [0, durationMs]. */
  readonly packetTimeMs: Float64Array;
  /** Packet indexes of video random-access points, ascending. */
  readonly rapIndexes: readonly number[];
  /**
   * Per PID: PTS at which its content ends (last PTS + the last PES's duration) and one frame's
   * duration, so the next loop can drop a PES that would overlap (90 kHz).
   */
  readonly endPts: ReadonlyMap<number, { pts: number; frame: number }>;
}

export async function loadClip(file: string): Promise<TsClip> {
  return parseClip(await readFile(file), path.basename(file));
}

/** Parse a clip held in memory; throws an Error naming what is wrong when it is not usable TS. */
export function parseClip(raw: Buffer, name = 'clip'): TsClip {
  const aligner = new PacketAligner();
  const parts = aligner.pushParts(raw);
  const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  if (data.length < 2 * P || aligner.droppedBytes > raw.length / 2) {
    throw new Error(`${name}: not an MPEG-TS file (no 188-byte packet sync found)`);
  }
  const an = new StreamAnalyzer();
  an.push(data);
  const st = an.state;
  const missing = [
    !st.pat && 'PAT',
    !st.pmt && 'PMT',
    !st.pcrSeen && 'PCR',
    !an.ready() && st.pmt && 'video random-access point',
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`${name}: unusable MPEG-TS clip, missing ${missing.join(', ')}`);
  const pmt = st.pmt!;
  const video = pmt.streams.find((s) => s.kind === 'video')!;
  const audio = pmt.streams.find((s) => s.kind === 'audio');
  const n = data.length / P;

  const pcrAt: number[] = [];
  const pcrVal: number[] = [];
  const rapIndexes: number[] = [];
  const lastPts = new Map<number, number>();
  const lastPesAt = new Map<number, number>();
  const ptsList = new Map<number, number[]>();
  const videoDts: number[] = [];
  for (let i = 0; i < n; i++) {
    const off = i * P;
    const pid = pidOf(data, off);
    if (pid === pmt.pcrPid) {
      const pcr = readPcr(data, off);
      if (pcr !== undefined) {
        pcrAt.push(i);
        pcrVal.push(pcr);
      }
    }
    if (!pusiOf(data, off)) continue;
    const p = payloadOffset(data, off);
    if (p < 0) continue;
    const pts = readPts(data, p, off + P);
    if (pts === undefined) continue;
    const prev = lastPts.get(pid);
    if (prev === undefined || diff33(pts, prev) > 0) lastPts.set(pid, pts);
    lastPesAt.set(pid, i);
    let list = ptsList.get(pid);
    if (!list) ptsList.set(pid, (list = []));
    list.push(pts);
    if (pid === video.pid) {
      videoDts.push(readDts(data, p, off + P) ?? pts);
      if (isVideoRap(data, off, video.codec)) rapIndexes.push(i);
    }
  }
  if (videoDts.length < 2) throw new Error(`${name}: clip too short (fewer than 2 video frames)`);
  const duration = loopPeriod(videoDts);
  const firstPcr = pcrVal[0]!;
  return {
    name,
    data,
    packetCount: n,
    streams: pmt.streams,
    pmtPid: st.pat!.programs[0]!.pmtPid,
    pcrPid: pmt.pcrPid,
    videoPid: video.pid,
    audioPid: audio?.pid,
    videoCodec: video.codec,
    audioCodec: audio?.codec,
    firstPcr,
    lastPcr: pcrVal[pcrVal.length - 1]!,
    duration,
    durationMs: duration / 90,
    packetTimeMs: packetTimes(n, pcrAt, pcrVal, duration / 90),
    rapIndexes,
    endPts: endTimes(data, lastPts, lastPesAt, ptsList, audio),
  };
}

/** Where each PID's content ends: ADTS frames counted in AAC's last PES, else one median PES step. */
function endTimes(
  data: Buffer,
  lastPts: Map<number, number>,
  lastPesAt: Map<number, number>,
  ptsList: Map<number, number[]>,
  audio: AnalyzedStream | undefined,
): Map<number, { pts: number; frame: number }> {
  const out = new Map<number, { pts: number; frame: number }>();
  for (const [pid, list] of ptsList) {
    const sorted = [...list].sort((a, b) => diff33(a, b));
    const step = sorted.length > 1 ? medianStep(sorted) : 0;
    const last = lastPts.get(pid)!;
    let end = add33(last, step);
    let frame = step;
    if (pid === audio?.pid && audio.codec === 'aac') {
      const adts = adtsDuration(lastPes(data, pid, lastPesAt.get(pid)!));
      if (adts) {
        end = add33(list[list.length - 1]!, adts.ticks);
        frame = adts.frame;
      }
    }
    out.set(pid, { pts: end, frame });
  }
  return out;
}

/** ES bytes of the PES starting at packet `first` on `pid` (it runs to the end of the clip). */
function lastPes(data: Buffer, pid: number, first: number): Buffer {
  const parts: Buffer[] = [];
  for (let off = first * P; off < data.length; off += P) {
    if (pidOf(data, off) !== pid) continue;
    const p = payloadOffset(data, off);
    if (p < 0) continue;
    const start = off === first * P ? pesPayloadIndex(data, p, off + P) : p;
    if (start >= 0) parts.push(data.subarray(start, off + P));
  }
  return Buffer.concat(parts);
}

const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** Total duration (90 kHz) of the ADTS frames in `es`, and one frame's duration. */
function adtsDuration(es: Buffer): { ticks: number; frame: number } | undefined {
  let samples = 0;
  let rate = 0;
  for (let i = 0; i + 7 <= es.length;) {
    if (es[i] !== 0xff || (es[i + 1]! & 0xf0) !== 0xf0) break;
    rate = ADTS_RATES[(es[i + 2]! >> 2) & 0x0f] ?? 0;
    const len = ((es[i + 3]! & 0x03) << 11) | (es[i + 4]! << 3) | (es[i + 5]! >> 5);
    if (rate === 0 || len < 7) break;
    samples += ((es[i + 6]! & 0x03) + 1) * 1024;
    i += len;
  }
  if (samples === 0) return undefined;
  return { ticks: Math.round((samples * 90000) / rate), frame: (1024 * 90000) / rate };
}

function medianStep(sorted: number[]): number {
  const d: number[] = [];
  for (let i = 1; i < sorted.length; i++) d.push(diff33(sorted[i]!, sorted[i - 1]!));
  d.sort((a, b) => a - b);
  return d[d.length >> 1]!;
}

/** Frames × median frame duration: robust to B-frame reordering and a jittery last frame. */
function loopPeriod(dts: number[]): number {
  return diff33(dts[dts.length - 1]!, dts[0]!) + medianStep(dts);
}

/** PCR-interpolated play-out time per packet (constant byte rate between PCRs), clamped to the loop. */
function packetTimes(n: number, at: number[], val: number[], durationMs: number): Float64Array {
  const t = new Float64Array(n);
  const base = val[0]!;
  const ms = (pcr: number): number => (pcr - base) / 27_000;
  for (let k = 0; k < at.length; k++) {
    const i0 = at[k]!;
    // After the last PCR, keep the previous interval's rate.
    const kk = k + 1 < at.length ? k : Math.max(0, k - 1);
    const span = at.length > 1 ? (ms(val[kk + 1]!) - ms(val[kk]!)) / (at[kk + 1]! - at[kk]!) : 0;
    const i1 = k + 1 < at.length ? at[k + 1]! : n;
    for (let i = i0; i < i1; i++) t[i] = Math.min(durationMs, ms(val[k]!) + (i - i0) * span);
  }
  return t; // packets before the first PCR stay at 0
}
