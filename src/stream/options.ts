// Streaming settings (the `streaming` section of the config reference).

export interface StreamingOptions {
  /** Keep a session (and its upstream) open this long after its last client left (ms). */
  lingerMs: number;
  /** No bytes (or no PCR progress) from the live source for this long → failover (ms). */
  stallMs: number;
  /** A new source must show PAT, PMT, PCR and a keyframe within this (ms; HLS adds a target duration). */
  validateTimeoutMs: number;
  /** Gap after which the "channel unavailable" slate replaces null/PSI keepalive (ms). */
  slateAfterMs: number;
  /** With every source failed, keep the slate this long while retrying, then end the stream (ms). */
  allSourcesFailedHoldMs: number;
  /** No free tuner/slot: HTTP 503 (805 All Tuners In Use) or a short "all tuners in use" slate. */
  busyResponse: '503' | 'slate';
  /** Interval between recovery probes of a better source while on a fallback (ms). */
  probeIntervalMs: number;
  /** A recovered source must stay healthy this long before we switch back to it (ms). */
  switchBackStableMs: number;
  /** Anti-flap: at most one switch-back per this interval per channel (ms). */
  minSwitchBackIntervalMs: number;
  /** Ring buffer length per channel (s): how far behind a client may fall before it is skipped. */
  ringSeconds: number;
  /** A client this far behind live skips to the newest keyframe (ms). */
  maxLagMs: number;
  /** Fail over to lower-priority sources automatically (false: preferred source or slate only). */
  autoFallback: boolean;
  /** ffmpeg binary for the normaliser; empty disables normalisation (incompatible sources are skipped). */
  ffmpegPath: string;
  /** Slate resolution to pick (576, 720, 1080) and the transcode height. */
  slateHeight: number;
}

export const DEFAULT_STREAMING: StreamingOptions = {
  lingerMs: 5000,
  stallMs: 2500,
  validateTimeoutMs: 3000,
  slateAfterMs: 1500,
  allSourcesFailedHoldMs: 120_000,
  busyResponse: '503',
  probeIntervalMs: 30_000,
  switchBackStableMs: 10_000,
  minSwitchBackIntervalMs: 60_000,
  ringSeconds: 10,
  maxLagMs: 8000,
  autoFallback: true,
  ffmpegPath: 'ffmpeg',
  slateHeight: 720,
};
