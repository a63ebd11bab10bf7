// Typed argument builder for the per-source ffmpeg normaliser. Pure: profile in, argv out, so it
// is unit-tested byte for byte and never goes through a shell. Input is always our own pipe
// (we fetch, follow redirects and count connections ourselves): MPEG-TS, or the fragmented MP4 of
// an fMP4 HLS stream; output is MPEG-TS on stdout in the fixed layout the splicer expects.

export interface FfmpegProfile {
  /** 'copy' remuxes; 'h264' transcodes (libx264, low latency). */
  readonly video: 'copy' | 'h264';
  /** 'copy' keeps the audio; 'aac' transcodes to stereo 48 kHz AAC. */
  readonly audio: 'copy' | 'aac';
  /** Scale to this height when transcoding video (width keeps the aspect ratio). */
  readonly height?: number;
  readonly videoKbps?: number;
  readonly audioKbps?: number;
  /** Probe budget: small values start output fast (0.28 s vs ~5 s with defaults). */
  readonly probeSize?: number;
  readonly analyzeDurationUs?: number;
  /** GOP length in frames when transcoding (fast random access for joins and splices). */
  readonly gop?: number;
  /**
   * 'fmp4': the input is fragmented MP4 (init segment, then fragments) that arrives faster than
   * real time, so ffmpeg reads it at its native rate (-re); MPEG-TS input is paced by us.
   */
  readonly input?: 'ts' | 'fmp4';
}

export const REMUX: FfmpegProfile = { video: 'copy', audio: 'copy' };

export function buildFfmpegArgs(p: FfmpegProfile): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-progress', 'pipe:2'];
  args.push(
    '-probesize',
    String(p.probeSize ?? 32_768),
    '-analyzeduration',
    String(p.analyzeDurationUs ?? 500_000),
  );
  // No -copyts: ffmpeg folds large input jumps into its own offset; we rebase after it anyway.
  if (p.input === 'fmp4') args.push('-re');
  args.push('-fflags', '+genpts+discardcorrupt+igndts', '-i', 'pipe:0');
  args.push('-map', '0:v:0', '-map', '0:a:0?');
  if (p.video === 'copy') {
    args.push('-c:v', 'copy');
  } else {
    args.push('-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p');
    args.push('-g', String(p.gop ?? 50), '-bf', '0');
    if (p.height) args.push('-vf', `scale=-2:${Math.round(p.height)}`);
    if (p.videoKbps)
      args.push(
        '-b:v',
        `${Math.round(p.videoKbps)}k`,
        '-maxrate',
        `${Math.round(p.videoKbps)}k`,
        '-bufsize',
        `${Math.round(p.videoKbps * 2)}k`,
      );
  }
  if (p.audio === 'copy') args.push('-c:a', 'copy');
  else args.push('-c:a', 'aac', '-ac', '2', '-ar', '48000', '-b:a', `${Math.round(p.audioKbps ?? 128)}k`);
  args.push('-muxdelay', '0', '-muxpreload', '0');
  args.push('-mpegts_service_id', '1', '-mpegts_pmt_start_pid', '0x1000', '-mpegts_start_pid', '0x100');
  args.push('-f', 'mpegts', 'pipe:1');
  return args;
}

/** `speed=1.02x` from a -progress or stats line; undefined when the line has none. */
export function parseSpeed(line: string): number | undefined {
  const m = /speed=\s*([\d.]+)x/.exec(line);
  return m ? Number(m[1]) : undefined;
}
