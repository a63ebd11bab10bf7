// The admin REST API, mounted at /api. Every handler validates its input (400 naming the field), every
// response goes through `sanitize` (no credential can leave), and every route is listed in openapi.ts
// (a test checks both directions).
import express, { type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import {
  HttpError,
  asValidationError,
  bodyOf,
  errorHandler,
  invalid,
  notFound,
  onlyFields,
  optBool,
  optString,
  stringArray,
  type Body,
} from './errors.js';
import { securityHeaders } from './headers.js';
import { openApiDocument } from './openapi.js';
import { candidateId, type AdminPorts, type ChannelRecord, type OverridePatch } from './ports.js';
import { dropPlaceholders, hasPlaceholder, maskPaths, restoreSecrets, sanitize } from './sanitize.js';
import { SOURCE_ID } from './source-store.js';
import { createEventStream } from './sse.js';
import { buildStatus, eventForUi, sessionDto, sourceUse, useBySource } from './status.js';
import { filterLogs } from './logs.js';
import { guideSummary } from './guide-summary.js';

const GUIDE_NUMBER = /^\d{1,5}(\.\d{1,3})?$/;

export interface AdminApiOptions {
  readonly logger?: Logger;
  /** SSE heartbeat, for tests. */
  readonly heartbeatMs?: number;
}

function send(res: Response, value: unknown, status = 200): void {
  res.status(status).json(sanitize(value));
}

function channelDto(c: ChannelRecord) {
  return {
    key: c.key,
    guideNumber: c.guideNumber,
    name: c.name,
    epgId: c.epgId,
    group: c.group,
    hd: c.hd,
    enabled: !(c.disabled === true || c.enabled === false),
    candidates: c.candidates.map((k) => ({
      id: candidateId(k),
      sourceId: k.sourceId,
      name: k.name,
      label: k.label,
      streamId: k.streamId,
      priority: k.priority,
      quality: k.quality,
      kind: k.kind,
    })),
  };
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  return typeof v === 'string' ? v : '';
}

function sourceId(req: Request): string {
  const id = param(req, 'id');
  if (!SOURCE_ID.test(id)) throw invalid('id', 'letters, digits, ".", "_" or "-" (max 64), and not "demo"');
  return id;
}

function definitionOf(b: Body): Record<string, unknown> {
  const d = b.definition;
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw invalid('definition', 'must be a JSON object');
  return d as Record<string, unknown>;
}

export function createAdminApi(p: AdminPorts, opts: AdminApiOptions = {}): express.Router {
  const logger = opts.logger ?? silentLogger;
  const r = express.Router();
  r.use(securityHeaders);
  r.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  r.use(express.json({ limit: '1mb' }));

  const background = (what: string, fn: () => unknown): void => {
    Promise.resolve()
      .then(fn)
      .catch((err: unknown) => logger.warn({ err: (err as Error)?.message }, `${what} failed`));
  };
  const findChannel = (key: string): ChannelRecord => {
    const c = p.lineup.allChannels().find((x) => x.key === key);
    if (!c) throw notFound(`channel "${key}"`);
    return c;
  };
  // A definition was written or removed: load it now (the file watcher would only notice a moment later,
  // and refreshing an id the lineup does not know yet fails).
  const definitionsChanged = (id: string): void =>
    background(`loading source ${id}`, () =>
      p.lineup.reload ? p.lineup.reload() : p.lineup.refreshSource(id),
    );
  const sourceStatus = () =>
    sourceUse(p.lineup.sourceLimits(), useBySource(p.sessions.tunersInUse(), p.sessions.sessions()));

  r.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(p.version));
  });

  // ---- status, live events, device ----
  r.get('/status', (_req, res) => send(res, buildStatus(p)));
  r.get(
    '/events',
    createEventStream({
      bus: p.bus,
      logs: p.logs,
      heartbeatMs: opts.heartbeatMs,
      enrich: (e) => eventForUi(p.lineup, e),
    }),
  );
  r.get('/device', (req, res) => {
    const d = p.device();
    const base = p.baseUrl(req.socket.localAddress);
    send(res, {
      deviceId: d.deviceId,
      friendlyName: d.friendlyName,
      modelNumber: d.modelNumber,
      baseUrl: base,
      tunerCount: p.lineup.tunerCount(),
      urls: {
        discover: `${base}/discover.json`,
        lineup: `${base}/lineup.json`,
        m3u: `${base}/lineup.m3u`,
        xmltv: `${base}/xmltv.xml`,
      },
    });
  });

  // ---- sources ----
  r.get('/sources', async (_req, res) => {
    const status = new Map(sourceStatus().map((s) => [s.id, s]));
    const defs = await p.sources.list();
    send(
      res,
      defs.map((d) => ({ id: d.id, definition: d.definition, status: status.get(d.id) ?? null })),
    );
  });

  r.post('/sources', async (req, res) => {
    const b = bodyOf(req.body);
    onlyFields(b, ['id', 'definition']);
    const id = optString(b, 'id');
    if (!id) throw invalid('id', 'is required');
    if (!SOURCE_ID.test(id)) throw invalid('id', 'letters, digits, ".", "_" or "-" (max 64), and not "demo"');
    const def = definitionOf(b);
    if (hasPlaceholder(def)) throw invalid('definition', 'a new source needs its real credentials');
    if (await p.sources.get(id)) throw new HttpError(409, `id: source "${id}" already exists`, 'id');
    const saved = await p.sources.put(id, def).catch((e: unknown) => Promise.reject(asValidationError(e)));
    definitionsChanged(id);
    send(res, { id, definition: saved }, 201);
  });

  r.post('/sources/test', async (req, res) => {
    const b = bodyOf(req.body);
    onlyFields(b, ['id', 'definition']);
    let def = definitionOf(b);
    const id = optString(b, 'id');
    if (id !== undefined && SOURCE_ID.test(id)) {
      const stored = await p.sources.get(id);
      if (stored) def = restoreSecrets(def, stored) as Record<string, unknown>;
    }
    if (hasPlaceholder(def)) throw invalid('definition', 'enter the credentials to test a new source');
    send(res, await testSource(def));
  });

  r.get('/sources/:id', async (req, res) => {
    const id = sourceId(req);
    const def = await p.sources.get(id);
    if (!def) throw notFound(`source "${id}"`);
    send(res, { id, definition: def, status: sourceStatus().find((s) => s.id === id) ?? null });
  });

  r.put('/sources/:id', async (req, res) => {
    const id = sourceId(req);
    const b = bodyOf(req.body);
    onlyFields(b, ['definition']);
    const stored = await p.sources.get(id);
    if (!stored) throw notFound(`source "${id}"`);
    const def = restoreSecrets(definitionOf(b), stored) as Record<string, unknown>;
    if (hasPlaceholder(def)) throw invalid('definition', 'a masked value has no stored secret to keep');
    const saved = await p.sources.put(id, def).catch((e: unknown) => Promise.reject(asValidationError(e)));
    definitionsChanged(id);
    send(res, { id, definition: saved });
  });

  r.delete('/sources/:id', async (req, res) => {
    const id = sourceId(req);
    if (!(await p.sources.remove(id))) throw notFound(`source "${id}"`);
    definitionsChanged(id);
    res.status(204).end();
  });

  r.post('/sources/:id/test', async (req, res) => {
    const id = sourceId(req);
    const def = await p.sources.get(id);
    if (!def) throw notFound(`source "${id}"`);
    send(res, await testSource(def));
  });

  r.post('/sources/:id/refresh', async (req, res) => {
    const id = sourceId(req);
    if (!(await p.sources.get(id))) throw notFound(`source "${id}"`);
    background(`refresh of source ${id}`, () => p.lineup.refreshSource(id));
    send(res, { started: true }, 202);
  });

  async function testSource(def: Record<string, unknown>) {
    try {
      const result = await p.lineup.testSource(def);
      // LineupService reports a refused login as { ok: false, error } rather than throwing.
      const o = (result && typeof result === 'object' ? result : {}) as { ok?: unknown; error?: unknown };
      if (o.ok === false) return { ok: false, error: String(o.error ?? 'test failed'), result };
      return { ok: true, result };
    } catch (err) {
      // A failed login is a result, not an API error; the message is masked by `send`.
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  // ---- channels ----
  r.get('/channels', (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim().toLowerCase() : '';
    const enabled = req.query.enabled;
    if (enabled !== undefined && enabled !== 'true' && enabled !== 'false')
      throw invalid('enabled', 'must be true or false');
    const source = typeof req.query.source === 'string' ? req.query.source : undefined;
    const limit = req.query.limit === undefined ? 10_000 : Number(req.query.limit);
    const offset = req.query.offset === undefined ? 0 : Number(req.query.offset);
    if (!Number.isInteger(limit) || limit < 1) throw invalid('limit', 'must be a positive integer');
    if (!Number.isInteger(offset) || offset < 0) throw invalid('offset', 'must be a non-negative integer');
    let list = p.lineup.allChannels().map(channelDto);
    if (q)
      list = list.filter(
        (c) =>
          c.name.toLowerCase().includes(q) || c.guideNumber.startsWith(q) || c.key.toLowerCase().includes(q),
      );
    if (enabled !== undefined) list = list.filter((c) => c.enabled === (enabled === 'true'));
    if (source) list = list.filter((c) => c.candidates.some((k) => k.sourceId === source));
    send(res, { total: list.length, offset, channels: list.slice(offset, offset + limit) });
  });

  r.patch('/channels/:key', async (req, res) => {
    const key = param(req, 'key');
    const c = findChannel(key);
    const b = bodyOf(req.body);
    onlyFields(b, ['guideNumber', 'name', 'enabled', 'candidateOrder', 'guideId']);
    const patch: OverridePatch = {};
    const gn = optString(b, 'guideNumber', GUIDE_NUMBER, 'digits with at most one dot, e.g. 101 or 5.1');
    if (gn !== undefined && gn !== c.guideNumber) {
      const other = p.lineup.allChannels().find((x) => x.guideNumber === gn && x.key !== key);
      if (other) throw invalid('guideNumber', `${gn} is already used by "${other.name}"`);
      patch.guideNumber = gn;
    }
    const name = optString(b, 'name');
    if (name !== undefined) {
      if (name.trim() === '' || name.length > 200) throw invalid('name', 'must be 1–200 characters');
      patch.name = name.trim();
    }
    const enabled = optBool(b, 'enabled');
    if (enabled !== undefined) patch.disabled = !enabled;
    const order = stringArray(b, 'candidateOrder', { optional: true });
    if (order) {
      const ids = new Set(c.candidates.map(candidateId));
      const unknown = order.find((id) => !ids.has(id));
      if (unknown) throw invalid('candidateOrder', `"${unknown}" is not a stream of this channel`);
      if (new Set(order).size !== order.length) throw invalid('candidateOrder', 'lists a stream twice');
      patch.candidateOrder = order;
    }
    let guideId: string | null | undefined;
    if ('guideId' in b) {
      if (b.guideId !== null && (typeof b.guideId !== 'string' || b.guideId.trim() === ''))
        throw invalid('guideId', 'must be a non-empty string, or null to clear');
      guideId = b.guideId === null ? null : (b.guideId as string).trim();
    }
    if (Object.keys(patch).length > 0) await p.lineup.setOverride(key, patch);
    if (guideId !== undefined) await p.guide.setGuideId(key, guideId);
    const after = p.lineup.allChannels().find((x) => x.key === key) ?? c;
    send(res, channelDto(after));
  });

  r.delete('/channels/:key/override', async (req, res) => {
    const key = param(req, 'key');
    findChannel(key);
    await p.lineup.clearOverride(key);
    res.status(204).end();
  });

  r.post('/channels/merge', async (req, res) => {
    const b = bodyOf(req.body);
    onlyFields(b, ['keys']);
    const keys = stringArray(b, 'keys', { min: 2 })!;
    if (new Set(keys).size !== keys.length) throw invalid('keys', 'lists a channel twice');
    for (const k of keys)
      if (!p.lineup.allChannels().some((c) => c.key === k)) throw invalid('keys', `no channel "${k}"`);
    send(res, { merged: keys, result: (await p.lineup.mergeChannels(keys)) ?? null });
  });

  r.post('/channels/:key/split', async (req, res) => {
    const key = param(req, 'key');
    const c = findChannel(key);
    const b = bodyOf(req.body);
    onlyFields(b, ['candidateIds']);
    const ids = stringArray(b, 'candidateIds', { min: 1 })!;
    const own = new Set(c.candidates.map(candidateId));
    const unknown = ids.find((id) => !own.has(id));
    if (unknown) throw invalid('candidateIds', `"${unknown}" is not a stream of this channel`);
    if (new Set(ids).size >= own.size)
      throw invalid('candidateIds', 'must leave at least one stream in the channel');
    send(res, { split: ids, result: (await p.lineup.splitChannel(key, ids)) ?? null });
  });

  // ---- streams and fallback ----
  r.get('/streams', (_req, res) => send(res, p.sessions.sessions().map(sessionDto)));

  const findSession = (gn: string) => {
    if (!GUIDE_NUMBER.test(gn)) throw invalid('guideNumber', 'digits with at most one dot');
    if (!p.sessions.sessions().some((s) => s.guideNumber === gn)) throw notFound(`session on channel ${gn}`);
  };

  r.delete('/streams/:guideNumber', async (req, res) => {
    const gn = param(req, 'guideNumber');
    findSession(gn);
    await p.sessions.kill(gn);
    res.status(204).end();
  });

  r.post('/streams/:guideNumber/switch', async (req, res) => {
    const gn = param(req, 'guideNumber');
    findSession(gn);
    const b = req.body === undefined ? {} : bodyOf(req.body);
    onlyFields(b, ['sourceId']);
    const to = optString(b, 'sourceId');
    if (to !== undefined && !p.lineup.sourceLimits().some((s) => s.sourceId === to))
      throw invalid('sourceId', `no source "${to}"`);
    const result = await p.sessions.forceSwitch(gn, to);
    send(res, { ok: result !== false, guideNumber: gn, sourceId: to ?? null });
  });

  r.get('/fallback', (_req, res) => send(res, p.sessions.fallbackState()));
  r.put('/fallback', async (req, res) => {
    const b = bodyOf(req.body);
    onlyFields(b, ['manual', 'auto']);
    const manual = optBool(b, 'manual');
    const auto = optBool(b, 'auto');
    if (manual === undefined && auto === undefined) throw invalid('body', 'give "manual" and/or "auto"');
    if (manual !== undefined) await p.sessions.setManualFallback(manual);
    if (auto !== undefined) await p.sessions.setAutoFallback(auto);
    send(res, p.sessions.fallbackState());
  });

  // ---- guide and lineup ----
  r.get('/guide', (_req, res) => {
    const status = p.guide.status();
    send(res, { ...status, summary: guideSummary(status) });
  });
  r.post('/guide/refresh', (_req, res) => {
    background('guide refresh', () => p.guide.refresh());
    send(res, { started: true }, 202);
  });
  r.get('/lineup/scan', (_req, res) => send(res, p.lineup.scanStatus()));
  r.post('/lineup/scan', (_req, res) => {
    if (!p.lineup.scanStatus().inProgress) background('lineup scan', () => p.lineup.scan());
    send(res, { started: true }, 202);
  });

  // ---- logs and settings ----
  r.get('/logs', (req, res) => send(res, filterLogs(p.logs.list(), req.query)));

  r.get('/settings', (_req, res) => {
    const paths = p.settings.secretPaths ?? [];
    send(res, {
      settings: maskPaths(p.settings.get(), paths),
      schema: p.settings.schema?.() ?? null,
      restartPending: p.settings.pending?.() ?? false,
    });
  });
  r.patch('/settings', async (req, res) => {
    const paths = p.settings.secretPaths ?? [];
    const patch = restoreSecrets(dropPlaceholders(bodyOf(req.body), paths), p.settings.get()) as Body;
    if (hasPlaceholder(patch)) throw invalid('body', 'a masked value has no stored secret to keep');
    let saved;
    try {
      saved = await p.settings.update(patch);
    } catch (err) {
      throw asValidationError(err);
    }
    send(res, { settings: maskPaths(saved, paths), restartPending: p.settings.pending?.() ?? false });
  });
  r.post('/settings/apply', (_req, res) => {
    const apply = p.settings.apply;
    if (!apply) throw new HttpError(501, 'this service cannot restart itself: restart it to apply settings');
    logger.info({ streams: p.sessions.sessions().length }, 'restarting to apply saved settings');
    // After the answer has gone out: the restart closes this server.
    res.once('finish', () => setImmediate(apply));
    send(res, { restarting: true }, 202);
  });

  r.use((req, _res, next) =>
    next(new HttpError(404, `no API route ${req.method} ${req.baseUrl}${req.path}`)),
  );
  r.use(errorHandler(logger));
  return r;
}
