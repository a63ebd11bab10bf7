// Output checker used by streaming tests (and usable as a diagnostic): feeds on whatever bytes a
// client received and reports what would make a client complain — CC gaps, PIDs that come and
// go, PCR/DTS going backwards, PSI missing after a splice, gaps in delivery.
import { PacketAligner } from './aligner.js';
import { NULL_PID, OUTPUT, PAT_PID, TS_PACKET_SIZE as P } from './constants.js';
import { afcOf, ccOf, isDiscontinuity, payloadOffset, pidOf, pusiOf, readPcr } from './packet.js';
import { diff33, ptsDtsFlags, readTimestamp } from './pes.js';

export interface CheckerOptions {
  /** PIDs allowed in the output (default: PAT, OUTPUT.pmtPid/videoPid/audioPid, null). */
  allowedPids?: readonly number[];
  /** A PCR moving forward by more than this counts as a splice point (default 1000 ms). */
  pcrJumpMs?: number;
  /** PTS may go back by this much on a PID (B-frame reordering) before it counts (default 1000 ms). */
  ptsReorderMs?: number;
}

export interface PidReport {
  readonly pid: number;
  packets: number;
  ccErrors: number;
  pes: number;
  /** DTS (PTS when there is no DTS) not strictly increasing. */
  dtsViolations: number;
  /** PTS further back than the reorder window, or PTS < DTS. */
  ptsViolations: number;
  firstPts?: number;
  lastPts?: number;
}

export interface CheckReport {
  packets: number;
  /** Bytes dropped to regain 188-byte sync. */
  syncLossBytes: number;
  pids: number[];
  unexpectedPids: number[];
  ccErrors: number;
  byPid: PidReport[];
  pcrCount: number;
  pcrViolations: { packet: number; previous: number; value: number }[];
  dtsViolations: number;
  ptsViolations: number;
  patCount: number;
  pmtCount: number;
  /** Longest PAT-to-PAT distance in PCR time (ms), not counting across splices; 0 with < 2 PATs. */
  maxPatIntervalMs: number;
  /**
   * Marked splices and PCR jumps; psiAfter = packets until PAT and PMT both followed (undefined:
   * never). A PCR jump whose new timeline starts with PAT, PMT and a PES start (the splicer's
   * cut-in, whose first packet often carries the jumping PCR) is reported at that PAT.
   */
  splices: { packet: number; psiAfter: number | undefined }[];
  /** PTS − PCR on the PCR's PID's stream, ms (how far ahead of the clock frames are stamped). */
  ptsAheadOfPcrMs?: { min: number; max: number };
  maxPushGapMs: number;
}

interface PidState extends PidReport {
  lastCc: number;
  lastDts?: number;
  maxPts?: number;
}

export class TsChecker {
  private readonly aligner = new PacketAligner();
  private readonly allowed: Set<number>;
  private readonly pcrJump: number;
  private readonly reorder: number;
  private readonly pids = new Map<number, PidState>();
  private packets = 0;
  private pmtPid: number = OUTPUT.pmtPid;
  private pcrCount = 0;
  private lastPcr: number | undefined;
  /** Packet index of lastPcr. */
  private lastPcrAt = -1;
  /** PAT, then PMT, of the PSI run under way (only PSI and null packets since): -1 if none. */
  private leadPat = -1;
  private leadPmt = -1;
  /** The latest PES start led directly by PAT and PMT: where a client can join (packet indices). */
  private cutIn: { pat: number; pmt: number; at: number } | undefined;
  private readonly pcrViolations: CheckReport['pcrViolations'] = [];
  private patCount = 0;
  private pmtCount = 0;
  private lastPatPcr: number | undefined;
  private patClockStale = false;
  private maxPatInterval = 0;
  private readonly splices: { packet: number; psiAfter: number | undefined; pat: boolean; pmt: boolean }[] =
    [];
  private ahead: { min: number; max: number } | undefined;
  private lastPushAt: number | undefined;
  private maxPushGap = 0;

