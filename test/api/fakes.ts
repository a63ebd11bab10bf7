// In-memory stand-ins for the services behind the admin ports, plus a real HTTP server helper.
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import type { Channel, SourceLimit, StreamCandidate } from '../../src/model.js';
import { LogRing } from '../../src/log.js';
import { EventBus } from '../../src/events/bus.js';
import type {
  AdminPorts,
  ChannelRecord,
  GuideStatus,
  OverridePatch,
  SessionView,
  SettingsPort,
} from '../../src/api/ports.js';
import { createFileSourceStore } from '../../src/api/source-store.js';
import { registerSecret } from '../../src/util/redact.js';

export const SECRET_PASS = 'pa55w0rd-xyz';
export const SECRET_USER = 'alice-account';
registerSecret(SECRET_PASS);
registerSecret(SECRET_USER);

export function candidate(sourceId: string, streamId: string, priority = 0): StreamCandidate {
  const url = `http://provider.invalid/live/${SECRET_USER}/${SECRET_PASS}/${streamId}.ts`;
  return {
    sourceId,
    accountKey: sourceId,
    url,
    label: `http://provider.invalid/live/***/***/${streamId}.ts`,
    headers: {},
    priority,
    name: `stream ${streamId}`,
    streamId,
    quality: 2,
    kind: 'ts',
  };
}

interface MutableChannel {
  key: string;
  guideNumber: string;
  name: string;
  epgId?: string;
  hd: boolean;
  disabled?: boolean;
  candidates: StreamCandidate[];
}

export class FakeLineup extends EventEmitter {
  chans: MutableChannel[] = [
    {
      key: 'news',
      guideNumber: '101',
      name: 'News',
      hd: true,
      candidates: [candidate('a', '1'), candidate('b', '7', 1)],
    },
    { key: 'sport', guideNumber: '102', name: 'Sport', hd: true, candidates: [candidate('a', '2')] },
    { key: 'movies', guideNumber: '103', name: 'Movies', hd: false, candidates: [candidate('b', '3', 1)] },
  ];
  limits: SourceLimit[] = [
    {
      sourceId: 'a',
      name: 'Provider A',
      accountKey: 'a',
      maxConnections: 2,
      enabled: true,
      status: 'ok',
      channelCount: 2,
    },
    {
      sourceId: 'b',
      name: 'Provider B',
      accountKey: 'b',
      maxConnections: 1,
      enabled: true,
      status: 'ok',
      channelCount: 2,
    },
  ];
  calls: [string, ...unknown[]][] = [];
  scanning = false;

  channels(): readonly Channel[] {
    return this.chans.filter((c) => !c.disabled);
  }
  allChannels(): readonly ChannelRecord[] {
    return this.chans;
  }
  tunerCount(): number {
    return this.limits.reduce((n, l) => n + l.maxConnections, 0);
  }
  sourceLimits(): readonly SourceLimit[] {
    return this.limits;
  }
  scanStatus() {
    return { inProgress: this.scanning, progress: this.scanning ? 50 : 100, found: this.chans.length };
  }
  async scan(): Promise<void> {
    this.calls.push(['scan']);
  }
  setOverride(key: string, patch: OverridePatch): void {
    this.calls.push(['setOverride', key, patch]);
    const c = this.chans.find((x) => x.key === key)!;
    if (patch.guideNumber) c.guideNumber = patch.guideNumber;
    if (patch.name) c.name = patch.name;
    if (patch.disabled !== undefined) c.disabled = patch.disabled;
    if (patch.candidateOrder) {
      const order = patch.candidateOrder;
      c.candidates.sort(
        (x, y) => order.indexOf(`${x.sourceId}:${x.streamId}`) - order.indexOf(`${y.sourceId}:${y.streamId}`),
      );
    }
  }
  clearOverride(key: string): void {
    this.calls.push(['clearOverride', key]);
  }
  mergeChannels(keys: string[]): void {
    this.calls.push(['mergeChannels', keys]);
  }
  splitChannel(key: string, ids: string[]): void {
    this.calls.push(['splitChannel', key, ids]);
  }
  refreshSource(id: string): void {
    this.calls.push(['refreshSource', id]);
  }
  async testSource(def: object): Promise<unknown> {
    const d = def as Record<string, unknown>;
    this.calls.push(['testSource', d]);
    if (d.password !== SECRET_PASS && d.password !== 'new-secret-1')
      throw new Error(
        `login refused by http://provider.invalid/player_api.php?username=${SECRET_USER}&password=${String(d.password)}`,
      );
    return { maxConnections: 3, activeConnections: 1, expires: '2030-01-01', password: String(d.password) };
  }
}

