// Random-access detection at the start of a video PES: the adaptation field's
// random_access_indicator, or the first NAL units of the payload (H.264 IDR, HEVC IRAP, MPEG-2
// sequence header). Only the PES's first packet is looked at, so the decision is made before
// that packet is forwarded (the splicer must emit PAT/PMT in front of it).
import { TS_PACKET_SIZE } from './constants.js';
import { isRandomAccess, payloadOffset, pusiOf } from './packet.js';
import { pesPayloadIndex } from './pes.js';
import { parseH264Sps } from './h264-sps.js';

/**
 * True when the packet at `off` starts a video PES that a decoder can start from.
 * `codec` is the PMT classification (h264, hevc, mpeg2, …).
 */
export function isVideoRap(buf: Uint8Array, off: number, codec: string): boolean {
  if (!pusiOf(buf, off)) return false;
  if (isRandomAccess(buf, off)) return true;
  const p = payloadOffset(buf, off);
  if (p < 0) return false;
  const end = off + TS_PACKET_SIZE;
  const es = pesPayloadIndex(buf, p, end);
  if (es < 0) return false;
  return scanNals(buf, es, end, codec);
}

/**
 * Walk start codes in [i, end). H.264: IDR (5) → yes, other slice (1) → no, SPS (7) seen and the
 * packet ends before any slice → yes (encoders put SPS/PPS only in front of keyframes, and x264's
 * SEI often pushes the IDR NAL into a later packet). HEVC likewise with IRAP 16–21 and VPS/SPS.
 */
function scanNals(buf: Uint8Array, i: number, end: number, codec: string): boolean {
  let zeros = 0;
  let sawParams = false;
  for (; i < end; i++) {
    const b = buf[i]!;
    if (b === 0) {
      zeros++;
      continue;
    }
    if (b === 1 && zeros >= 2 && i + 1 < end) {
      const h = buf[i + 1]!;
      if (codec === 'h264') {
        const t = h & 0x1f;
        if (t === 5) return true;
        if (t === 1) return false;
        if (t === 7) sawParams = true;
      } else if (codec === 'hevc') {
        const t = (h >> 1) & 0x3f;
        if (t >= 16 && t <= 21) return true;
        if (t < 16) return false;
        if (t === 32 || t === 33) sawParams = true;
      } else if (codec === 'mpeg2' || codec === 'mpeg1') {
        if (h === 0xb3) return true; // sequence_header_code
        if (h === 0x00) return false; // picture_start_code before any sequence header
      } else {
        return false;
      }
    }
    zeros = 0;
  }
  return sawParams;
}

/**
 * Picture size from an H.264 SPS inside the ES bytes of this (PES-start) packet, when the SPS
 * fits in the packet (it does for ffmpeg/x264 and most broadcast encoders).
 */
export function videoSizeAt(
  buf: Uint8Array,
  off: number,
  codec: string,
): { width: number; height: number } | undefined {
  if (codec !== 'h264' || !pusiOf(buf, off)) return undefined;
  const p = payloadOffset(buf, off);
  if (p < 0) return undefined;
  const end = off + TS_PACKET_SIZE;
  const es = pesPayloadIndex(buf, p, end);
  if (es < 0) return undefined;
  let zeros = 0;
  for (let i = es; i < end; i++) {
    const b = buf[i]!;
    if (b === 0) {
      zeros++;
      continue;
    }
    if (b === 1 && zeros >= 2 && i + 1 < end && (buf[i + 1]! & 0x1f) === 7) {
      // The SPS runs to the next start code (00 00 01) or the end of the packet.
      let j = i + 1;
      while (j + 2 < end && !(buf[j] === 0 && buf[j + 1] === 0 && buf[j + 2] === 1)) j++;
      return parseH264Sps(buf.subarray(i + 1, j + 2 < end ? j : end));
    }
    zeros = 0;
  }
  return undefined;
}
