// An upstream run through ffmpeg: the inner upstream's bytes go to ffmpeg's stdin, ffmpeg's
// stdout is our output. Used for sources whose codecs differ from the channel's output, or when
// a source asks for normalisation. close() resolves after both the inner connection and the
// process are gone (SIGTERM, then SIGKILL after a deadline).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { buildFfmpegArgs, parseSpeed, type FfmpegProfile } from './ffmpeg-args.js';
import { UpstreamError, type Upstream, type UpstreamSink } from './types.js';

/** Queued stdin bytes beyond this mean ffmpeg cannot keep up (e.g. a transcode too slow). */
const MAX_STDIN_BACKLOG = 16 << 20;
/**
 * fMP4 HLS arrives unpaced, the start window at once (three 6 s HD fragments can be 20 MB), and
 * ffmpeg reads it at its native rate: the backlog is expected, only a larger one is not.
 */
const MAX_FMP4_BACKLOG = 64 << 20;
const KILL_DEADLINE_MS = 1000;

export class FfmpegUpstream implements Upstream {
  readonly kind: string;
  private proc?: ChildProcessByStdio<Writable, Readable, Readable>;
  private exited?: Promise<void>;
  private sink?: UpstreamSink;
  private done = false;
  private lastError = '';
  /** Latest `speed=` ffmpeg reported (1 = real time). */
  speed?: number;

  constructor(
    private readonly inner: Upstream,
    private readonly ffmpegPath: string,
    private readonly profile: FfmpegProfile,
  ) {
    this.kind = `ffmpeg(${inner.kind},${profile.video}/${profile.audio})`;
  }

  /** The inner HLS upstream's target duration (s), for the validation bound; undefined for others. */
  get targetDuration(): number | undefined {
    return (this.inner as { targetDuration?: number }).targetDuration;
  }

  start(sink: UpstreamSink): void {
    this.sink = sink;
    const proc = spawn(this.ffmpegPath, buildFfmpegArgs(this.profile), {
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
    });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('close', () => resolve()));
    proc.once('error', (err: NodeJS.ErrnoException) =>
      this.fail(
        new UpstreamError('ffmpeg', err.code === 'ENOENT' ? 'ffmpeg not found' : 'ffmpeg failed to start'),
      ),
    );
    proc.once('exit', (code, sig) =>
      this.fail(new UpstreamError('ffmpeg', `ffmpeg exited (${code ?? sig}) ${this.lastError}`.trim())),
    );
    proc.stdout.on('data', (b: Buffer) => {
      if (!this.done) sink.data(b);
    });
    proc.stdin.on('error', () => {}); // EPIPE when ffmpeg dies first; 'exit' reports it
    let pending = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (t: string) => {
      pending += t;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        const s = parseSpeed(line);
        if (s !== undefined) this.speed = s;
        else if (line && !/^[a-z_]+=/.test(line)) this.lastError = line.slice(0, 200);
      }
    });
    const maxBacklog = this.profile.input === 'fmp4' ? MAX_FMP4_BACKLOG : MAX_STDIN_BACKLOG;
    this.inner.start({
      data: (b) => {
        if (this.done) return;
        proc.stdin.write(b);
        if (proc.stdin.writableLength > maxBacklog) this.fail(new UpstreamError('ffmpeg', 'ffmpeg too slow'));
      },
      splice: () => {}, // ffmpeg absorbs input timestamp jumps itself
      end: (err) => {
        if (err) this.fail(err);
        else proc.stdin.end();
      },
    });
  }

  pause(): void {
    this.proc?.stdout.pause();
  }

  resume(): void {
    this.proc?.stdout.resume();
  }

  private fail(err: UpstreamError): void {
    if (this.done) return;
    this.done = true;
    this.sink?.end(err);
  }

  async close(): Promise<void> {
    this.done = true;
    const proc = this.proc;
    const innerClosed = this.inner.close();
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.stdin.destroy();
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), KILL_DEADLINE_MS);
      await this.exited;
      clearTimeout(t);
    }
    await innerClosed;
  }
}