  constructor(opts: CheckerOptions = {}) {
    this.allowed = new Set(
      opts.allowedPids ?? [PAT_PID, OUTPUT.pmtPid, OUTPUT.videoPid, OUTPUT.audioPid, NULL_PID],
    );
    this.pcrJump = (opts.pcrJumpMs ?? 1000) * 27_000;
    this.reorder = (opts.ptsReorderMs ?? 1000) * 90;
  }

  /** The bytes pushed next come after a splice: PSI is expected right away. */
  markSplice(): void {
    this.splices.push({ packet: this.packets, psiAfter: undefined, pat: false, pmt: false });
    this.restartPatClock();
  }

  /** A splice's gap is not a PSI interval: measure again from the first PAT after the next PCR. */
  private restartPatClock(): void {
    this.lastPatPcr = undefined;
    this.patClockStale = true;
  }

  push(buf: Buffer, atMs?: number): void {
    if (atMs !== undefined) {
      if (this.lastPushAt !== undefined) this.maxPushGap = Math.max(this.maxPushGap, atMs - this.lastPushAt);
      this.lastPushAt = atMs;
    }
    for (const part of this.aligner.pushParts(buf)) {
      for (let off = 0; off < part.length; off += P) this.packet(part, off);
    }
  }

  private packet(b: Buffer, off: number): void {
    const index = this.packets++;
    const pid = pidOf(b, off);
    let s = this.pids.get(pid);
    if (!s) {
      s = { pid, packets: 0, ccErrors: 0, pes: 0, dtsViolations: 0, ptsViolations: 0, lastCc: -1 };
      this.pids.set(pid, s);
    }
    s.packets++;
    if (pid === NULL_PID) return;
    this.checkCc(b, off, s);
    const pusi = pusiOf(b, off);
    // Before the PCR: the cut-in packet may carry the PCR that jumps.
    if (pid !== PAT_PID && pid !== this.pmtPid) this.onEs(index, pusi);
    const pcr = readPcr(b, off);
    if (pcr !== undefined) this.onPcr(pcr, index);
    if (!pusi) return;
    if (pid === PAT_PID) {
      this.learnPmtPid(b, off);
      this.onPsi('pat', index, pcr);
    } else if (pid === this.pmtPid) this.onPsi('pmt', index, pcr);
    else this.onPes(b, off, s);
  }

  /** PMT PID of the first program, read straight from a PAT packet (single-packet PATs). */
  private learnPmtPid(b: Buffer, off: number): void {
    const p = payloadOffset(b, off);
    if (p < 0) return;
    const sec = p + 1 + b[p]!;
    const end = Math.min(off + P, sec + 3 + (((b[sec + 1]! & 0x0f) << 8) | b[sec + 2]!) - 4);
    for (let i = sec + 8; i + 4 <= end; i += 4) {
      if (((b[i]! << 8) | b[i + 1]!) !== 0) {
        this.pmtPid = ((b[i + 2]! & 0x1f) << 8) | b[i + 3]!;
        return;
      }
    }
  }

  private checkCc(b: Buffer, off: number, s: PidState): void {
    const cc = ccOf(b, off);
    const payload = (afcOf(b, off) & 1) !== 0;
    if (s.lastCc >= 0 && !isDiscontinuity(b, off)) {
      const ok = payload ? cc === ((s.lastCc + 1) & 15) : cc === s.lastCc;
      if (!ok) s.ccErrors++;
    }
    s.lastCc = cc;
  }

  /** A packet of an elementary stream (or any non-PSI PID): ends the PSI run before it. */
  private onEs(index: number, pusi: boolean): void {
    if (pusi && this.leadPmt >= 0) this.cutIn = { pat: this.leadPat, pmt: this.leadPmt, at: index };
    this.leadPat = this.leadPmt = -1;
  }

