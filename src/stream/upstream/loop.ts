// A looping clip as an upstream: demo channels (`demo:<id>`) and the slates. No network, so
// close() only has to wait for the Readable to be destroyed.
import type { Readable } from 'node:stream';
import type { TsClip } from '../../media/clip.js';
import { createLoopStream } from '../../media/loop-source.js';
import { UpstreamError, type Upstream, type UpstreamSink } from './types.js';

export class LoopUpstream implements Upstream {
  readonly kind = 'loop';
  private readonly stream: Readable;
  private done = false;

  constructor(clip: TsClip, opts: { startAtMs?: number } = {}) {
    this.stream = createLoopStream(clip, { realtime: true, startAtMs: opts.startAtMs });
  }

  start(sink: UpstreamSink): void {
    this.stream.on('data', (b: Buffer) => {
      if (!this.done) sink.data(b);
    });
    this.stream.on('error', (err: Error) => {
      if (this.done) return;
      this.done = true;
      sink.end(new UpstreamError('error', `clip source failed: ${err.message}`));
    });
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  async close(): Promise<void> {
    this.done = true;
    if (this.stream.closed) return;
    const closed = new Promise<void>((r) => this.stream.once('close', () => r()));
    this.stream.destroy();
    await closed;
  }
}
