// The PSI a virtual mux carries: a PAT listing its programs, one PMT per program, and the ATSC
// VCT naming them. Sent on a carousel whether or not any program's upstream is open, so a scan
// learns every service without opening a single upstream.
//
// Each program owns a PID slot, so several programs fit one mux without clashing.
import { PAT_PID } from '../ts/constants.js';
import { buildPat, buildPmt, sectionToPackets, type PmtStreamSpec } from '../ts/psi.js';
import { buildVct, TABLE_CVCT, TABLE_TVCT, VCT_PID, virtualNumber, type VctChannel } from './psip.js';
import type { Mux } from './rf-plan.js';

/** ES PIDs per program slot; the last one is kept for a PCR on its own PID. */
export const SLOT_PIDS = 16;

export function slotPids(program: number): { pmtPid: number; esBase: number } {
  return { pmtPid: 0x1000 + program, esBase: 0x100 + (program - 1) * SLOT_PIDS };
}

export interface PmtLayout {
  readonly pcrPid: number;
  readonly streams: readonly PmtStreamSpec[];
}

/** What a program is assumed to carry until its upstream has been seen: H.264 + AAC, PCR on video. */
export function defaultLayout(program: number): PmtLayout {
  const { esBase } = slotPids(program);
  return {
    pcrPid: esBase,
    streams: [
      { streamType: 0x1b, pid: esBase },
      { streamType: 0x0f, pid: esBase + 1 },
    ],
  };
}

const sameLayout = (a: PmtLayout, b: PmtLayout): boolean =>
  a.pcrPid === b.pcrPid &&
  a.streams.length === b.streams.length &&
  a.streams.every(
    (s, i) =>
      s.pid === b.streams[i]!.pid &&
      s.streamType === b.streams[i]!.streamType &&
      Buffer.compare(Buffer.from(s.descriptors ?? []), Buffer.from(b.streams[i]!.descriptors ?? [])) === 0,
  );

export class MuxPsi {
  private mux: Mux | undefined;
  private selected: number | undefined;
  private readonly layouts = new Map<number, { layout: PmtLayout; version: number }>();
  private readonly cc = new Map<number, number>();
  private patVersion = 0;
  private vctVersion = 0;
  private pat: Buffer | undefined;
  private vct: Buffer[] = [];

  /** A new mux (tune) or new lineup data for it (names, programs). */
  setMux(mux: Mux | undefined): void {
    const sameRf = mux !== undefined && mux.rf === this.mux?.rf;
    this.mux = mux;
    // Learnt layouts stay valid across a lineup refresh of the same mux, not across a retune.
    for (const p of [...this.layouts.keys()]) {
      if (!sameRf || !mux.programs.some((m) => m.program === p)) this.layouts.delete(p);
    }
    this.rebuildPat();
    this.vctVersion = (this.vctVersion + 1) & 0x1f;
    this.vct = mux ? this.buildVcts(mux) : [];
  }

  /** Program chosen with `/tunerN/program`: the PAT then lists only it, as a device's program filter does. */
  select(program: number | undefined): void {
    if (program === this.selected) return;
    this.selected = program;
    this.rebuildPat();
  }

  /** The real layout of a program, learnt from its upstream; bumps the PMT version when it changes. */
  setLayout(program: number, layout: PmtLayout): void {
    const cur = this.layouts.get(program);
    if (cur && sameLayout(cur.layout, layout)) return;
    this.layouts.set(program, { layout, version: cur ? (cur.version + 1) & 0x1f : 1 });
  }

  layout(program: number): PmtLayout {
    return this.layouts.get(program)?.layout ?? defaultLayout(program);
  }

  /** PAT and PMTs, plus the VCT when `withVct`, as TS packets with running continuity counters. */
  packets(withVct: boolean): Buffer {
    if (!this.mux || !this.pat) return Buffer.alloc(0);
    const out: Buffer[] = [this.packetise(PAT_PID, this.pat)];
    for (const p of this.listed()) {
      const entry = this.layouts.get(p);
      const layout = entry?.layout ?? defaultLayout(p);
      const pmt = buildPmt({ programNumber: p, version: entry?.version ?? 0, ...layout });
      out.push(this.packetise(slotPids(p).pmtPid, pmt));
    }
    if (withVct) for (const s of this.vct) out.push(this.packetise(VCT_PID, s));
    return Buffer.concat(out);
  }

  private listed(): number[] {
    const all = this.mux?.programs.map((p) => p.program) ?? [];
    return this.selected !== undefined ? all.filter((p) => p === this.selected) : all;
  }

  private rebuildPat(): void {
    if (!this.mux) {
      this.pat = undefined;
      return;
    }
    this.patVersion = (this.patVersion + 1) & 0x1f;
    this.pat = buildPat({
      transportStreamId: this.mux.tsid,
      version: this.patVersion,
      programs: this.listed().map((p) => ({ programNumber: p, pmtPid: slotPids(p).pmtPid })),
    });
  }

  private buildVcts(mux: Mux): Buffer[] {
    const channels: VctChannel[] = mux.programs.map((p) => ({
      name: p.channel.name,
      ...virtualNumber(p.channel.guideNumber),
      modulation: mux.modulation,
      channelTsid: mux.tsid,
      programNumber: p.program,
      sourceId: ((mux.rf << 8) | p.program) & 0xffff,
    }));
    // Both tables: TVHeadend's ATSC-T networks read the TVCT, older ATSC-C ones only the CVCT.
    return ([TABLE_TVCT, TABLE_CVCT] as const).flatMap((tableId) =>
      buildVct({ tableId, transportStreamId: mux.tsid, version: this.vctVersion, channels }),
    );
  }

  private packetise(pid: number, section: Buffer): Buffer {
    const r = sectionToPackets(pid, section, this.cc.get(pid) ?? 0);
    this.cc.set(pid, r.cc);
    return r.packets;
  }
}
