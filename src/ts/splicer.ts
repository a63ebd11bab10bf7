// The seamless output layer (stream-pipeline.md §2.1): whatever source feeds it, clients see one
// program with fixed PIDs and PSI, continuous CC and a monotonic timeline.
//   - begin() starts a new source: alignment and PES/PSI state are reset, nothing passes until
//     the source's PAT/PMT and a video random-access point; the partial video PES the old source
//     left behind is discarded (it is held back until the next video PES start for that reason).
//   - One program-wide offset rebases PCR/PTS/DTS so the timeline continues after the last
//     output (plus the wall-clock gap, so latency does not grow with each outage).
//   - PAT/PMT are re-emitted right before every video RAP and every psiIntervalMs of PCR time.
//   - The PAT is fixed and goes out from the start; the PMT once a layout is known (announce(),
//     or the first source going live).
// Packets are rewritten in place in the caller's buffers (PID, CC, PCR, PTS/DTS), then copied
// once into the output chunk. The common packet (payload only, no PUSI, video/audio PID) takes
// an inline fast path; the walk also keeps the source's health for the watchdog.
import { PacketAligner } from './aligner.js';
import { OUTPUT, PAT_PID, PCR_WRAP, SYNC, TS_PACKET_SIZE as P } from './constants.js';
import {
  afcOf,
  clearDiscontinuity,
  hasPayload,
  isDiscontinuity,
  nullPackets,
  payloadOffset,
  pidOf,
  readPcr,
  setCc,
  writePcr,
} from './packet.js';
import { add33, diff33, ptsDtsFlags, readPts, readTimestamp, shiftPesTimestamps } from './pes.js';
import { buildPat, buildPmt, parsePat, parsePmt, sectionToPackets, type PmtStream } from './psi.js';
import { isVideoRap, videoSizeAt } from './rap.js';
import { Pieces } from './pieces.js';
import { SectionAssembler } from './section-assembler.js';
import { Slab, type ChunkMemory } from './slab.js';
import { signaturesCompatible, type CodecSignature } from './signature.js';

export type { CodecSignature } from './signature.js';

export interface SplicerOptions {
  /** Longest PCR-time distance between PAT/PMT repetitions (default 100 ms). */
  psiIntervalMs?: number;
  /** Wall clock in ms (default performance.now); injectable for tests. */
  now?: () => number;
  /**
   * Memory for output chunks (default: fresh 1 MiB slabs, left to the garbage collector). A
   * session passes memory it recycles once its ring and clients are done with it.
   */
  memory?: ChunkMemory;
}

export interface SpliceOutput {
  /** 188-aligned, possibly empty. */
  data: Buffer;
  /** Byte offsets in `data` of the PAT that precedes each video RAP: a client can join there. */
  rapOffsets: number[];
}

/**
 * Health of the bytes fed to push(), counted on the packets the splicer walks anyway, so the
 * watchdog needs no second parser on a live source. Cumulative over the splicer's life (the
 * watchdog works on differences); CC is checked on the video and audio PIDs it forwards.
 */
export interface SourceHealth {
  /** Last PCR on the source's PCR PID (27 MHz units, as received). */
  lastPcr: number | undefined;
  packets: number;
  ccErrors: number;
  /** TEI set, bad sync byte, reserved AFC, impossible adaptation field length, bytes lost to sync. */
  corruptPackets: number;
  /** Clock jumps inside a source nobody reported (an encoder restart): rejoined at a keyframe. */
  clockJumps: number;
}

/** A source's program layout as its PMT gives it (what the output PMT is derived from). */
export interface SourcePmt {
  readonly pcrPid: number;
  readonly streams: readonly {
    readonly pid: number;
    readonly streamType: number;
    readonly kind: string;
    readonly descriptors?: Uint8Array;
  }[];
}

export interface SplicerStats {
  /** Sources that went live after the output was established (failovers, switch-backs, slate). */
  switches: number;
  /** Packets discarded while waiting for a new source's PSI and random-access point. */
  droppedBeforeRap: number;
  /** Packets whose CC we changed. */
  ccRewritten: number;
}

