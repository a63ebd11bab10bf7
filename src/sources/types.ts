// What a source yields on a refresh, before channels are merged across sources.

/** One upstream stream as a source offers it. */
export interface SourceEntry {
  /** Stable id within the source: Xtream stream_id, or a hash of the M3U URL. */
  readonly streamId: string;
  readonly name: string;
  /** May embed credentials: never log it. */
  readonly url: string;
  readonly epgId?: string;
  readonly logo?: string;
  readonly group?: string;
  /** The provider's channel number (tvg-chno / channel-number / num), used only when asked. */
  readonly number?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly kind: 'ts' | 'hls' | 'auto' | 'loop';
  /** HLS variant bandwidth when known. */
  readonly bandwidth?: number;
}

/** Account facts a provider reports (Xtream user_info). */
export interface ProviderInfo {
  readonly maxConnections?: number;
  readonly activeConnections?: number;
  readonly status?: string;
  /** ISO time, or undefined for "never". */
  readonly expires?: string;
  readonly allowedFormats?: readonly string[];
  readonly message?: string;
}

/** The result of refreshing one source. */
export interface SourceSnapshot {
  readonly entries: readonly SourceEntry[];
  /** Guide URLs the source announced (M3U url-tvg / x-tvg-url). */
  readonly tvgUrls: readonly string[];
  /** EPG time shift the playlist announced (tvg-shift), minutes. */
  readonly timeShiftMinutes?: number;
  readonly provider?: ProviderInfo;
  /** Entries dropped (unsupported, filtered, malformed), for status display. */
  readonly skipped: number;
  /** First few parser/provider warnings, credential-free. */
  readonly warnings: readonly string[];
}

/** How far a running refresh is, for lineup_status.json. */
export interface RefreshProgress {
  /** Entries read so far. */
  readonly entries: number;
  /** 0–1, from bytes read against the announced size, or from the phase. */
  readonly fraction: number;
}

/** A refresh that failed, with a message naming the source and the problem. */
export class SourceError extends Error {
  constructor(
    message: string,
    /** `auth` failures must not be retried quickly (panels ban IPs after repeated failures). */
    readonly kind: 'auth' | 'provider' | 'network' | 'timeout' | 'format' | 'empty' | 'config',
    readonly status?: number,
    /** Finer reason, e.g. `expired`, `banned`, `html`, `over-limit`, `user-agent`. */
    readonly code?: string,
    /** Start of the provider's answer (credential-free), for diagnostics. */
    readonly excerpt?: string,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}
