// What the session sees of any upstream (HTTP TS, HLS, looping clip, ffmpeg): a push source of
// raw TS bytes with in-band splice markers, and a close() that resolves only once every
// connection it opened has really closed (so the limiter slot can be given back).

export interface UpstreamSink {
  data(chunk: Buffer): void;
  /** The bytes that follow start a new timeline (HLS discontinuity, sequence jump). */
  splice(reason: string): void;
  /** The upstream ended: `err` undefined means a clean end of stream. Called at most once. */
  end(err?: UpstreamError): void;
}

export interface Upstream {
  /** 'ts' | 'hls' | 'loop' | 'ffmpeg(…)' — for logs and session info. */
  readonly kind: string;
  /** Begin delivering to `sink`. Called once. */
  start(sink: UpstreamSink): void;
  /**
   * Flow control: every client is pushing back, stop reading for now (TCP pushes back on the
   * provider). Optional: paced upstreams (HLS) ignore it.
   */
  pause?(): void;
  resume?(): void;
  /** Stop all I/O. Resolves when every socket/process is gone. Idempotent. */
  close(): Promise<void>;
}

/** Failure reasons a user can act on; `code` is what switch logs show. */
export type UpstreamErrorCode =
  | 'refused'
  | 'timeout'
  | 'http-status'
  | 'not-ts'
  | 'eof'
  | 'reset'
  | 'stall'
  | 'hls'
  /** HLS with fMP4 (CMAF) segments: read through the ffmpeg normaliser. */
  | 'fmp4'
  | 'ffmpeg'
  | 'aborted'
  | 'error';

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** Map a socket/undici error to an UpstreamError without leaking URLs (messages may contain them). */
export function toUpstreamError(err: unknown): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { code?: string; name?: string };
  switch (e?.code) {
    case 'ECONNREFUSED':
      return new UpstreamError('refused', 'connection refused');
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return new UpstreamError('reset', 'connection reset');
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new UpstreamError('timeout', 'no response in time');
    case 'UND_ERR_BODY_TIMEOUT':
      return new UpstreamError('stall', 'body stalled');
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return new UpstreamError('aborted', 'aborted');
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return new UpstreamError('eof', 'body shorter than announced');
    default:
      if (e?.name === 'AbortError') return new UpstreamError('aborted', 'aborted');
      return new UpstreamError('error', e?.code ? `network error ${e.code}` : 'network error');
  }
}