export class FakeSessions extends EventEmitter {
  list: (SessionView & { switches: NonNullable<SessionView['switches']>[number][] })[] = [];
  manual = false;
  auto = true;
  sessions(): readonly SessionView[] {
    return this.list;
  }
  tunersInUse(): number {
    return this.list.length;
  }
  start(guideNumber: string, sourceId: string, channelName = `ch ${guideNumber}`): void {
    this.list.push({
      guideNumber,
      channelName,
      sourceId,
      tuner: this.list.length,
      startedAt: new Date().toISOString(),
      bitrate: 4_000_000,
      bytesIn: 1000,
      bytesOut: 2000,
      clients: [{ id: 'c1', address: '127.0.0.1' }],
      switches: [],
    });
    this.emit('session-start', { guideNumber, sourceId, channelName });
  }
  kill(gn: string): boolean {
    const before = this.list.length;
    this.list = this.list.filter((s) => s.guideNumber !== gn);
    this.emit('session-stop', { guideNumber: gn, reason: 'killed' });
    return this.list.length < before;
  }
  forceSwitch(gn: string, to?: string): boolean {
    const s = this.list.find((x) => x.guideNumber === gn);
    if (!s) return false;
    const from = s.sourceId;
    const target = to ?? (from === 'a' ? 'b' : 'a');
    (s as { sourceId?: string }).sourceId = target;
    const ev = { guideNumber: gn, from, to: target, reason: 'manual', gapMs: 0 };
    s.switches.push({ ...ev, at: new Date().toISOString() });
    this.emit('switch', ev);
    return true;
  }
  setManualFallback(on: boolean): void {
    this.manual = on;
  }
  setAutoFallback(on: boolean): void {
    this.auto = on;
  }
  fallbackState() {
    return { manual: this.manual, auto: this.auto };
  }
}

export class FakeGuide extends EventEmitter {
  st: GuideStatus = {
    inProgress: false,
    progress: 100,
    lastRefresh: new Date(Date.now() - 60_000).toISOString(),
    channels: 3,
    programmes: 120,
    bytes: 50_000,
    coverage: { '101': 48, '102': 0 },
  };
  guideIds = new Map<string, string | null>();
  refreshes = 0;
  status(): GuideStatus {
    return this.st;
  }
  async refresh(): Promise<void> {
    this.refreshes++;
  }
  setGuideId(key: string, id: string | null): void {
    this.guideIds.set(key, id);
  }
}

export class FakeSettings implements SettingsPort {
  readonly secretPaths = ['admin.token', 'guide.urls'];
  value: Record<string, unknown> = {
    port: 5004,
    admin: { token: 'admin-tok-123', allowNetworks: [] },
    guide: { urls: ['http://epg.invalid/x.xml?key=abc'] },
    webhooks: [{ url: 'http://hook.invalid/x', events: ['failover'], secret: 'hook-secret-9' }],
  };
  get() {
    return this.value;
  }
  async update(patch: Record<string, unknown>) {
    if ('port' in patch && (typeof patch.port !== 'number' || patch.port < 1 || patch.port > 65535)) {
      const e = new Error('settings.json: port must be an integer from 1 to 65535');
      throw Object.assign(e, {
        problems: [{ file: 'settings.json', field: 'port', reason: 'must be 1–65535' }],
      });
    }
    this.value = deepMerge(this.value, patch);
    return this.value;
  }
  schema() {
    return { type: 'object', properties: { port: { type: 'integer', description: 'HTTP port' } } };
  }
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
        ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export interface Harness {
  ports: AdminPorts;
  lineup: FakeLineup;
  sessions: FakeSessions;
  guide: FakeGuide;
  settings: FakeSettings;
  logs: LogRing;
  bus: EventBus;
  tunersDir: string;
  cleanup(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const tunersDir = await mkdtemp(path.join(tmpdir(), 'tb-api-'));
  const lineup = new FakeLineup();
  const sessions = new FakeSessions();
  const guide = new FakeGuide();
  const settings = new FakeSettings();
  const logs = new LogRing();
  const bus = new EventBus();
  const validate = (def: Record<string, unknown>) => {
    if (def.type !== 'xtream' && def.type !== 'm3u')
      throw Object.assign(new Error('must be "xtream" or "m3u"'), { field: 'type' });
    if (typeof def.url !== 'string' || !/^https?:\/\//.test(def.url))
      throw Object.assign(new Error('must be an http(s) URL'), { field: 'url' });
  };
  const ports: AdminPorts = {
    version: '9.9.9-test',
    startedAt: Date.now() - 5000,
    sessions,
    lineup,
    sources: createFileSourceStore({ dir: tunersDir, validate }),
    guide,
    settings,
    logs,
    bus,
    device: () => ({
      deviceId: '1234ABCD',
      uuid: '00000000-0000-4000-8000-000000000000',
      deviceAuth: 'x',
      friendlyName: 'tunerbridge test',
      modelNumber: 'HDHR4-2US',
      firmwareName: 'hdhomerun4_atsc',
      firmwareVersion: '20250506',
    }),
    baseUrl: (local) => `http://${local ?? '127.0.0.1'}:5004`,
  };
  return {
    ports,
    lineup,
    sessions,
    guide,
    settings,
    logs,
    bus,
    tunersDir,
    cleanup: () => rm(tunersDir, { recursive: true, force: true }),
  };
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function serve(app: express.Express): Promise<Served> {
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export async function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; text: string; headers: Headers }> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}