  private onPcr(pcr: number, index: number): void {
    this.pcrCount++;
    const prev = this.lastPcr;
    const prevAt = this.lastPcrAt;
    this.lastPcr = pcr;
    this.lastPcrAt = index;
    this.patClockStale = false;
    if (prev === undefined) return;
    const d = diff33(Math.floor(pcr / 300), Math.floor(prev / 300)) * 300;
    if (d <= 0 && pcr !== prev) this.pcrViolations.push({ packet: index, previous: prev, value: pcr });
    if (d < 0 || d > this.pcrJump) {
      // The new timeline began at the last PSI-led PES start since the old timeline's last PCR,
      // if there is one: a client joining there saw PAT and PMT first. A PSI-led PES start that
      // carries (or precedes) the old PCR does not count, so periodic PSI cannot stand in.
      const c = this.cutIn;
      if (c && c.at > prevAt) {
        this.splices.push({ packet: c.pat, psiAfter: c.pmt - c.pat, pat: true, pmt: true });
        this.lastPatPcr = pcr; // that PAT opens the new timeline's PSI intervals
      } else {
        this.splices.push({ packet: index, psiAfter: undefined, pat: false, pmt: false });
        this.lastPatPcr = undefined; // measured again from the next PAT, on the new timeline
      }
    }
  }

  private onPsi(kind: 'pat' | 'pmt', index: number, pcr: number | undefined): void {
    if (kind === 'pat') {
      this.patCount++;
      const now = pcr ?? this.lastPcr;
      if (now !== undefined && this.lastPatPcr !== undefined) {
        this.maxPatInterval = Math.max(this.maxPatInterval, (now - this.lastPatPcr) / 27_000);
      }
      if (!this.patClockStale) this.lastPatPcr = now;
      this.leadPat = index;
      this.leadPmt = -1;
    } else {
      this.pmtCount++;
      if (this.leadPat >= 0) this.leadPmt = index;
    }
    for (const sp of this.splices) {
      if (sp.psiAfter !== undefined) continue;
      sp[kind] = true;
      if (sp.pat && sp.pmt) sp.psiAfter = index - sp.packet;
    }
  }

  private onPes(b: Buffer, off: number, s: PidState): void {
    const p = payloadOffset(b, off);
    if (p < 0) return;
    const flags = ptsDtsFlags(b, p, off + P);
    if (flags < 2) return;
    s.pes++;
    const pts = readTimestamp(b, p + 9);
    const dts = flags === 3 ? readTimestamp(b, p + 14) : pts;
    if (s.lastDts !== undefined && diff33(dts, s.lastDts) <= 0) s.dtsViolations++;
    if (diff33(pts, dts) < 0 || (s.maxPts !== undefined && diff33(pts, s.maxPts) < -this.reorder))
      s.ptsViolations++;
    s.lastDts = dts;
    if (s.maxPts === undefined || diff33(pts, s.maxPts) > 0) s.maxPts = pts;
    s.firstPts ??= pts;
    s.lastPts = pts;
    if (this.lastPcr !== undefined && s.pid === OUTPUT.videoPid) {
      const a = diff33(pts, Math.floor(this.lastPcr / 300)) / 90;
      this.ahead = { min: Math.min(a, this.ahead?.min ?? a), max: Math.max(a, this.ahead?.max ?? a) };
    }
  }

  report(): CheckReport {
    const byPid = [...this.pids.values()]
      .sort((a, b) => a.pid - b.pid)
      .map(({ pid, packets, ccErrors, pes, dtsViolations, ptsViolations, firstPts, lastPts }) => ({
        pid,
        packets,
        ccErrors,
        pes,
        dtsViolations,
        ptsViolations,
        firstPts,
        lastPts,
      }));
    const pids = byPid.map((r) => r.pid);
    return {
      packets: this.packets,
      syncLossBytes: this.aligner.droppedBytes,
      pids,
      unexpectedPids: pids.filter((p) => !this.allowed.has(p)),
      ccErrors: byPid.reduce((n, r) => n + r.ccErrors, 0),
      byPid,
      pcrCount: this.pcrCount,
      pcrViolations: this.pcrViolations,
      dtsViolations: byPid.reduce((n, r) => n + r.dtsViolations, 0),
      ptsViolations: byPid.reduce((n, r) => n + r.ptsViolations, 0),
      patCount: this.patCount,
      pmtCount: this.pmtCount,
      maxPatIntervalMs: this.maxPatInterval,
      splices: this.splices.map(({ packet, psiAfter }) => ({ packet, psiAfter })),
      ptsAheadOfPcrMs: this.ahead,
      maxPushGapMs: this.maxPushGap,
    };
  }
}
