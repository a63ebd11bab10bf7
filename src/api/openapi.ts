// OpenAPI 3.1 description of the admin API (served at /api/openapi.json). Kept next to the router; a test
// checks that every router route is documented here and every documented operation exists.

type Schema = Record<string, unknown>;

const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
});
const s = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) });
const n = (description?: string): Schema => ({ type: 'number', ...(description ? { description } : {}) });
const b = (description?: string): Schema => ({ type: 'boolean', ...(description ? { description } : {}) });
const arr = (items: Schema): Schema => ({ type: 'array', items });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const free: Schema = { type: 'object', additionalProperties: true };

const json = (schema: Schema) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema?: Schema) => ({ description, ...(schema ? json(schema) : {}) });
const ERR = { description: 'Invalid input or not found; the message names the field', ...json(ref('Error')) };

interface Op {
  summary: string;
  params?: string[];
  query?: Record<string, Schema>;
  body?: Schema;
  status?: number;
  response?: Schema;
  responseType?: string;
}

const PATH_PARAMS: Record<string, string> = {
  id: 'Source id (file name in tuners/ without .json)',
  key: 'Channel merge key (URL-encoded)',
  guideNumber: 'GuideNumber of a live session',
};

function op(tag: string, o: Op) {
  const parameters = [
    ...(o.params ?? []).map((name) => ({
      name,
      in: 'path',
      required: true,
      description: PATH_PARAMS[name],
      schema: s(),
    })),
    ...Object.entries(o.query ?? {}).map(([name, schema]) => ({
      name,
      in: 'query',
      required: false,
      schema,
    })),
  ];
  const code = String(o.status ?? 200);
  return {
    tags: [tag],
    summary: o.summary,
    ...(parameters.length ? { parameters } : {}),
    ...(o.body ? { requestBody: { required: true, ...json(o.body) } } : {}),
    responses: {
      [code]:
        code === '204'
          ? { description: 'Done' }
          : o.responseType
            ? { description: o.summary, content: { [o.responseType]: { schema: s() } } }
            : ok(o.summary, o.response ?? free),
      '4XX': ERR,
    },
  };
}

const definitionBody = obj({ definition: free }, ['definition']);

export const PATHS = {
  '/openapi.json': { get: op('meta', { summary: 'This document' }) },
  '/status': {
    get: op('status', {
      summary: 'Service status: uptime, tuners per source, sessions, switches, fallback',
      response: ref('Status'),
    }),
  },
  '/events': {
    get: op('status', {
      summary: 'Live updates (server-sent events): bus events, and log entries with ?logs=1',
      query: { logs: s('1 to include log entries') },
      responseType: 'text/event-stream',
    }),
  },
  '/device': {
    get: op('status', { summary: 'Device identity and the URLs to give Plex, Channels, Emby, Jellyfin' }),
  },
  '/sources': {
    get: op('sources', {
      summary: 'Source definitions (secrets masked) with their status',
      response: arr(ref('Source')),
    }),
    post: op('sources', {
      summary: 'Create a source (validated, then written atomically to tuners/<id>.json)',
      body: obj({ id: s(), definition: free }, ['id', 'definition']),
      status: 201,
      response: ref('Source'),
    }),
  },
  '/sources/test': {
    post: op('sources', {
      summary:
        'Log in to an unsaved definition and report the provider limits; with id, masked secrets are taken from the stored source',
      body: obj({ id: s(), definition: free }, ['definition']),
      response: ref('TestResult'),
    }),
  },
  '/sources/{id}': {
    get: op('sources', { summary: 'One source (secrets masked)', params: ['id'], response: ref('Source') }),
    put: op('sources', {
      summary: 'Replace a source definition; a secret sent back as the placeholder keeps the stored value',
      params: ['id'],
      body: definitionBody,
      response: ref('Source'),
    }),
    delete: op('sources', { summary: 'Delete a source', params: ['id'], status: 204 }),
  },
  '/sources/{id}/test': {
    post: op('sources', {
      summary: 'Log in to a saved source and report the provider limits',
      params: ['id'],
      response: ref('TestResult'),
    }),
  },
  '/sources/{id}/refresh': {
    post: op('sources', { summary: 'Re-read a source now', params: ['id'], status: 202 }),
  },
  '/channels': {
    get: op('channels', {
      summary: 'All channels, including disabled ones',
      query: {
        q: s('Name, number or key contains'),
        enabled: s('true|false'),
        source: s(),
        limit: n(),
        offset: n(),
      },
      response: obj({ total: n(), offset: n(), channels: arr(ref('Channel')) }),
    }),
  },
  '/channels/{key}': {
    patch: op('channels', {
      summary: 'Edit a channel override: number, name, enabled, stream order, guide id (null clears it)',
      params: ['key'],
      body: obj({
        guideNumber: s('Digits with at most one dot'),
        name: s(),
        enabled: b(),
        candidateOrder: arr(s('Candidate id <sourceId>:<streamId>')),
        guideId: { type: ['string', 'null'] },
      }),
      response: ref('Channel'),
    }),
  },
  '/channels/{key}/override': {
    delete: op('channels', { summary: 'Remove every override of a channel', params: ['key'], status: 204 }),
  },
  '/channels/merge': {
    post: op('channels', {
      summary: 'Merge channels into the first one',
      body: obj({ keys: arr(s()) }, ['keys']),
    }),
  },
  '/channels/{key}/split': {
    post: op('channels', {
      summary: 'Move some streams of a channel into a new channel',
      params: ['key'],
      body: obj({ candidateIds: arr(s()) }, ['candidateIds']),
    }),
  },
  '/streams': { get: op('streams', { summary: 'Live sessions', response: arr(ref('Session')) }) },
  '/streams/{guideNumber}': {
    delete: op('streams', {
      summary: 'Stop a session and release its tuner',
      params: ['guideNumber'],
      status: 204,
    }),
  },
  '/streams/{guideNumber}/switch': {
    post: op('streams', {
      summary: 'Force a switch to the next stream, or to a named source',
      params: ['guideNumber'],
      body: obj({ sourceId: s('Optional: switch to this source') }),
    }),
  },
  '/fallback': {
    get: op('streams', { summary: 'Fallback state' }),
    put: op('streams', {
      summary: 'Global manual fallback (use backups now) and automatic fallback toggles',
      body: obj({ manual: b(), auto: b() }),
    }),
  },
  '/guide': { get: op('guide', { summary: 'Guide status: progress, age, size, coverage per channel' }) },
  '/guide/refresh': { post: op('guide', { summary: 'Refresh the guide now', status: 202 }) },
  '/lineup/scan': {
    get: op('lineup', { summary: 'Scan status' }),
    post: op('lineup', { summary: 'Rescan every source now', status: 202 }),
  },
  '/logs': {
    get: op('logs', {
      summary: 'Last log entries (at most 500), oldest first',
      query: {
        level: s('Minimum level'),
        q: s('Text contains'),
        channel: s(),
        source: s(),
        since: n('Epoch ms'),
        limit: n(),
      },
      response: arr(free),
    }),
  },
  '/settings': {
    get: op('settings', { summary: 'Settings (secrets masked) and their schema' }),
    patch: op('settings', {
      summary: 'Update settings (validated first; masked secrets are kept)',
      body: free,
    }),
  },
  '/settings/apply': {
    post: op('settings', {
      summary:
        'Restart the service in its process so saved settings take effect (streams in progress are cut; 202, then the restart)',
    }),
  },
} as const;