type Phase = 'psi' | 'rap' | 'live';

/** What the next switch continues from: the output's last clock, timestamps and PSI time. */
interface Timeline {
  lastOutPcr: number;
  lastOutAt: number;
  lastPsiPcr: number;
  psiSincePcr: boolean;
  lastVideoDts: number;
  videoStep: number;
  lastAudioPts: number;
  audioStep: number;
}

const EMPTY = Buffer.alloc(0);
const KEEPALIVE_NULLS = 5;
/** Held bytes of one video PES before we give up waiting for its end (a broken source). */
const MAX_HOLD_BYTES = 8 * 1024 * 1024;
const CC_PAT = 0;
const CC_PMT = 1;
const CC_VIDEO = 2;
const CC_AUDIO = 3;

/**
 * 90 kHz ticks: a PCR step back by more than this, or ahead by more than MAX_PCR_STEP, is a jump.
 * Ahead is generous: PCR every few seconds (out of spec, but seen) must not count as jumps, and a
 * restarted encoder's clock lands far away anyway.
 */
const MAX_PCR_BACK = 9_000;
const MAX_PCR_STEP = 10 * 90_000;

/** Whether the PCR moved from `prev` to `next` (27 MHz) by something other than elapsing time. */
export function isClockJump(prev: number, next: number): boolean {
  const step = diff33(Math.floor(next / 300), Math.floor(prev / 300));
  return step < -MAX_PCR_BACK || step > MAX_PCR_STEP;
}

export class Splicer {
  readonly stats: SplicerStats = { switches: 0, droppedBeforeRap: 0, ccRewritten: 0 };
  readonly health: SourceHealth = {
    lastPcr: undefined,
    packets: 0,
    ccErrors: 0,
    corruptPackets: 0,
    clockJumps: 0,
  };
  private readonly psiInterval: number;
  private readonly now: () => number;
  private readonly aligner = new PacketAligner();
  private readonly slab: ChunkMemory;
  private readonly patSection = buildPat({
    transportStreamId: OUTPUT.transportStreamId,
    programs: [{ programNumber: OUTPUT.programNumber, pmtPid: OUTPUT.pmtPid }],
  });

  // Current source (reset by begin).
  private tag = '';
  private phase: Phase = 'psi';
  private patAsm = new SectionAssembler();
  private pmtAsm = new SectionAssembler();
  private srcPmtPid = -1;
  private lastPat: Buffer | undefined;
  private lastPmt: Buffer | undefined;
  private srcProgram = -1;
  private srcVideo: PmtStream | undefined;
  private srcAudio: PmtStream | undefined;
  // The hot loop compares plain numbers, not optional properties.
  private srcVideoPid = -1;
  private srcAudioPid = -1;
  private srcPcrPid = -1;
  private srcLastPcr = -1;
  /** Last source CC on the video / audio PID (-1: none yet), for SourceHealth. */
  private videoCcIn = -1;
  private audioCcIn = -1;
  private alignerDropped = 0;
  private offset = 0;
  private audioWaiting = false;
  private rapPts = 0;

  // Output (kept across sources).
  private readonly cc = new Uint8Array([15, 15, 15, 15]);
  private pmtSection: Buffer | undefined;
  /** PAT (fixed) + PMT (once a layout is known): copied, with CCs set, whenever PSI goes out. */
  private psiTemplate: Buffer;
  private pmtVersion = 0;
  private sig: CodecSignature | undefined;
  private lastOutPcr = -1;
  /** Wall clock when lastOutPcr went out: a switch continues the clock from there. */
  private lastOutAt = 0;
  /** Wall clock of the push() under way. */
  private pushAt = 0;
  private lastPsiPcr = -1;
  /** PSI went out since the last PCR: the interval restarts at the next PCR. */
  private psiSincePcr = false;
  private lastVideoDts = -1;
  private videoStep = 3600;
  private lastAudioPts = -1;
  private audioStep = 1920;

