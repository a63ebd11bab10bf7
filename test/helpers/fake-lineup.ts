// A Lineup stand-in shared by the HTTP, native-tuning, guide and interop tests: a fixed channel list
// that `set` replaces (emitting 'change', like the real service), and counters for scan requests.
import { EventEmitter } from 'node:events';
import type { Channel, GuideInput, Lineup, ScanStatus, SourceLimit } from '../../src/model.js';

export interface FakeLineupOptions {
  /** Default 2. */
  readonly tuners?: number;
  /** Guide inputs the sources offer. */
  readonly inputs?: GuideInput[];
}

export class FakeLineup extends EventEmitter implements Lineup {
  tuners: number;
  inputs: GuideInput[];
  scans = 0;
  aborts = 0;
  /** What `scanStatus` reports; unset: a finished scan that found every channel. */
  scanning: ScanStatus | undefined;

  constructor(
    public list: Channel[] = [],
    opts: FakeLineupOptions = {},
  ) {
    super();
    this.tuners = opts.tuners ?? 2;
    this.inputs = opts.inputs ?? [];
  }

  /** Replace the channels (and optionally the guide inputs) and emit 'change'. */
  set(list: Channel[], inputs: GuideInput[] = this.inputs): void {
    this.list = list;
    this.inputs = inputs;
    this.emit('change');
  }

  channels(): readonly Channel[] {
    return this.list;
  }
  get(guideNumber: string): Channel | undefined {
    return this.list.find((c) => c.guideNumber === guideNumber);
  }
  tunerCount(): number {
    return this.tuners;
  }
  sourceLimits(): readonly SourceLimit[] {
    return [];
  }
  scanStatus(): ScanStatus {
    return this.scanning ?? { inProgress: false, progress: 100, found: this.list.length };
  }
  async scan(): Promise<void> {
    this.scans++;
  }
  abortScan(): void {
    this.aborts++;
  }
  guideInputs(): readonly GuideInput[] {
    return this.inputs;
  }
}
