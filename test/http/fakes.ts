import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import type { Channel, GuideInput, Lineup, ScanStatus, SourceLimit } from '../../src/model.js';
import type { AttachResult, Streamer, TunerUse } from '../../src/http/ports.js';

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

export class FakeLineup extends EventEmitter implements Lineup {
  scans = 0;
  aborts = 0;
  scanning: ScanStatus = { inProgress: false, progress: 0, found: 0 };
  constructor(
    public list: Channel[],
    public tuners = 2,
  ) {
    super();
  }
  channels(): readonly Channel[] {
    return this.list;
  }
  get(gn: string): Channel | undefined {
    return this.list.find((c) => c.guideNumber === gn);
  }
  tunerCount(): number {
    return this.tuners;
  }
  sourceLimits(): readonly SourceLimit[] {
    return [];
  }
  scanStatus(): ScanStatus {
    return this.scanning;
  }
  async scan(): Promise<void> {
    this.scans++;
  }
  abortScan(): void {
    this.aborts++;
  }
  guideInputs(): readonly GuideInput[] {
    return [];
  }
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
