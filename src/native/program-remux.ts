// Moves one session's output program into its slot of a virtual mux: reads the session's PAT and
// PMT, renumbers its elementary streams onto the slot's PIDs and drops everything else (its PAT,
// PMT, SDT, nulls) because the mux carousel sends the mux's own PSI. The slot's PMT layout is
// reported through `onLayout` whenever the session's PMT changes (a failover to another codec set).
import { PAT_PID, SYNC, TS_PACKET_SIZE as P } from '../ts/constants.js';
import { pidOf, setPid } from '../ts/packet.js';
import { parsePat, parsePmt } from '../ts/psi.js';
import { SectionAssembler } from '../ts/section-assembler.js';
import { SLOT_PIDS, type PmtLayout } from './mux-psi.js';

export class ProgramRemux {
  /** Source PID → slot PID, or -1 to drop. */
  private readonly map = new Int16Array(0x2000).fill(-1);
  private readonly patAsm = new SectionAssembler();
  private pmtAsm = new SectionAssembler();
  private pmtPid = -1;
  private lastPmt: Buffer | undefined;
  private rest: Buffer = Buffer.alloc(0);

  constructor(
    private readonly esBase: number,
    private readonly onLayout: (layout: PmtLayout) => void,
  ) {}

  /** Session bytes in (any alignment), remapped ES packets out (a fresh buffer; input is shared). */
  push(chunk: Buffer): Buffer {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const whole = buf.length - (buf.length % P);
    this.rest = whole < buf.length ? Buffer.from(buf.subarray(whole)) : Buffer.alloc(0);
    const out = Buffer.allocUnsafe(whole);
    let n = 0;
    for (let off = 0; off < whole; off += P) {
      if (buf[off] !== SYNC) continue;
      const pid = pidOf(buf, off);
      if (pid === PAT_PID) this.onPat(buf, off);
      else if (pid === this.pmtPid) this.onPmt(buf, off);
      const to = this.map[pid]!;
      if (to < 0) continue;
      buf.copy(out, n, off, off + P);
      setPid(out, n, to);
      n += P;
    }
    return out.subarray(0, n);
  }

  private onPat(buf: Buffer, off: number): void {
    for (const s of this.patAsm.push(buf, off)) {
      const pat = parsePat(s);
      const first = pat.ok ? pat.value.programs[0] : undefined;
      if (!first || first.pmtPid === this.pmtPid) continue;
      this.pmtPid = first.pmtPid;
      this.pmtAsm = new SectionAssembler();
      this.lastPmt = undefined;
    }
  }

  private onPmt(buf: Buffer, off: number): void {
    for (const s of this.pmtAsm.push(buf, off)) {
      if (this.lastPmt && s.equals(this.lastPmt)) continue;
      const pmt = parsePmt(s);
      if (!pmt.ok) continue;
      this.lastPmt = s;
      this.map.fill(-1);
      const streams = pmt.value.streams.slice(0, SLOT_PIDS - 1).map((st, i) => {
        this.map[st.pid] = this.esBase + i;
        return { streamType: st.streamType, pid: this.esBase + i, descriptors: st.descriptors };
      });
      // A PCR on a PID of its own keeps it, on the slot's last PID.
      let pcrPid = this.map[pmt.value.pcrPid]!;
      if (pcrPid < 0 && pmt.value.pcrPid !== 0x1fff) {
        pcrPid = this.esBase + SLOT_PIDS - 1;
        this.map[pmt.value.pcrPid] = pcrPid;
      }
      this.onLayout({ pcrPid: pcrPid < 0 ? 0x1fff : pcrPid, streams });
    }
  }
}
