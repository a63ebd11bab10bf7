// MPEG-TS over HTTP: the response body as an upstream. The first bytes are sniffed so an HTML,
// JSON or text answer with 200 fails at once; end of body is a failure for a live stream.
import type { Readable } from 'node:stream';
import { sniffBody } from '../sniff.js';
import { discard, type HttpConnection } from './http.js';
import { UpstreamError, toUpstreamError, type Upstream, type UpstreamSink } from './types.js';

export class HttpTsUpstream implements Upstream {
  readonly kind = 'ts';
  private done = false;
  private sniffed = false;

  constructor(
    private readonly conn: HttpConnection,
    private readonly body: Readable,
    /** Bytes already read while deciding the upstream kind. */
    private readonly head?: Buffer,
  ) {}

  start(sink: UpstreamSink): void {
    const end = (err: UpstreamError): void => {
      if (this.done) return;
      this.done = true;
      sink.end(err);
    };
    const onData = (chunk: Buffer): void => {
      if (this.done) return;
      if (!this.sniffed) {
        this.sniffed = true;
        if (sniffBody(chunk) === 'text')
          return end(new UpstreamError('not-ts', 'body is text/HTML, not MPEG-TS'));
      }
      sink.data(chunk);
    };
    if (this.head && this.head.length > 0) onData(this.head);
    this.body.on('data', onData);
    this.body.once('end', () => end(new UpstreamError('eof', 'upstream ended the stream')));
    this.body.on('error', (err) => end(toUpstreamError(err)));
    this.body.resume(); // the opener may have paused it after sniffing
  }

  pause(): void {
    this.body.pause();
  }

  resume(): void {
    if (!this.done) this.body.resume();
  }

  async close(): Promise<void> {
    this.done = true;
    discard(this.body);
    await this.conn.close();
  }
}
