// The settings table: every setting's type, default, limits and description. The JSON schema (for conf and
// validation), the `Settings` type, defaults, CLI flags, env vars, --help and the README reference are all
// generated from it.
import {
  DURATION_PATTERN,
  bool,
  duration,
  enumList,
  int,
  isField,
  list,
  oneOf,
  str,
  webhooks,
  type Field,
  type Section,
  type ValuesOf,
} from './fields.js';
import { DEFAULT_PRECEDENCE } from '../guide/types.js';
import { CHANNEL_MAPS } from '../native/channel-maps.js';
export { durationMs, type Field, type Webhook } from './fields.js';

const HTTP_URL = { pattern: '^(https?://\\S+)?$', hint: 'empty or an http(s):// URL' };
const MS_DAY = 86_400_000;
const MS_HOUR = 3_600_000;

export const SETTINGS = {
  port: int(
    5004,
    0,
    65535,
    'TCP port of the HTTP server (HDHomeRun API, streams, web UI); 0 picks a free port.',
  ),
  bindAddress: str('0.0.0.0', 'Address the HTTP server listens on.', { required: true }),
  advertiseAddress: str(
    '',
    'Host name or IP used in BaseURL and discovery replies; empty = the address a request arrived on.',
    {
      pattern: '^[^\\s/]*$',
      hint: 'a host name or IP address (no scheme or path)',
    },
  ),
  baseUrl: str(
    '',
    'Full BaseURL override, e.g. when behind a reverse proxy; wins over advertiseAddress.',
    HTTP_URL,
  ),
  interfaces: list(
    [],
    'Interface names or IPv4 addresses to advertise and answer discovery on; empty = all non-internal.',
  ),
  ssdp: bool(true, 'Answer SSDP/UPnP discovery (Plex, Emby, Jellyfin auto-detect).'),
  udpDiscovery: bool(
    true,
    'Answer HDHomeRun UDP discovery on port 65001 (libhdhomerun, TVHeadend, Channels DVR).',
  ),
  port80: bool(
    true,
    'Also serve discovery on port 80 for Jellyfin/Emby auto-detect; a failure to bind is logged, not fatal.',
  ),
  dataDir: str(
    './data',
    'Directory of settings.json and state, relative to the working directory. Flag or env only.',
    {
      required: true,
    },
  ),
  tunersDir: str(
    './tuners',
    'Directory of source definitions (one JSON file per source), relative to the working directory.',
    {
      required: true,
    },
  ),
  epgDir: str('./epg', 'Directory of user XMLTV files, relative to the working directory.', {
    required: true,
  }),
  logLevel: oneOf(
    'info',
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    'Minimum level of log lines written.',
  ),
  demo: bool(true, 'Serve built-in demo channels when no source is configured.'),
  device: {
    friendlyName: str('tunerbridge', 'Name shown by clients.', { required: true }),
    modelNumber: str('HDHR4-2US', 'Reported ModelNumber.', { required: true }),
    firmwareName: str('hdhomerun4_atsc', 'Reported FirmwareName (must match the model).', { required: true }),
    firmwareVersion: str('20250506', 'Reported FirmwareVersion.', { required: true }),
    deviceId: str(
      '',
      'DeviceID override: 8 hex digits with a valid check digit; empty = generated once and kept.',
      {
        pattern: '^([0-9A-Fa-f]{8})?$',
        hint: 'empty or 8 hex digits',
      },
    ),
    deviceAuth: str('', 'DeviceAuth string reported to clients; empty = generated.', { secret: true }),
  },
  tuners: {
    max: int(255, 1, 255, 'Global cap on the advertised TunerCount.'),
    demoConnections: int(2, 1, 255, 'Tuners offered by the demo source.'),
  },
  lineup: {
    refreshInterval: duration('6h', 'How often sources are re-read.'),
    firstNumber: int(100, 1, 99999, 'First GuideNumber given to channels without a number.'),
    useProviderNumbers: bool(false, "Use the provider's channel numbers when present."),
    qualityPreference: list(
      ['FHD', 'HD', 'SD', '4K'],
      'Quality tags in preference order, for ordering one channel’s streams.',
      {
        pattern: '^\\S+$',
        hint: 'a tag without spaces',
      },
    ),
    hlsVariant: oneOf('lowest', ['lowest', 'highest'], 'HLS variant to pick from a master playlist.'),
  },
  streaming: {
    lingerMs: int(
      5000,
      0,
      600_000,
      'Keep an upstream open this long after the last client leaves (channel zapping).',
    ),
    stallMs: int(2500, 100, 60_000, 'No data for this long counts as a stall and triggers failover.'),
    validateTimeoutMs: int(
      4000,
      500,
      60_000,
      'Time a candidate has to deliver valid MPEG-TS before the next is tried.',
    ),
    slateAfterMs: int(1000, 0, 60_000, 'Send the "reconnecting" slate after this long without video.'),
    allSourcesFailedHoldMs: int(
      120_000,
      0,
      MS_HOUR,
      'Keep a session on the slate this long when every source fails.',
    ),
    busyResponse: oneOf(
      '503',
      ['503', 'slate'],
      'When no tuner is free: answer HTTP 503, or stream a "busy" slate.',
    ),
    probeIntervalMs: int(
      30_000,
      1000,
      MS_HOUR,
      'How often a failed preferred source is probed for recovery.',
    ),
    switchBackStableMs: int(
      10_000,
      0,
      MS_HOUR,
      'A recovered source must stay healthy this long before switching back.',
    ),
    minSwitchBackIntervalMs: int(60_000, 0, MS_DAY, 'Minimum time between two switch-backs of one session.'),
    ringSeconds: int(
      10,
      1,
      120,
      'Seconds of stream kept in memory per session, for late joiners and splices.',
    ),
    maxLagMs: int(
      10_000,
      100,
      120_000,
      'A client lagging more than this behind the live edge is disconnected.',
    ),
    autoFallback: bool(true, 'Fail over to the next candidate automatically.'),
    ffmpegPath: str('ffmpeg', 'ffmpeg program, for slates and the normaliser.', { required: true }),
    slateHeight: int(720, 144, 2160, 'Height in pixels of generated slates.'),
  },
  guide: {
    pastHours: int(6, 0, 168, 'Hours of past programmes kept in the guide.'),
    futureDays: int(7, 1, 31, 'Days of future programmes served.'),
    dummyBlockMinutes: int(60, 5, 1440, 'Length of placeholder programmes for channels without guide data.'),
    fillGapsMinutes: int(
      30,
      0,
      1440,
      "Holes of at least this many minutes in a channel's guide, and its end before the window's, get placeholder programmes (so Plex can schedule recordings there); 0 = leave them empty.",
    ),
    channelId: oneOf(
      'guideNumber',
      ['guideNumber', 'tvgId'],
      'XMLTV channel id: the GuideNumber, or the source tvg-id.',
    ),
    lcn: oneOf(
      'auto',
      ['auto', 'on', 'off'],
      "Write each channel's number as `<lcn>`, read by some clients but not in the XMLTV DTD (strict validators reject it). auto = only when channel ids are tvg-ids, where the number is nowhere else.",
    ),
    precedence: enumList(
      DEFAULT_PRECEDENCE,
      DEFAULT_PRECEDENCE,
      'Guide sources in order of precedence: files (epg/ folder), urls (guide.urls), xtream (xmltv.php), xmltv (M3U url-tvg/epgUrl), short-epg (Xtream per channel), dummy (placeholder blocks). Kinds left out are not used.',
    ),
    urls: list([], 'Extra XMLTV URLs to merge.', {
      pattern: '^https?://\\S+$',
      hint: 'an http(s):// URL',
      secret: true,
    }),
    timeShifts: list(
      [],
      'Per-guide time correction for guides that get their times wrong: `<epg/ file name or guide URL>=<minutes>`, e.g. `uk.xml=+60`. (Sources have their own timeShift.)',
      { pattern: '^\\S+=[+-]?[0-9]{1,4}$', hint: 'NAME=MINUTES, e.g. uk.xml=-60', secret: true },
    ),
    refreshInterval: duration('12h', 'How often guide data is re-fetched.'),
    shortEpgConcurrency: int(2, 1, 16, 'Parallel Xtream short-EPG requests per source.'),
  },
  admin: {
    token: str('', 'Admin password/token for /api and the web UI; empty = open.', { secret: true }),
    allowNetworks: list([], 'CIDRs allowed to use the HDHomeRun endpoints and streams; empty = all.', {
      pattern: '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$',
      hint: 'an IP address or CIDR such as 192.168.1.0/24',
    }),
  },
  webhooks: webhooks('Webhooks: a list of {url, events, secret?}; on the CLI and in env, as JSON.'),
  integrations: {
    tvheadend: {
      url: str(
        '',
        'TVHeadend base URL (`http://user:pass@host:9981`), polled for its subscriptions so tuners it stopped watching are released (Basic or Digest login); empty = off.',
        { ...HTTP_URL, secret: true },
      ),
      intervalMs: int(30_000, 1000, MS_DAY, 'TVHeadend poll interval (ms).'),
    },
    channelsDvr: {
      url: str(
        '',
        'Channels DVR base URL (`http://host:8089`), polled for its activity so tuners it stopped watching are released; empty = off.',
        { ...HTTP_URL, secret: true },
      ),
      intervalMs: int(30_000, 1000, MS_DAY, 'Channels DVR poll interval (ms).'),
    },
  },
  native: {
    controlProtocol: bool(true, 'Serve the HDHomeRun TCP control protocol on port 65001.'),
    channelMap: oneOf('us-cable', CHANNEL_MAPS, 'Channel map of the virtual RF plan for native tuning.'),
  },
} as const satisfies Section;