  // Output not yet returned; bytes from `holdAt` on belong to an unfinished video PES.
  private readonly pieces = new Pieces();
  private holdAt = 0;
  /** Video and audio CCs as they were at `holdAt`: restored when the held bytes are discarded. */
  private readonly ccAtHold = new Uint8Array([15, 15]);
  /**
   * The timeline as it was at `holdAt`, restored with the CCs: bytes that never go out must not
   * move it, or the next source is rebased after them (a slate replaced before its first frame
   * was complete pushed the clock ~0.6 s beyond the wall-clock gap).
   */
  private readonly timelineAtHold: Timeline = {
    lastOutPcr: -1,
    lastOutAt: 0,
    lastPsiPcr: -1,
    psiSincePcr: false,
    lastVideoDts: -1,
    videoStep: 3600,
    lastAudioPts: -1,
    audioStep: 1920,
  };
  /** Positions in the pending output where a client can join (PSI before a RAP). */
  private raps: number[] = [];
  /** Inserted PSI copies in the pending output (position, length): their CCs are set on the way out. */
  private psiAt: number[] = [];
  private psiLen: number[] = [];
  private runBuf: Buffer = EMPTY;
  private runStart = -1;

  constructor(opts: SplicerOptions = {}) {
    this.psiInterval = (opts.psiIntervalMs ?? 100) * 27_000;
    this.now = opts.now ?? (() => performance.now());
    this.slab = opts.memory ?? new Slab();
    this.psiTemplate = sectionToPackets(PAT_PID, this.patSection, 0).packets;
  }

  get signature(): CodecSignature | undefined {
    return this.sig;
  }

  /** Tag of the source currently feeding push(), for logs. */
  get source(): string {
    return this.tag;
  }

  /** True once the current source passed its PSI and random-access point. */
  get live(): boolean {
    return this.phase === 'live';
  }

  compatible(sig: CodecSignature): boolean {
    return this.sig === undefined || signaturesCompatible(this.sig, sig);
  }

  begin(sourceTag: string): void {
    this.tag = sourceTag;
    this.aligner.reset();
    this.resetSource();
    this.patAsm = new SectionAssembler();
    this.srcPmtPid = -1;
    this.srcProgram = -1;
    this.lastPat = undefined;
  }

  /** Rewrites the chunk's bytes in place; do not reuse `chunk` afterwards. */
  push(chunk: Buffer): SpliceOutput {
    this.pushAt = this.now();
    for (const part of this.aligner.pushParts(chunk)) {
      this.runBuf = part;
      this.runStart = -1;
      this.health.packets += part.length / P;
      this.walk(part);
      this.cut(part.length);
    }
    const dropped = this.aligner.droppedBytes;
    if (dropped !== this.alignerDropped) {
      // Bytes lost to sync count as damaged packets, so a source turning into garbage is noticed.
      const lost = Math.ceil((dropped - this.alignerDropped) / P);
      this.health.corruptPackets += lost;
      this.health.packets += lost;
      this.alignerDropped = dropped;
    }
    const held = this.pieces.total - this.holdAt;
    return this.emit(held > MAX_HOLD_BYTES ? this.pieces.total : this.holdAt);
  }

  /** Everything held back, e.g. when the last source ended for good. */
  flush(): SpliceOutput {
    return this.emit(this.pieces.total);
  }

  /**
   * The first source's layout, known (from its PMT) before it reaches a keyframe: from now on
   * psi() and keepalive() carry the output PMT it will get, so a cold-tuned client sees a
   * valid program at once. Ignored once a source has been live (the output is established
   * and only a source going live may change it). True when the PSI changed.
   */
  announce(pmt: SourcePmt): boolean {
    if (this.sig !== undefined) return false;
    const video = pmt.streams.find((s) => s.kind === 'video');
    if (!video) return false;
    const audio = pmt.streams.find((s) => s.kind === 'audio');
    return this.setPmt(video.streamType, audio, audio !== undefined && pmt.pcrPid === audio.pid);
  }

  /** PAT + PMT with the output's CCs (the PAT alone until a layout is known). */
  psi(): Buffer {
    const psi = this.rawPsi();
    this.assignPsiCc(psi, 0, psi.length);
    return psi;
  }

