// Watches a 188-aligned TS and records what the validation gate and the health watchdog need:
// PSI, PCR progress, whether a decoder could start (video random access point), CC errors and
// structurally corrupt packets. Never throws on bad input.
import { TS_PACKET_SIZE as P, PAT_PID, NULL_PID } from './constants.js';
import { afcOf, ccOf, isDiscontinuity, packetValid, pidOf, readPcr } from './packet.js';
import { parsePat, parsePmt, type Pat, type StreamKind } from './psi.js';
import { isVideoRap, videoSizeAt } from './rap.js';
import { SectionAssembler } from './section-assembler.js';

export interface AnalyzedStream {
  readonly pid: number;
  readonly streamType: number;
  readonly kind: StreamKind;
  readonly codec: string;
  /** Raw ES_info descriptors (language, AC-3 …), for an output PMT announced before going live. */
  readonly descriptors?: Buffer;
}

export interface AnalyzerState {
  pat?: Pat;
  pmt?: { pcrPid: number; streams: AnalyzedStream[] };
  pcrSeen: boolean;
  /** Last PCR in 27 MHz units. */
  lastPcr?: number;
  randomAccessSeen: boolean;
  videoCodec?: string;
  audioCodec?: string;
  /** Picture size from the H.264 SPS at a random-access point (when it fits in that packet). */
  videoSize?: { width: number; height: number };
  packets: number;
  ccErrors: number;
  /** TEI set, bad sync byte, reserved AFC, impossible adaptation field length. */
  corruptPackets: number;
  /** Sections rejected (CRC, structure); the last reason is kept for diagnostics. */
  psiErrors: number;
  lastPsiError?: string;
}

export class StreamAnalyzer {
  readonly state: AnalyzerState = {
    pcrSeen: false,
    randomAccessSeen: false,
    packets: 0,
    ccErrors: 0,
    corruptPackets: 0,
    psiErrors: 0,
  };
  private readonly lastCc = new Int8Array(8192).fill(-1);
  private readonly patAsm = new SectionAssembler();
  private pmtAsm = new SectionAssembler();
  private pmtPid = -1;
  private videoPid = -1;
  private lastPmtSection: Buffer | undefined;

  /** PAT and PMT parsed, a PCR seen and a video random-access point seen. */
  ready(): boolean {
    const s = this.state;
    return s.pat !== undefined && s.pmt !== undefined && s.pcrSeen && s.randomAccessSeen;
  }

  /** Feed whole packets (length a multiple of 188; a trailing fragment is ignored). */
  push(packets: Buffer): void {
    const s = this.state;
    const n = packets.length - (packets.length % P);
    for (let off = 0; off < n; off += P) {
      s.packets++;
      if (!packetValid(packets, off)) {
        s.corruptPackets++;
        continue;
      }
      const pid = pidOf(packets, off);
      if (pid === NULL_PID) continue;
      this.checkCc(packets, off, pid);
      if (pid === PAT_PID) {
        for (const sec of this.patAsm.push(packets, off)) this.onPat(sec);
      } else if (pid === this.pmtPid) {
        for (const sec of this.pmtAsm.push(packets, off)) this.onPmt(sec);
      }
      if (s.pmt === undefined || pid === s.pmt.pcrPid) {
        const pcr = readPcr(packets, off);
        if (pcr !== undefined) {
          s.pcrSeen = true;
          s.lastPcr = pcr;
        }
      }
      if (pid === this.videoPid && !s.randomAccessSeen && isVideoRap(packets, off, s.videoCodec ?? '')) {
        s.randomAccessSeen = true;
        s.videoSize = videoSizeAt(packets, off, s.videoCodec ?? '');
      }
    }
  }

  private checkCc(buf: Buffer, off: number, pid: number): void {
    const cc = ccOf(buf, off);
    const last = this.lastCc[pid]!;
    this.lastCc[pid] = cc;
    if (last < 0 || isDiscontinuity(buf, off)) return;
    const withPayload = (afcOf(buf, off) & 1) !== 0;
    // With payload: +1 (or one duplicate). Without payload the counter must not move.
    const ok = withPayload ? cc === ((last + 1) & 0x0f) || cc === last : cc === last;
    if (!ok) this.state.ccErrors++;
  }

  private psiError(reason: string): void {
    this.state.psiErrors++;
    this.state.lastPsiError = reason;
  }

  private onPat(section: Buffer): void {
    const r = parsePat(section);
    if (!r.ok) return this.psiError(r.reason);
    const first = r.value.programs[0];
    if (!first) return this.psiError('PAT lists no program');
    this.state.pat = r.value;
    if (first.pmtPid !== this.pmtPid) {
      this.pmtPid = first.pmtPid;
      this.pmtAsm = new SectionAssembler();
      this.lastPmtSection = undefined;
    }
  }

  private onPmt(section: Buffer): void {
    if (this.lastPmtSection?.equals(section)) return;
    const r = parsePmt(section);
    if (!r.ok) return this.psiError(r.reason);
    const prog = this.state.pat?.programs[0]?.programNumber;
    if (prog !== undefined && r.value.programNumber !== prog) return;
    this.lastPmtSection = section;
    const streams = r.value.streams.map(({ pid, streamType, kind, codec, descriptors }) => ({
      pid,
      streamType,
      kind,
      codec,
      descriptors,
    }));
    const video = streams.find((x) => x.kind === 'video');
    const audio = streams.find((x) => x.kind === 'audio');
    const s = this.state;
    s.pmt = { pcrPid: r.value.pcrPid, streams };
    s.videoCodec = video?.codec;
    s.audioCodec = audio?.codec;
    if ((video?.pid ?? -1) !== this.videoPid) {
      this.videoPid = video?.pid ?? -1;
      s.randomAccessSeen = false;
    }
  }
}