/** Every setting, fully resolved. */
export type Settings = ValuesOf<typeof SETTINGS>;

/** Deep partial, as found in settings.json or sent to saveSettings; `null` there resets to the default. */
export type SettingsPatch = {
  readonly [K in keyof Settings]?: Settings[K] extends Record<string, unknown>
    ? PatchOf<Settings[K]>
    : Settings[K] | null;
};
type PatchOf<T> = {
  readonly [K in keyof T]?: T[K] extends Record<string, unknown> ? PatchOf<T[K]> : T[K] | null;
};

/** One leaf of the table, with its names on every surface. */
export interface Leaf {
  readonly path: readonly string[];
  /** Dotted JSON path, e.g. `streaming.stallMs`. */
  readonly key: string;
  readonly env: string;
  readonly flag: string;
  readonly field: Field;
}

const words = (camel: string): string[] =>
  camel
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(' ');

function collect(section: Section, prefix: string[], out: Leaf[]): Leaf[] {
  for (const [name, node] of Object.entries(section)) {
    const path = [...prefix, name];
    if (!isField(node)) {
      collect(node, path, out);
      continue;
    }
    const w = path.flatMap(words);
    out.push({
      path,
      key: path.join('.'),
      env: `TUNERBRIDGE_${w.join('_').toUpperCase()}`,
      flag: `--${w.join('-')}`,
      field: node,
    });
  }
  return out;
}