  /** A fresh copy of the PAT+PMT packets (CCs still to be assigned). */
  private rawPsi(): Buffer {
    const t = this.psiTemplate;
    if (t.length === 0) return EMPTY;
    const out = this.slab.take(t.length);
    t.copy(out);
    return out;
  }

  /**
   * Output CCs of PAT/PMT packets in buf[from, to), given when they leave the splicer so they
   * follow output order (keepalive PSI goes out while a PES is still held). Video and audio get
   * theirs as they are kept, and roll back if held bytes are discarded.
   */
  private assignPsiCc(buf: Buffer, from: number, to: number): void {
    const cc = this.cc;
    for (let off = from; off < to; off += P) {
      const i = pidOf(buf, off) === PAT_PID ? CC_PAT : CC_PMT;
      const next = hasPayload(buf, off) ? (cc[i]! + 1) & 15 : cc[i]!;
      cc[i] = next;
      setCc(buf, off, next);
    }
  }

  /** PSI plus a few null packets, to keep a client's connection busy during a switch gap. */
  keepalive(): Buffer {
    return Buffer.concat([this.psi(), nullPackets(KEEPALIVE_NULLS)]);
  }

  private resetSource(): void {
    this.phase = 'psi';
    this.pmtAsm = new SectionAssembler();
    this.lastPmt = undefined;
    this.srcVideo = undefined;
    this.srcAudio = undefined;
    this.srcVideoPid = -1;
    this.srcAudioPid = -1;
    this.srcPcrPid = -1;
    this.srcLastPcr = -1;
    this.videoCcIn = -1;
    this.audioCcIn = -1;
    this.audioWaiting = false;
    this.dropHeld();
  }

  /**
   * The source's clock jumped with nothing saying so (an encoder restart inside one stream): go
   * on as at a switch to a source with the same layout. Output resumes at the next keyframe with
   * the offset chosen there, so clients see one continuous timeline instead of a jump that some
   * players freeze on.
   */
  private rejoin(): void {
    this.health.clockJumps++;
    this.phase = 'rap';
    this.srcLastPcr = -1;
    this.audioWaiting = false;
    this.dropHeld();
  }

  /** Drop the unfinished video PES: it must not reach clients, nor use up CCs (see markHold). */
  private dropHeld(): void {
    const at = this.holdAt;
    this.pieces.truncate(at);
    this.raps = this.raps.filter((p) => p < at);
    while (this.psiAt.length > 0 && this.psiAt[this.psiAt.length - 1]! >= at) {
      this.psiAt.pop();
      this.psiLen.pop();
    }
    this.cc[CC_VIDEO] = this.ccAtHold[0]!;
    this.cc[CC_AUDIO] = this.ccAtHold[1]!;
    const t = this.timelineAtHold;
    this.lastOutPcr = t.lastOutPcr;
    this.lastOutAt = t.lastOutAt;
    this.lastPsiPcr = t.lastPsiPcr;
    this.psiSincePcr = t.psiSincePcr;
    this.lastVideoDts = t.lastVideoDts;
    this.videoStep = t.videoStep;
    this.lastAudioPts = t.lastAudioPts;
    this.audioStep = t.audioStep;
  }

  /** Remember the CCs and timeline at the hold point (see resetSource). */
  private markHold(): void {
    this.ccAtHold[0] = this.cc[CC_VIDEO]!;
    this.ccAtHold[1] = this.cc[CC_AUDIO]!;
    const t = this.timelineAtHold;
    t.lastOutPcr = this.lastOutPcr;
    t.lastOutAt = this.lastOutAt;
    t.lastPsiPcr = this.lastPsiPcr;
    t.psiSincePcr = this.psiSincePcr;
    t.lastVideoDts = this.lastVideoDts;
    t.videoStep = this.videoStep;
    t.lastAudioPts = this.lastAudioPts;
    t.audioStep = this.audioStep;
  }

