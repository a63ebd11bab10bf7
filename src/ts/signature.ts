// What must match for two sources to be spliced without a codec change: ffmpeg-based clients
// keep the first codec parameters they saw (stream-pipeline.md §1.2), so a mismatch means the
// caller must normalise that source or skip it.
import type { AnalyzerState } from './analyzer.js';

export interface CodecSignature {
  readonly video: string;
  /** Absent when the source has no audio. */
  readonly audio?: string;
  /** Known for H.264 when the SPS was seen. */
  readonly width?: number;
  readonly height?: number;
}

/** The signature of an analysed source, once its PMT (and ideally a RAP) has been seen. */
export function signatureOf(state: AnalyzerState): CodecSignature | undefined {
  if (!state.videoCodec) return undefined;
  return { video: state.videoCodec, audio: state.audioCodec, ...state.videoSize };
}

/** Same codecs and, where both sides know it, the same picture size. */
export function signaturesCompatible(a: CodecSignature, b: CodecSignature): boolean {
  if (a.video !== b.video || a.audio !== b.audio) return false;
  if (a.width !== undefined && b.width !== undefined && (a.width !== b.width || a.height !== b.height))
    return false;
  return true;
}
