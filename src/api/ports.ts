// What the admin API, UI, metrics and pollers need from the rest of the service. Every port is a
// narrow structural subset of a real service (LineupService, SessionManager, GuideService, settings,
// logRing) so the lead wires the real objects directly; tests use small in-memory fakes.
// Shapes the other modules had not fixed yet are typed loosely (optional fields) and sanitised on the way out.
import type { Channel, DeviceInfo, ScanStatus, SourceLimit } from '../model.js';
import type { LogEntry } from '../log.js';
import type { EventBus } from '../events/bus.js';

/** Anything with Node's `on` (EventEmitter): used to bridge service events onto the bus. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own listener type
export type AnyListener = (...args: any[]) => void;
export interface Emitter {
  on(event: string, listener: AnyListener): unknown;
  off?(event: string, listener: AnyListener): unknown;
}

// ---- streaming (SessionManager) ----

export interface ClientView {
  readonly id?: string;
  readonly address?: string;
  readonly since?: string | number;
  readonly joinedAt?: string | number;
  readonly bytesOut?: number;
  readonly lagMs?: number;
  readonly drops?: number;
  readonly userAgent?: string;
}

export interface SwitchRecord {
  readonly guideNumber?: string;
  readonly from?: string;
  readonly to?: string;
  readonly reason?: string;
  readonly gapMs?: number;
  readonly at?: string | number;
  /** Source ids of `from` / `to` (which are candidate labels), filled in by the API. */
  readonly fromSource?: string;
  readonly toSource?: string;
}

/** One live tuner session. Only these fields are ever returned by the API (never candidate URLs). */
export interface SessionView {
  readonly guideNumber: string;
  readonly channelName?: string;
  /** Channel name (SessionManager's field name). */
  readonly channel?: string;
  readonly tuner?: number;
  /** Id of the source currently feeding the session. */
  readonly sourceId?: string;
  readonly startedAt?: string | number;
  /** Bits per second, recent average. */
  readonly bitrate?: number;
  readonly bytesIn?: number;
  readonly bytesOut?: number;
  readonly clients?: readonly ClientView[];
  readonly switches?: readonly SwitchRecord[];
}

export type TunersInUse = number | ReadonlyMap<string, number> | Readonly<Record<string, number>>;

export interface SessionsPort extends Emitter {
  sessions(): readonly SessionView[];
  tunersInUse(): TunersInUse;
  kill(guideNumber: string): unknown;
  forceSwitch(guideNumber: string, toSourceId?: string): unknown;
  setManualFallback(on: boolean): unknown;
  setAutoFallback(on: boolean): unknown;
  /** e.g. { manual: boolean, auto: boolean }; returned as-is (sanitised). */
  fallbackState(): object;
}

// ---- lineup / sources (LineupService) ----

/** A lineup channel as the admin sees it, including disabled ones. */
export interface ChannelRecord extends Channel {
  readonly disabled?: boolean;
  readonly enabled?: boolean;
}

/**
 * Override patch passed to `LineupService.setOverride`. Candidate ids are `<sourceId>:<streamId>`
 * (see `candidateId`), the same ids `splitChannel` receives.
 */
export interface OverridePatch {
  guideNumber?: string;
  name?: string;
  disabled?: boolean;
  candidateOrder?: string[];
}

export interface LineupPort {
  channels(): readonly Channel[];
  allChannels(): readonly ChannelRecord[];
  tunerCount(): number;
  sourceLimits(): readonly SourceLimit[];
  scanStatus(): ScanStatus;
  scan(): Promise<void>;
  setOverride(key: string, patch: OverridePatch): unknown;
  clearOverride(key: string): unknown;
  mergeChannels(keys: string[]): unknown;
  splitChannel(key: string, candidateIds: string[]): unknown;
  refreshSource(id: string): unknown;
  /**
   * Re-read the definitions directory now, refreshing new or changed sources. Called after the API writes
   * a definition, so the source is known (and read) without waiting for the file watcher.
   */
  reload?(): Promise<unknown>;
  /** Authenticates against the provider; resolves to what it reports (limits, expiry…). */
  testSource(def: object): Promise<unknown>;
}

/** Reads and writes source definitions (tuners/<id>.json). See `createFileSourceStore`. */
export interface SourceStorePort {
  list(): Promise<readonly { readonly id: string; readonly definition: Record<string, unknown> }[]>;
  get(id: string): Promise<Record<string, unknown> | undefined>;
  /** Validates first (throws an error with `field`), then replaces the file atomically. */
  put(id: string, definition: Record<string, unknown>): Promise<Record<string, unknown>>;
  remove(id: string): Promise<boolean>;
}

// ---- guide (GuideService) ----

/** Counts of the current (or last) guide refresh, as GuideService reports them. */
export interface GuideCounts {
  readonly bytes?: number;
  readonly programmes?: number;
  readonly channelsMatched?: number;
  readonly channelsTotal?: number;
}

/** GuideService.status(), loosely: any of these fields may be present; see `guideSummary`. */
export interface GuideStatus {
  /** 'idle' | 'refreshing' */
  readonly state?: string;
  readonly inProgress?: boolean;
  /** 0–100, or the refresh's running counts. */
  readonly progress?: number | GuideCounts;
  readonly lastRefresh?: string | number | null;
  readonly channels?: number;
  readonly programmes?: number;
  readonly bytes?: number;
  /** Per-channel coverage (array of rows or a map); shown as a table by the UI. */
  readonly coverage?: unknown;
}

export interface GuidePort {
  status(): GuideStatus;
  refresh(): Promise<unknown> | unknown;
  setGuideId(key: string, id: string | null): unknown;
}

// ---- settings, logs, device ----

export interface SettingsPort {
  get(): Readonly<Record<string, unknown>>;
  /** Validates first; rejects with an Error carrying `field` when a value is invalid. */
  update(patch: Record<string, unknown>): Promise<Readonly<Record<string, unknown>>>;
  /** JSON-schema-like description of each setting, for the settings page. */
  schema?(): unknown;
  /** Dotted paths of secret settings (`admin.token`): shown as a placeholder, kept when sent back unchanged. */
  readonly secretPaths?: readonly string[];
  /** Whether saved settings differ from the ones the service runs with. */
  pending?(): boolean;
  /** Restart the service in this process so saved settings take effect (absent: not supported). */
  readonly apply?: () => void;
}

export interface LogsPort {
  list(): readonly LogEntry[];
  subscribe(fn: (e: LogEntry) => void): () => void;
}

export interface AdminPorts {
  readonly version: string;
  /** Epoch ms the service started. */
  readonly startedAt: number;
  readonly sessions: SessionsPort;
  readonly lineup: LineupPort;
  readonly sources: SourceStorePort;
  readonly guide: GuidePort;
  readonly settings: SettingsPort;
  readonly logs: LogsPort;
  readonly bus: EventBus;
  readonly device: () => DeviceInfo;
  /** BaseURL for a request that arrived on `localAddress` (same function the HDHR routes use). */
  readonly baseUrl: (localAddress: string | undefined) => string;
}

export function candidateId(c: { readonly sourceId: string; readonly streamId: string }): string {
  return `${c.sourceId}:${c.streamId}`;
}