  /** The first `upTo` pending bytes as one owned chunk (consecutive chunks are adjacent in the slab). */
  private emit(upTo: number): SpliceOutput {
    if (upTo === 0) return { data: EMPTY, rapOffsets: [] };
    const out = this.slab.take(upTo);
    this.pieces.take(out, upTo);
    let k = 0;
    for (; k < this.psiAt.length && this.psiAt[k]! < upTo; k++) {
      this.assignPsiCc(out, this.psiAt[k]!, this.psiAt[k]! + this.psiLen[k]!);
    }
    if (this.psiAt.length > 0) {
      this.psiAt = this.psiAt.slice(k).map((p) => p - upTo);
      this.psiLen = this.psiLen.slice(k);
    }
    const rapOffsets: number[] = [];
    let r = 0;
    for (; r < this.raps.length && this.raps[r]! < upTo; r++) rapOffsets.push(this.raps[r]!);
    if (this.raps.length > 0) this.raps = this.raps.slice(r).map((p) => p - upTo);
    this.holdAt = Math.max(0, this.holdAt - upTo);
    // Nothing held any more: a later discard has nothing to give back.
    if (this.pieces.total === 0) this.markHold();
    return { data: out, rapOffsets };
  }

  // --- per packet -------------------------------------------------------------------------

  /**
   * The common packet inline: live, payload only, no PUSI, on the video or audio PID, which
   * just gets its PID rewritten and joins the current run. Everything else goes to packet().
   */
  private walk(part: Buffer): void {
    let live = this.phase === 'live';
    let vPid = this.srcVideoPid;
    let aPid = this.srcAudioPid;
    // Output video/audio CCs in locals; written back around the slow path.
    const ccs = this.cc;
    let cc0 = ccs[CC_VIDEO]!;
    let cc1 = ccs[CC_AUDIO]!;
    let rewritten = 0;
    for (let off = 0; off < part.length; off += P) {
      const b1 = part[off + 1]!;
      const b3 = part[off + 3]!;
      if (live && (b3 & 0x30) === 0x10 && (b1 & 0xc0) === 0 && part[off] === SYNC) {
        const pid = ((b1 & 0x1f) << 8) | part[off + 2]!;
        const cc = b3 & 0x0f;
        let last = -2;
        let next = 0;
        if (pid === vPid) {
          last = this.videoCcIn;
          this.videoCcIn = cc;
          next = cc0 = (cc0 + 1) & 15;
          part[off + 1] = (b1 & 0xe0) | (OUTPUT.videoPid >> 8);
          part[off + 2] = OUTPUT.videoPid & 0xff;
        } else if (pid === aPid && !this.audioWaiting) {
          last = this.audioCcIn;
          this.audioCcIn = cc;
          next = cc1 = (cc1 + 1) & 15;
          part[off + 1] = (b1 & 0xe0) | (OUTPUT.audioPid >> 8);
          part[off + 2] = OUTPUT.audioPid & 0xff;
        }
        if (last !== -2) {
          if (last >= 0 && cc !== last && cc !== ((last + 1) & 0x0f)) this.health.ccErrors++;
          if (cc !== next) {
            part[off + 3] = (b3 & 0xf0) | next;
            rewritten++;
          }
          if (this.runStart < 0) this.runStart = off;
          continue;
        }
      }
      ccs[CC_VIDEO] = cc0;
      ccs[CC_AUDIO] = cc1;
      this.packet(part, off);
      cc0 = ccs[CC_VIDEO]!;
      cc1 = ccs[CC_AUDIO]!;
      // PSI, a RAP or a PMT change may have moved the source on.
      live = this.phase === 'live';
      vPid = this.srcVideoPid;
      aPid = this.srcAudioPid;
    }
    ccs[CC_VIDEO] = cc0;
    ccs[CC_AUDIO] = cc1;
    this.stats.ccRewritten += rewritten;
  }

  /** Close the current run of kept packets before `off`. */
  private cut(off: number): void {
    if (this.runStart >= 0) this.pieces.add(this.runBuf, this.runStart, off);
    this.runStart = -1;
  }

  private keep(off: number): void {
    if (this.runStart < 0) this.runStart = off;
  }

  private insertPsi(off: number, rap: boolean): void {
    this.cut(off);
    const at = this.pieces.total;
    if (rap) this.raps.push(at);
    this.psiAt.push(at);
    this.psiLen.push(this.psiTemplate.length);
    this.pieces.add(this.psiTemplate, 0, this.psiTemplate.length); // copied, CCs set, when emitted
    this.psiSincePcr = true;
  }

