// Reassembles PSI sections of one PID from its packets: pointer_field, sections spanning
// packets, several sections per packet, 0xFF stuffing. A CC gap discards the partial section.
import { ccOf, hasPayload, payloadOffset, pusiOf } from './packet.js';
import { TS_PACKET_SIZE } from './constants.js';

/** Private sections may reach 4096 bytes; anything longer is garbage. */
const MAX_SECTION_BYTES = 4096;

export class SectionAssembler {
  private partial: Buffer | undefined;
  private lastCc = -1;
  /** Sections or fragments thrown away (CC gap, oversized, bad pointer_field). */
  discarded = 0;

  reset(): void {
    this.partial = undefined;
    this.lastCc = -1;
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
    return out;
  }

  private drop(): void {
    this.partial = undefined;
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
