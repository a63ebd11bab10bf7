// HDHomeRun video datagrams: exactly 7 TS packets (1316 bytes), optionally behind a 12-byte RTP
// header (version 2, payload type 33 = MP2T, 90 kHz timestamp). libhdhomerun counts any other
// size as a network error and drops it, so a partial datagram is padded with null packets.
import { NULL_PID, SYNC, TS_PACKET_SIZE as P } from '../ts/constants.js';

export const PACKETS_PER_DATAGRAM = 7;
export const DATAGRAM_BYTES = PACKETS_PER_DATAGRAM * P;
export const RTP_HEADER_BYTES = 12;
const RTP_PT_MP2T = 33;

export function rtpHeader(sequence: number, timestamp: number, ssrc: number): Buffer {
  const h = Buffer.alloc(RTP_HEADER_BYTES);
  h[0] = 0x80; // version 2, no padding, no extension, no CSRC
  h[1] = RTP_PT_MP2T; // marker 0
  h.writeUInt16BE(sequence & 0xffff, 2);
  h.writeUInt32BE(timestamp >>> 0, 4);
  h.writeUInt32BE(ssrc >>> 0, 8);
  return h;
}

function nullPacket(into: Buffer, off: number): void {
  into.fill(0xff, off, off + P);
  into[off] = SYNC;
  into[off + 1] = (NULL_PID >> 8) & 0x1f;
  into[off + 2] = NULL_PID & 0xff;
  into[off + 3] = 0x10;
}

/** Cuts a 188-aligned packet stream into 1316-byte datagram payloads. */
export class DatagramPacker {
  private partial = Buffer.alloc(DATAGRAM_BYTES);
  private fill = 0;

  /** Whole datagrams completed by `packets` (188-aligned). */
  push(packets: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    if (this.fill > 0) {
      const take = Math.min(DATAGRAM_BYTES - this.fill, packets.length);
      packets.copy(this.partial, this.fill, 0, take);
      this.fill += take;
      pos = take;
      if (this.fill === DATAGRAM_BYTES) out.push(this.takePartial());
    }
    while (packets.length - pos >= DATAGRAM_BYTES) {
      out.push(Buffer.from(packets.subarray(pos, pos + DATAGRAM_BYTES)));
      pos += DATAGRAM_BYTES;
    }
    if (pos < packets.length) {
      packets.copy(this.partial, 0, pos);
      this.fill = packets.length - pos;
    }
    return out;
  }

  /** Packets waiting for a full datagram. */
  get pending(): number {
    return this.fill / P;
  }

  /** The waiting packets padded with null packets to a full datagram, or undefined. */
  flush(): Buffer | undefined {
    if (this.fill === 0) return undefined;
    for (let off = this.fill; off < DATAGRAM_BYTES; off += P) nullPacket(this.partial, off);
    this.fill = DATAGRAM_BYTES;
    return this.takePartial();
  }

  private takePartial(): Buffer {
    const d = this.partial;
    this.partial = Buffer.alloc(DATAGRAM_BYTES);
    this.fill = 0;
    return d;
  }
}