  private packet(b: Buffer, off: number): void {
    // Header fields are decoded once here and passed on; packets without an adaptation field
    // (most of them) never look at PCR or flags.
    const b1 = b[off + 1]!;
    const afc = (b[off + 3]! >> 4) & 3;
    if (
      b[off] !== SYNC ||
      (b1 & 0x80) !== 0 ||
      afc === 0 ||
      (afc > 1 && b[off + 4]! > (afc === 2 ? 183 : 182))
    ) {
      this.health.corruptPackets++;
      return this.cut(off);
    }
    const pid = ((b1 & 0x1f) << 8) | b[off + 2]!;
    if (pid === PAT_PID) {
      this.cut(off);
      if (!this.patAsm.repeats(b, off)) for (const s of this.patAsm.push(b, off)) this.onPat(s);
      return;
    }
    if (pid === this.srcPmtPid) {
      this.cut(off);
      if (!this.pmtAsm.repeats(b, off)) for (const s of this.pmtAsm.push(b, off)) this.onPmt(s);
      return;
    }
    const isVideo = pid === this.srcVideoPid;
    const isAudio = !isVideo && pid === this.srcAudioPid;
    if (isVideo) this.videoCcIn = this.checkCcIn(b, off, afc, this.videoCcIn);
    else if (isAudio) this.audioCcIn = this.checkCcIn(b, off, afc, this.audioCcIn);
    if (afc > 1 && pid === this.srcPcrPid) {
      const pcr = readPcr(b, off);
      if (pcr !== undefined) {
        if (this.phase === 'live' && this.srcLastPcr >= 0 && isClockJump(this.srcLastPcr, pcr)) {
          this.cut(off);
          this.rejoin();
        }
        this.srcLastPcr = this.health.lastPcr = pcr;
      }
    }
    if (this.phase !== 'live') {
      if (
        this.phase === 'rap' &&
        isVideo &&
        this.srcLastPcr >= 0 &&
        isVideoRap(b, off, this.srcVideo!.codec) &&
        ptsDtsFlags(b, payloadOffset(b, off), off + P) >= 2
      ) {
        this.goLive(b, off);
      } else {
        this.stats.droppedBeforeRap++;
        return this.cut(off);
      }
    }
    if (isVideo) this.video(b, off, afc, (b1 & 0x40) !== 0);
    else if (isAudio) this.audio(b, off, afc, (b1 & 0x40) !== 0);
    else if (afc > 1 && pid === this.srcPcrPid) this.pcrOnly(b, off);
    else this.cut(off);
  }

  /** Source continuity on a forwarded PID (like StreamAnalyzer): returns the new last CC. */
  private checkCcIn(b: Buffer, off: number, afc: number, last: number): number {
    const cc = b[off + 3]! & 0x0f;
    if (last >= 0 && cc !== last && ((afc & 1) === 0 || cc !== ((last + 1) & 0x0f))) {
      if (afc === 1 || !isDiscontinuity(b, off)) this.health.ccErrors++;
    }
    return cc;
  }

  private video(b: Buffer, off: number, afc: number, pusi: boolean): void {
    if (pusi) {
      // Everything before a new video PES is complete and may go out; from here on it is held.
      this.holdAt = this.pieces.total + (this.runStart >= 0 ? off - this.runStart : 0);
      this.markHold();
      if (isVideoRap(b, off, this.srcVideo!.codec)) this.insertPsi(off, true);
    }
    this.rewrite(b, off, OUTPUT.videoPid, afc);
    if (pusi) {
      const p = payloadOffset(b, off);
      const flags = ptsDtsFlags(b, p, off + P);
      if (flags >= 2) {
        shiftPesTimestamps(b, p, off + P, this.offset);
        const dts = readTimestamp(b, flags === 3 ? p + 14 : p + 9);
        if (this.lastVideoDts >= 0) {
          const step = diff33(dts, this.lastVideoDts);
          if (step > 0 && step < 90_000) this.videoStep = step;
        }
        this.lastVideoDts = dts;
      }
    }
    this.keep(off);
  }

