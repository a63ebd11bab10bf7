import type { Writable } from 'node:stream';
import type { Channel } from '../../src/model.js';
import type { AttachResult, Streamer, TunerUse } from '../../src/http/ports.js';

export { FakeLineup } from '../helpers/fake-lineup.js';

export function channel(guideNumber: string, name: string, extra: Partial<Channel> = {}): Channel {
  return {
    key: name.toLowerCase(),
    guideNumber,
    name,
    hd: false,
    candidates: [
      {
        sourceId: 'acme',
        accountKey: 'acme',
        url: `http://panel.invalid/live/secretuser/secretpass/${guideNumber}.ts`,
        label: `http://panel.invalid/live/***/***/${guideNumber}.ts`,
        headers: {},
        priority: 0,
        name,
        streamId: guideNumber,
        quality: 0,
        kind: 'ts',
      },
    ],
    ...extra,
  };
}

/** Streams `bytes` then ends, or refuses with `refuse`. Records attach options. */
export class FakeStreamer implements Streamer {
  calls: { guideNumber: string; tuner?: number; client: string }[] = [];
  refuse: Extract<AttachResult, { ok: false }> | undefined;
  bytes = Buffer.alloc(188 * 10, 0x47);
  busy: TunerUse[] = [];
  async attach(
    channel: Channel,
    sink: Writable,
    opts: { tuner?: number; client: string; signal?: AbortSignal },
  ): Promise<AttachResult> {
    this.calls.push({ guideNumber: channel.guideNumber, tuner: opts.tuner, client: opts.client });
    if (this.refuse) return this.refuse;
    sink.write(this.bytes);
    const done = new Promise<void>((resolve) => {
      if (opts.signal) opts.signal.addEventListener('abort', () => resolve(), { once: true });
      setTimeout(resolve, 20);
    });
    return { ok: true, tuner: opts.tuner ?? 0, done };
  }
  tunerUse(): readonly TunerUse[] {
    return this.busy;
  }
}