/** All settings in table order. */
export const LEAVES: readonly Leaf[] = collect(SETTINGS, [], []);

function valueOf(section: Section): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, node] of Object.entries(section)) {
    out[name] = isField(node) ? structuredClone(node.default) : valueOf(node);
  }
  return out;
}

/** A fresh object holding every default. */
export function defaultSettings(): Settings {
  return valueOf(SETTINGS) as Settings;
}

type JsonSchema = Record<string, unknown>;

function fieldSchema(f: Field): JsonSchema {
  const doc = { description: f.description, default: f.default };
  switch (f.kind) {
    case 'integer':
      return { type: 'integer', minimum: f.min, maximum: f.max, ...doc };
    case 'boolean':
      return { type: 'boolean', ...doc };
    case 'string':
      return {
        type: 'string',
        ...(f.required ? { minLength: 1 } : {}),
        ...(f.pattern ? { pattern: f.pattern } : {}),
        ...doc,
      };
    case 'enum':
      return { type: 'string', enum: [...f.values], ...doc };
    case 'duration':
      return { type: 'string', pattern: DURATION_PATTERN, ...doc };
    case 'list': {
      const items: JsonSchema = f.values
        ? { type: 'string', enum: [...f.values] }
        : { type: 'string', minLength: 1, ...(f.pattern ? { pattern: f.pattern } : {}) };
      return { type: 'array', items, ...(f.values ? { uniqueItems: true } : {}), ...doc };
    }
    case 'webhooks':
      return {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['url', 'events'],
          properties: {
            url: { type: 'string', pattern: '^https?://\\S+$' },
            events: { type: 'array', items: { type: 'string', minLength: 1 } },
            secret: { type: 'string' },
          },
        },
        ...doc,
      };
  }
}

function sectionSchema(section: Section): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, node] of Object.entries(section)) {
    properties[name] = isField(node) ? fieldSchema(node) : sectionSchema(node);
  }
  return { type: 'object', additionalProperties: false, properties };
}

/**
 * The settings schema without `$schema`, as conf and Ajv compile it. Only keywords that mean the same in
 * draft-07 and 2020-12 are used (conf 15 compiles with Ajv's 2020-12 class).
 */
export const settingsSchema: JsonSchema = sectionSchema(SETTINGS);

/** The same schema labelled draft-07, for editors and documentation. */
export function settingsJsonSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'tunerbridge settings',
    ...settingsSchema,
  };
}
