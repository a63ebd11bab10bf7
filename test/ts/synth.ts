// Synthetic TS packets for unit tests: enough structure for PSI/PCR/PES logic, fake ES bytes.
import { buildPat, buildPmt, sectionToPackets, type PmtStreamSpec } from '../../src/ts/psi.js';
import { encodeTimestamp } from '../../src/ts/pes.js';
import { writePcrAt } from '../../src/ts/packet.js';

export interface PesOpts {
  pusi?: boolean;
  pts?: number;
  dts?: number;
  /** 27 MHz */
  pcr?: number;
  rai?: boolean;
  streamId?: number;
  /** ES bytes right after the PES header (e.g. NAL units). */
  es?: Buffer;
  /** Adaptation field only, no payload. */
  afOnly?: boolean;
}

export function tsPacket(pid: number, cc: number, o: PesOpts = {}): Buffer {
  const p = Buffer.alloc(188, 0xff);
  p[0] = 0x47;
  p[1] = (o.pusi ? 0x40 : 0) | (pid >> 8);
  p[2] = pid & 0xff;
  const needAf = o.pcr !== undefined || o.rai || o.afOnly;
  let w = 4;
  if (needAf) {
    const afLen = o.afOnly ? 183 : o.pcr !== undefined ? 7 : 1;
    p[3] = (o.afOnly ? 0x20 : 0x30) | (cc & 15);
    p[4] = afLen;
    p[5] = (o.rai ? 0x40 : 0) | (o.pcr !== undefined ? 0x10 : 0);
    if (o.pcr !== undefined) writePcrAt(p, 6, o.pcr);
    w = 5 + afLen;
  } else {
    p[3] = 0x10 | (cc & 15);
  }
  if (o.afOnly) return p;
  if (o.pusi) {
    const hasDts = o.dts !== undefined;
    const hdr = Buffer.alloc(9 + (o.pts !== undefined ? (hasDts ? 10 : 5) : 0));
    hdr.set([
      0,
      0,
      1,
      o.streamId ?? 0xe0,
      0,
      0,
      0x80,
      o.pts === undefined ? 0 : hasDts ? 0xc0 : 0x80,
      hdr.length - 9,
    ]);
    if (o.pts !== undefined) encodeTimestamp(hdr, 9, o.pts, hasDts ? 3 : 2);
    if (hasDts) encodeTimestamp(hdr, 14, o.dts!, 1);
    hdr.copy(p, w);
    w += hdr.length;
  }
  if (o.es) o.es.copy(p, w, 0, Math.min(o.es.length, 188 - w));
  return p;
}

export function psiPackets(opts: {
  pmtPid: number;
  programNumber?: number;
  pcrPid: number;
  streams: PmtStreamSpec[];
  cc?: number;
  version?: number;
}): Buffer {
  const prog = opts.programNumber ?? 1;
  const pat = sectionToPackets(
    0,
    buildPat({ transportStreamId: 1, programs: [{ programNumber: prog, pmtPid: opts.pmtPid }] }),
    opts.cc ?? 0,
  );
  const pmt = sectionToPackets(
    opts.pmtPid,
    buildPmt({ programNumber: prog, pcrPid: opts.pcrPid, streams: opts.streams, version: opts.version ?? 0 }),
    opts.cc ?? 0,
  );
  return Buffer.concat([pat.packets, pmt.packets]);
}

export const H264_IDR_ES = Buffer.from('00000001091000000001674d401e0000000168ee3c80000001658884', 'hex');
export const H264_P_ES = Buffer.from('00000001093000000001419a', 'hex');

/**
 * A simple stream: PSI then `frames` video frames (1 packet each, PCR on every frame, keyframe
 * every `gop`) interleaved with one audio packet per frame. 25 fps, timestamps from `t0` (90 kHz);
 * DTS is `pcrLead` (default 9000, 100 ms) ahead of the PCR.
 */
export function synthStream(o: {
  frames: number;
  gop?: number;
  t0?: number;
  videoPid?: number;
  audioPid?: number;
  pmtPid?: number;
  rai?: boolean;
  ccStart?: number;
  pcrLead?: number;
}): Buffer {
  const v = o.videoPid ?? 0x100;
  const a = o.audioPid ?? 0x101;
  const gop = o.gop ?? 25;
  const t0 = o.t0 ?? 900_000;
  const out: Buffer[] = [];
  const cc0 = o.ccStart ?? 0;
  for (let f = 0; f < o.frames; f++) {
    if (f % gop === 0)
      out.push(
        psiPackets({
          pmtPid: o.pmtPid ?? 0x1000,
          pcrPid: v,
          streams: [
            { streamType: 0x1b, pid: v },
            { streamType: 0x0f, pid: a },
          ],
          cc: cc0 + f / gop,
        }),
      );
    const dts = t0 + f * 3600;
    const key = f % gop === 0;
    out.push(
      tsPacket(v, cc0 + f, {
        pusi: true,
        pts: dts + 7200,
        dts,
        pcr: (dts - (o.pcrLead ?? 9000)) * 300,
        rai: key && o.rai !== false,
        es: key ? H264_IDR_ES : H264_P_ES,
      }),
    );
    out.push(tsPacket(a, cc0 + f, { pusi: true, pts: dts + 7200, streamId: 0xc0 }));
  }
  return Buffer.concat(out);
}
