// MPEG-TS constants and the fixed output layout every spliced channel uses. The layout matches
// ffmpeg's muxer defaults, which every client we serve sees daily, and never changes mid-stream.

export const TS_PACKET_SIZE = 188;
export const SYNC = 0x47;
export const PAT_PID = 0;
export const NULL_PID = 0x1fff;

/** PTS/DTS/PCR-base wrap (33 bits, 90 kHz ≈ 26.5 h). */
export const TS_WRAP = 2 ** 33;
/** PCR wrap in 27 MHz units (33-bit base × 300). */
export const PCR_WRAP = TS_WRAP * 300;

export const OUTPUT = {
  programNumber: 1,
  pmtPid: 0x1000,
  videoPid: 0x100,
  audioPid: 0x101,
  transportStreamId: 1,
} as const;
