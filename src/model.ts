// Domain model shared by every module. Data flows one way:
//   sources → channels (lineup) → guide / HTTP lineup → tuner sessions → clients.
// Keep this file small: only types that cross module boundaries live here.
import type { EventEmitter } from 'node:events';

/** One playable upstream stream of a channel, as offered by one source. */
export interface StreamCandidate {
  /** Id of the source (file name in tuners/ without `.json`, or `demo`). */
  readonly sourceId: string;
  /** Connection-limiter key: one provider account. Sources sharing an account share its limit. */
  readonly accountKey: string;
  /** URL as the upstream wants it. May embed credentials: never log or display it, use `label`. */
  readonly url: string;
  /** Display form of the URL with credentials masked. */
  readonly label: string;
  /** Extra request headers (User-Agent, Referer, …) for this stream. */
  readonly headers: Readonly<Record<string, string>>;
  /** Source priority (lower is preferred). */
  readonly priority: number;
  /** The provider's own name for this stream. */
  readonly name: string;
  /** Provider stream id (Xtream) or a hash of the stream URL (M3U), stable for overrides. */
  readonly streamId: string;
  /** Higher is better; used to order candidates of one source (quality tags, bandwidth). */
  readonly quality: number;
  /** Upstream kind when known from the URL/config; `auto` sniffs the response. */
  readonly kind: 'ts' | 'hls' | 'auto' | 'loop';
  /** Ask the streaming core to run this stream through the ffmpeg normaliser. */
  readonly normalise?: boolean;
}

/** One lineup channel: what clients see as a GuideNumber. */
export interface Channel {
  /** Merge key (EPG id or normalised name); the channel map is keyed by it. */
  readonly key: string;
  /** Digits with at most one dot; never changes once assigned. */
  readonly guideNumber: string;
  readonly name: string;
  readonly epgId?: string;
  readonly logo?: string;
  readonly group?: string;
  readonly hd: boolean;
  /** Failover order: preferred first. */
  readonly candidates: readonly StreamCandidate[];
}

/** A source's connection limit as the streaming core enforces it. */
export interface SourceLimit {
  readonly sourceId: string;
  readonly name: string;
  readonly accountKey: string;
  /** Effective limit (config ∧ provider's max_connections). */
  readonly maxConnections: number;
  /** Provider-reported values (Xtream), for display. */
  readonly providerMaxConnections?: number;
  readonly providerActiveConnections?: number;
  readonly enabled: boolean;
  readonly status: 'ok' | 'error' | 'disabled' | 'pending';
  readonly error?: string;
  readonly channelCount: number;
  readonly lastRefresh?: string;
}

export interface ScanStatus {
  readonly inProgress: boolean;
  /** 0–100 */
  readonly progress: number;
  readonly found: number;
}

/**
 * The read side of the lineup that HTTP, guide and streaming consume.
 * Emits 'change' after every successful refresh.
 */
export interface Lineup extends EventEmitter {
  /** Enabled channels, sorted by GuideNumber (numeric). */
  channels(): readonly Channel[];
  get(guideNumber: string): Channel | undefined;
  /** Sum of enabled sources' effective limits, capped by settings and by 255. */
  tunerCount(): number;
  sourceLimits(): readonly SourceLimit[];
  scanStatus(): ScanStatus;
  /** Start a refresh of every source (lineup.post?scan=start). Resolves when done. */
  scan(): Promise<void>;
  abortScan(): void;
  /** Where each enabled source's guide comes from, for the guide pipeline. */
  guideInputs(): readonly GuideInput[];
}

/** Where a source's guide comes from. URLs may embed credentials: mask before display. */
export interface GuideInput {
  readonly sourceId: string;
  readonly kind: 'xtream' | 'xmltv';
  /** XMLTV URL: xmltv.php for Xtream, url-tvg / x-tvg-url / epgUrl for M3U (several allowed). */
  readonly xmltvUrls: readonly string[];
  /** Xtream only: player_api.php URL with credentials, for get_short_epg / get_simple_data_table. */
  readonly playerApiUrl?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Minutes added to the provider's programme times (for providers that get time zones wrong). */
  readonly timeShiftMinutes: number;
  readonly priority: number;
}

/** Device identity, persisted once and never changed by a restart. */
export interface DeviceIdentity {
  /** 8 upper-case hex digits with a valid libhdhomerun checksum. */
  readonly deviceId: string;
  /** RFC 4122 UUID (no `uuid:` prefix) for UPnP. */
  readonly uuid: string;
  /** ≤ 24 characters. */
  readonly deviceAuth: string;
}

/** What /discover.json, UDP discovery and device.xml describe. */
export interface DeviceInfo extends DeviceIdentity {
  readonly friendlyName: string;
  readonly modelNumber: string;
  readonly firmwareName: string;
  readonly firmwareVersion: string;
}