export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'tunerbridge admin API',
      version,
      description:
        'Administration of tunerbridge. When an admin token is set, send `Authorization: Bearer <token>` ' +
        '(or HTTP Basic with the token as password). Errors are `{ "error": "<field>: <problem>", "field": "<field>" }`.',
    },
    servers: [{ url: '/api' }],
    security: [{ bearer: [] }, { basic: [] }],
    paths: PATHS,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        basic: { type: 'http', scheme: 'basic' },
      },
      schemas: {
        Error: obj({ error: s(), field: s() }, ['error']),
        Source: obj(
          { id: s(), definition: free, status: { oneOf: [ref('SourceStatus'), { type: 'null' }] } },
          ['id'],
        ),
        SourceStatus: obj({
          id: s(),
          name: s(),
          enabled: b(),
          status: { enum: ['ok', 'error', 'disabled', 'pending'] },
          error: s(),
          inUse: n(),
          limit: n(),
          providerMaxConnections: n(),
          providerActiveConnections: n(),
          channelCount: n(),
          lastRefresh: s(),
        }),
        TestResult: obj({ ok: b(), result: free, error: s() }, ['ok']),
        Channel: obj({
          key: s(),
          guideNumber: s(),
          name: s(),
          epgId: s(),
          group: s(),
          hd: b(),
          enabled: b(),
          candidates: arr(
            obj({
              id: s(),
              sourceId: s(),
              name: s(),
              label: s('Masked URL'),
              streamId: s(),
              priority: n(),
              quality: n(),
              kind: s(),
            }),
          ),
        }),
        Session: obj({
          guideNumber: s(),
          channelName: s(),
          tuner: n(),
          sourceId: s(),
          startedAt: s(),
          bitrate: n('bits/s'),
          bytesIn: n(),
          bytesOut: n(),
          clients: arr(obj({ id: s(), address: s(), since: s(), userAgent: s() })),
          switches: arr(ref('Switch')),
        }),
        Switch: obj({
          guideNumber: s(),
          from: s('candidate label'),
          to: s('candidate label'),
          fromSource: s('source id'),
          toSource: s('source id'),
          reason: s(),
          gapMs: n(),
          at: s(),
        }),
        Status: obj({
          version: s(),
          startedAt: s(),
          uptimeSec: n(),
          tuners: obj({ total: n(), inUse: n() }),
          sources: arr(ref('SourceStatus')),
          sessions: arr(ref('Session')),
          switches: arr(ref('Switch')),
          fallback: free,
          scan: obj({ inProgress: b(), progress: n(), found: n() }),
        }),
      },
    },
  };
}