  private audio(b: Buffer, off: number, afc: number, pusi: boolean): void {
    if (this.audioWaiting) {
      // Audio starts with the first whole PES not earlier than the video RAP.
      const p = pusi ? payloadOffset(b, off) : -1;
      const pts = p < 0 ? undefined : readPts(b, p, off + P);
      if (pts === undefined || diff33(pts, this.rapPts) < 0) return this.cut(off);
      this.audioWaiting = false;
    }
    this.rewrite(b, off, OUTPUT.audioPid, afc);
    if (pusi) {
      const p = payloadOffset(b, off);
      if (ptsDtsFlags(b, p, off + P) >= 2) {
        shiftPesTimestamps(b, p, off + P, this.offset);
        const pts = readTimestamp(b, p + 9);
        if (this.lastAudioPts >= 0) {
          const step = diff33(pts, this.lastAudioPts);
          if (step > 0 && step < 90_000) this.audioStep = step;
        }
        this.lastAudioPts = pts;
      }
    }
    this.keep(off);
  }

  /** A PCR on a PID we do not output: carry it as an adaptation-only packet on the video PID. */
  private pcrOnly(b: Buffer, off: number): void {
    if (readPcr(b, off) === undefined) return this.cut(off);
    if (afcOf(b, off) === 3) b.fill(0xff, off + 5 + b[off + 4]!, off + P);
    b[off + 1] = b[off + 1]! & 0xbf; // no PUSI: there is no payload
    b[off + 3] = (b[off + 3]! & 0xcf) | 0x20;
    b[off + 4] = 183;
    this.rewrite(b, off, OUTPUT.videoPid, 2);
    this.keep(off);
  }

  /** PID, CC, discontinuity flag and PCR of a packet that goes out. */
  private rewrite(b: Buffer, off: number, outPid: number, afc: number): void {
    b[off + 1] = (b[off + 1]! & 0xe0) | (outPid >> 8);
    b[off + 2] = outPid & 0xff;
    const i = outPid === OUTPUT.videoPid ? CC_VIDEO : CC_AUDIO;
    const next = (afc & 1) !== 0 ? (this.cc[i]! + 1) & 15 : this.cc[i]!;
    this.cc[i] = next;
    if ((b[off + 3]! & 0x0f) !== next) {
      b[off + 3] = (b[off + 3]! & 0xf0) | next;
      this.stats.ccRewritten++;
    }
    if (afc === 1) return; // no adaptation field: no flags, no PCR
    if (isDiscontinuity(b, off)) clearDiscontinuity(b, off); // we rebase, so there is none
    const pcr = readPcr(b, off);
    if (pcr === undefined) return;
    const out = (pcr + this.offset * 300) % PCR_WRAP;
    writePcr(b, off, out);
    // PSI goes out before this PCR when waiting for the next one (about one PCR spacing later)
    // would overrun the interval.
    const spacing =
      this.lastOutPcr < 0 ? 0 : Math.min(this.psiInterval, (out - this.lastOutPcr + PCR_WRAP) % PCR_WRAP);
    this.lastOutPcr = out;
    this.lastOutAt = this.pushAt;
    const sincePsi = (out - this.lastPsiPcr + PCR_WRAP) % PCR_WRAP;
    if (!this.psiSincePcr && this.lastPsiPcr >= 0 && sincePsi + spacing > this.psiInterval)
      this.insertPsi(off, false);
    if (this.psiSincePcr || this.lastPsiPcr < 0) this.lastPsiPcr = out;
    this.psiSincePcr = false;
  }

  // --- source PSI and the switch ----------------------------------------------------------

  private onPat(section: Buffer): void {
    // Sources repeat PAT/PMT every ~100 ms; only a changed section needs parsing.
    if (this.lastPat?.equals(section)) return;
    this.lastPat = section;
    const r = parsePat(section);
    const first = r.ok ? r.value.programs[0] : undefined;
    if (!first || (first.pmtPid === this.srcPmtPid && first.programNumber === this.srcProgram)) return;
    this.srcPmtPid = first.pmtPid;
    this.srcProgram = first.programNumber;
    this.pmtAsm = new SectionAssembler();
  }

