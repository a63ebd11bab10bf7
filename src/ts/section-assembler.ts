// Reassembles PSI sections of one PID from its packets: pointer_field, sections spanning
// packets, several sections per packet, 0xFF stuffing. A CC gap discards the partial section.
import { ccOf, hasPayload, payloadOffset, pusiOf } from './packet.js';
import { TS_PACKET_SIZE } from './constants.js';

/** Private sections may reach 4096 bytes; anything longer is garbage. */
const MAX_SECTION_BYTES = 4096;

export class SectionAssembler {
  private partial: Buffer | undefined;
  private lastCc = -1;
  /** Payload of the last packet when it started at byte 4 and left no partial section behind. */
  private lastPayload: Buffer | undefined;
  private readonly payloadCopy = Buffer.alloc(TS_PACKET_SIZE - 4);
  /** Sections or fragments thrown away (CC gap, oversized, bad pointer_field). */
  discarded = 0;

  reset(): void {
    this.partial = undefined;
    this.lastCc = -1;
    this.lastPayload = undefined;
  }

  /**
   * True when the packet repeats the previous one's payload byte for byte (sources resend
   * PAT/PMT every ~100 ms) and follows it in CC order: pushing it would only yield the same
   * section(s) again. Its CC is taken as seen. Lets hot paths skip reassembly and parsing.
   */
  repeats(buf: Buffer, off: number): boolean {
    const last = this.lastPayload;
    if (!last || (buf[off + 3]! & 0x30) !== 0x10 || !pusiOf(buf, off)) return false;
    if (last.compare(buf, off + 4, off + TS_PACKET_SIZE) !== 0) return false;
    const cc = ccOf(buf, off);
    if (cc !== this.lastCc && cc !== ((this.lastCc + 1) & 0x0f)) return false;
    this.lastCc = cc;
    return true;
  }

  /** Feed one packet of this PID; returns the sections it completed (copies, owned by the caller). */
  push(buf: Uint8Array, off: number): Buffer[] {
    if (!hasPayload(buf, off)) return [];
    const p = payloadOffset(buf, off);
    if (p < 0) return [];
    const end = off + TS_PACKET_SIZE;
    const cc = ccOf(buf, off);
    if (this.lastCc >= 0) {
      if (cc === this.lastCc) return []; // duplicate packet
      if (cc !== ((this.lastCc + 1) & 0x0f) && this.partial) this.drop();
    }
    this.lastCc = cc;
    const out: Buffer[] = [];
    if (!pusiOf(buf, off)) {
      this.lastPayload = undefined;
      if (this.partial) this.append(buf.subarray(p, end), out);
      return out;
    }
    const pointer = buf[p]!;
    const start = p + 1 + pointer;
    if (start > end) {
      this.drop();
      return out;
    }
    if (this.partial) this.append(buf.subarray(p + 1, start), out);
    if (this.partial) this.drop(); // the previous section should have ended at the pointer
    if (start < end && buf[start] !== 0xff) {
      this.partial = Buffer.alloc(0);
      this.append(buf.subarray(start, end), out);
    }
    this.lastPayload = undefined;
    if (p === off + 4 && !this.partial) {
      this.payloadCopy.set(buf.subarray(p, end));
      this.lastPayload = this.payloadCopy;
    }
    return out;
  }

  private drop(): void {
    this.partial = undefined;
    this.lastPayload = undefined;
    this.discarded++;
  }

  private append(bytes: Uint8Array, out: Buffer[]): void {
    let data = this.partial!.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.partial!, bytes]);
    while (data.length >= 3) {
      if (data[0] === 0xff) {
        this.partial = undefined; // stuffing: no more sections in this packet
        return;
      }
      const total = 3 + (((data[1]! & 0x0f) << 8) | data[2]!);
      if (total > MAX_SECTION_BYTES) {
        this.drop();
        return;
      }
      if (data.length < total) break;
      out.push(data.subarray(0, total)); // `data` is our own copy
      data = data.subarray(total);
    }
    this.partial = data.length > 0 ? data : undefined;
  }
}
