// Opens the right upstream for a candidate: looping clip, HLS (by kind, Content-Type or body),
// or MPEG-TS over HTTP, optionally wrapped in the ffmpeg normaliser. Resolves once the response
// headers are in (and, for `auto`, the first bytes sniffed); on failure every socket is closed
// before the promise rejects, so the caller can release its limiter slot right away.
import type { Readable } from 'node:stream';
import type { StreamCandidate } from '../../model.js';
import { kindFromContentType, sniffBody } from '../sniff.js';
import { FfmpegUpstream } from './ffmpeg.js';
import type { FfmpegProfile } from './ffmpeg-args.js';
import { HlsUpstream, DEFAULT_HLS, type HlsOptions } from './hls.js';
import { HttpConnection, type HttpTimeouts } from './http.js';
import { HttpTsUpstream } from './http-ts.js';
import { UpstreamError, toUpstreamError, type Upstream } from './types.js';

export interface OpenOptions {
  readonly timeouts: HttpTimeouts;
  readonly hls?: HlsOptions;
  readonly signal?: AbortSignal;
  /** Run through ffmpeg with this profile (normalise / transcode). */
  readonly ffmpeg?: { readonly path: string; readonly profile: FfmpegProfile };
  /** Opens `loop` candidates (demo clips, slate); supplied by the session manager. */
  readonly openLoop?: (candidate: StreamCandidate, signal?: AbortSignal) => Promise<Upstream>;
}

export async function openUpstream(c: StreamCandidate, opts: OpenOptions): Promise<Upstream> {
  const inner = await openRaw(c, opts);
  return opts.ffmpeg ? new FfmpegUpstream(inner, opts.ffmpeg.path, opts.ffmpeg.profile) : inner;
}

async function openRaw(c: StreamCandidate, opts: OpenOptions): Promise<Upstream> {
  if (c.kind === 'loop') {
    if (!opts.openLoop) throw new UpstreamError('error', 'no loop source available');
    return opts.openLoop(c, opts.signal);
  }
  const conn = new HttpConnection(opts.timeouts);
  try {
    const res = await conn.get(c.url, c.headers, opts.signal);
    const byType = kindFromContentType(res.contentType);
    if (byType === 'text')
      throw new UpstreamError('not-ts', `answered ${res.contentType.split(';')[0]}, not MPEG-TS`);
    let head: Buffer | undefined;
    let isHls = c.kind === 'hls' || byType === 'hls';
    if (!isHls && c.kind === 'auto') {
      head = await firstChunk(res.body);
      isHls = sniffBody(head) === 'hls';
    }
    if (!isHls) return new HttpTsUpstream(conn, res.body, head);
    const text = Buffer.concat([head ?? Buffer.alloc(0), await readAll(res.body, 4 << 20)]).toString('utf8');
    // fMP4 segments are passed through to ffmpeg set up to read them (or when asked to).
    const base = opts.hls ?? DEFAULT_HLS;
    const hls = { ...base, fmp4: base.fmp4 === true || opts.ffmpeg?.profile.input === 'fmp4' };
    return new HlsUpstream(conn, res.url, c.headers, hls, { url: res.url, text });
  } catch (err) {
    await conn.close();
    throw toUpstreamError(err);
  }
}

/** The first non-empty chunk; the body is left paused mid-stream for the upstream to resume. */
function firstChunk(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      body.off('data', onData).off('end', onEnd).off('error', onError);
      body.pause();
    };
    const onData = (c: Buffer): void => {
      if (c.length === 0) return;
      done();
      resolve(c);
    };
    const onEnd = (): void => {
      done();
      resolve(Buffer.alloc(0));
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    body.on('data', onData).once('end', onEnd).once('error', onError);
  });
}

async function readAll(body: AsyncIterable<Buffer>, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > max) throw new UpstreamError('hls', 'playlist too large');
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