  private onPmt(section: Buffer): void {
    if (this.lastPmt?.equals(section)) return;
    this.lastPmt = section;
    const r = parsePmt(section);
    if (!r.ok || r.value.programNumber !== this.srcProgram) return;
    const video = r.value.streams.find((s) => s.kind === 'video');
    const audio = r.value.streams.find((s) => s.kind === 'audio');
    if (!video) return; // nothing to splice in (radio / data only)
    const same =
      this.phase !== 'psi' &&
      video.pid === this.srcVideo?.pid &&
      video.streamType === this.srcVideo.streamType &&
      audio?.pid === this.srcAudio?.pid &&
      audio?.streamType === this.srcAudio?.streamType &&
      r.value.pcrPid === this.srcPcrPid;
    if (same) return;
    // New layout inside the same source: treat it like a new source.
    if (this.phase !== 'psi') this.resetSource();
    this.srcVideo = video;
    this.srcAudio = audio;
    this.srcVideoPid = video.pid;
    this.srcAudioPid = audio?.pid ?? -1;
    this.srcPcrPid = r.value.pcrPid;
    this.phase = 'rap';
  }

  private goLive(b: Buffer, off: number): void {
    const video = this.srcVideo!;
    const p = payloadOffset(b, off);
    const flags = ptsDtsFlags(b, p, off + P);
    this.rapPts = readTimestamp(b, p + 9);
    const rapDts = flags === 3 ? readTimestamp(b, p + 14) : this.rapPts;
    if (this.lastOutPcr >= 0) {
      const gap = Math.max(this.videoStep, Math.round((this.now() - this.lastOutAt) * 90));
      const lastOutBase = Math.floor(this.lastOutPcr / 300);
      const srcBase = Math.floor(this.srcLastPcr / 300);
      // The largest of: clock continues after the gap; video DTS and audio PTS keep rising.
      let off33 = diff33(add33(lastOutBase, gap), srcBase);
      if (this.lastVideoDts >= 0)
        off33 = Math.max(off33, diff33(add33(this.lastVideoDts, this.videoStep), rapDts));
      if (this.lastAudioPts >= 0)
        off33 = Math.max(off33, diff33(add33(this.lastAudioPts, this.audioStep), this.rapPts));
      this.offset = add33(off33, 0);
      this.stats.switches++;
    } else {
      this.offset = 0;
    }
    const size = videoSizeAt(b, off, video.codec);
    this.sig = { video: video.codec, audio: this.srcAudio?.codec, ...size };
    this.updatePmt();
    this.audioWaiting = this.srcAudio !== undefined;
    this.phase = 'live';
  }

  /** Output PMT from the live source's stream types; the version moves only when they change. */
  private updatePmt(): void {
    const audio = this.srcAudio;
    this.setPmt(this.srcVideo!.streamType, audio, audio !== undefined && this.srcPcrPid === audio.pid);
  }

  private setPmt(
    videoType: number,
    audio: { streamType: number; descriptors?: Uint8Array } | undefined,
    pcrOnAudio: boolean,
  ): boolean {
    const section = (version: number): Buffer =>
      buildPmt({
        programNumber: OUTPUT.programNumber,
        version,
        pcrPid: pcrOnAudio ? OUTPUT.audioPid : OUTPUT.videoPid,
        streams: [
          { streamType: videoType, pid: OUTPUT.videoPid },
          ...(audio
            ? [{ streamType: audio.streamType, pid: OUTPUT.audioPid, descriptors: audio.descriptors }]
            : []),
        ],
      });
    const candidate = section(this.pmtVersion);
    if (this.pmtSection?.equals(candidate)) return false;
    if (this.pmtSection) this.pmtVersion = (this.pmtVersion + 1) & 31;
    this.pmtSection = section(this.pmtVersion);
    this.psiTemplate = Buffer.concat([
      sectionToPackets(PAT_PID, this.patSection, 0).packets,
      sectionToPackets(OUTPUT.pmtPid, this.pmtSection, 0).packets,
    ]);
    return true;
  }
}
