// What the HDHomeRun HTTP surface needs from the rest of the service. The streaming core's
// SessionManager satisfies `Streamer` structurally; tests use small fakes.
import type { Writable } from 'node:stream';
import type { Channel, DeviceInfo, Lineup } from '../model.js';

export type AttachResult =
  | { ok: true; tuner: number; done: Promise<void> }
  | { ok: false; status: 404 | 503; code: number; text: string };

export interface TunerUse {
  readonly tuner: number;
  readonly guideNumber: string;
  readonly channelName: string;
  readonly bitrate: number;
  readonly clients: readonly { readonly address: string }[];
}

export interface Streamer {
  attach(
    channel: Channel,
    sink: Writable,
    opts: { tuner?: number; client: string; signal?: AbortSignal },
  ): Promise<AttachResult>;
  /** One row per busy tuner. */
  tunerUse(): readonly TunerUse[];
}

export interface HdhrDeps {
  readonly device: () => DeviceInfo;
  readonly lineup: Lineup;
  readonly streamer: Streamer;
  /** BaseURL for a request that arrived on `localAddress`. */
  readonly baseUrl: (localAddress: string | undefined) => string;
  readonly deviceXml: (baseUrl: string) => string;
  /** XMLTV channel id of a channel (GuideNumber by default). */
  readonly tvgId: (c: Channel) => string;
}
