// The internal event bus: the streaming core, guide and lineup publish what happened; the UI (SSE),
// metrics and webhooks subscribe. Publishing is synchronous and cheap, and a throwing subscriber is
// isolated, so nothing downstream can stall or break a stream.

export interface SwitchInfo {
  readonly guideNumber: string;
  readonly from?: string;
  readonly to?: string;
  /** Source ids (tuners/<id>) when `from`/`to` is a real source rather than the slate. */
  readonly fromSource?: string;
  readonly toSource?: string;
  readonly reason: string;
  readonly gapMs?: number;
}

/** Payload of each event type. Fields beyond `guideNumber` are optional: publishers fill what they know. */
export interface EventPayloads {
  'session-start': {
    readonly guideNumber: string;
    readonly channelName?: string;
    readonly sourceId?: string;
  };
  'session-stop': {
    readonly guideNumber: string;
    readonly reason?: string;
    readonly bytesIn?: number;
    readonly bytesOut?: number;
  };
  'client-join': { readonly guideNumber: string; readonly client?: string };
  'client-leave': { readonly guideNumber: string; readonly client?: string };
  failover: SwitchInfo;
  recovered: { readonly guideNumber: string; readonly sourceId?: string };
  'all-failed': { readonly guideNumber: string; readonly reason?: string };
  probe: {
    readonly sourceId: string;
    readonly ok: boolean;
    readonly guideNumber?: string;
    readonly ms?: number;
  };
  /** `progress` 0–100 when known; otherwise the refresh's running counts. */
  'guide-progress': {
    readonly progress?: number;
    readonly programmes?: number;
    readonly bytes?: number;
    readonly channelsMatched?: number;
    readonly channelsTotal?: number;
  };
  'guide-refreshed': { readonly channels?: number; readonly programmes?: number };
  'lineup-changed': { readonly channels?: number };
}

export type EventType = keyof EventPayloads;

export const EVENT_TYPES: readonly EventType[] = [
  'session-start',
  'session-stop',
  'client-join',
  'client-leave',
  'failover',
  'recovered',
  'all-failed',
  'probe',
  'guide-progress',
  'guide-refreshed',
  'lineup-changed',
];

export type BusEvent = {
  [K in EventType]: {
    readonly id: number;
    readonly type: K;
    readonly time: string;
    readonly data: EventPayloads[K];
  };
}[EventType];

export type Listener = (e: BusEvent) => void;

/** Events that are too chatty to keep in the history or send to webhooks by default. */
export const NOISY: ReadonlySet<EventType> = new Set<EventType>(['guide-progress', 'probe']);

export class EventBus {
  private readonly listeners = new Set<Listener>();
  private readonly history: BusEvent[] = [];
  private seq = 0;

  constructor(
    private readonly capacity = 200,
    private readonly onListenerError: (err: unknown) => void = () => {},
  ) {}

  publish<K extends EventType>(type: K, data: EventPayloads[K]): BusEvent {
    const e = { id: ++this.seq, type, time: new Date().toISOString(), data } as BusEvent;
    if (!NOISY.has(type)) {
      this.history.push(e);
      if (this.history.length > this.capacity) this.history.shift();
    }
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    return e;
  }

  /** Subscribe to every event, or only to `types`. Returns the unsubscribe function. */
  subscribe(fn: Listener, types?: readonly EventType[]): () => void {
    const wanted = types ? new Set(types) : undefined;
    const l: Listener = wanted ? (e) => wanted.has(e.type) && fn(e) : fn;
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  }

  /** The last `n` (non-noisy) events, oldest first. */
  recent(n = 50): readonly BusEvent[] {
    return n <= 0 ? [] : this.history.slice(-n);
  }

  /** Events published after event id `afterId` that are still in the history (SSE Last-Event-ID resume). */
  since(afterId: number): readonly BusEvent[] {
    return this.history.filter((e) => e.id > afterId);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
