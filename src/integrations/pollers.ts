// Optional pollers that release tuners nobody watches any more: TVHeadend and Channels DVR sometimes keep
// an HTTP stream open after the viewer stopped. Every poll reads the media server's activity; a session
// that server was fed and that is missing from its activity for two polls in a row is killed.
// Off unless a URL is configured. Credentials in the URL (http://user:pass@host) are sent as HTTP Basic,
// or as Digest once the server asks for it (TVHeadend's default).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import { maskUrl, registerSecret } from '../util/redact.js';
import { digestAuthorization, parseDigestChallenge, type DigestChallenge } from './digest.js';
import type { SessionView } from '../api/ports.js';
import {
  IdleReleaser,
  parseChannelsDvrActivity,
  parseTvheadendSubscriptions,
  type Watched,
} from './activity.js';

export interface MediaServerPoll {
  /** Base URL of the server; empty = this poller is off. */
  readonly url: string;
  readonly intervalMs?: number;
  /**
   * Client addresses of this server as we see them; default: the URL host's addresses. Only sessions with
   * a client at one of these addresses are judged.
   */
  readonly clientAddresses?: readonly string[];
}

export interface PollerOptions {
  readonly tvheadend?: MediaServerPoll;
  readonly channelsDvr?: MediaServerPoll;
  /** Consecutive polls without the channel before it is released (default 2). */
  readonly missesBeforeRelease?: number;
  readonly timeoutMs?: number;
}

export interface SessionsControl {
  sessions(): readonly SessionView[];
  kill(guideNumber: string): unknown;
}

interface Kind {
  readonly name: string;
  readonly path: string;
  readonly parse: (body: unknown) => Watched;
}

const TVHEADEND: Kind = {
  name: 'tvheadend',
  path: '/api/status/subscriptions',
  parse: parseTvheadendSubscriptions,
};
const CHANNELS: Kind = { name: 'channels-dvr', path: '/dvr', parse: parseChannelsDvrActivity };

const plain = (a: string): string => (a.startsWith('::ffff:') ? a.slice(7) : a);

/** Split `http://user:pass@host/x` into a credential-free URL and a Basic authorization header. */
export function splitCredentials(raw: string): {
  url: URL;
  authorization?: string;
  credentials?: { username: string; password: string };
} {
  const url = new URL(raw);
  if (!url.username && !url.password) return { url };
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  registerSecret(password);
  url.username = '';
  url.password = '';
  return {
    url,
    authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
    credentials: { username, password },
  };
}

function startOne(
  kind: Kind,
  cfg: MediaServerPoll,
  sessions: SessionsControl,
  logger: Logger,
  opts: PollerOptions,
  signal: AbortSignal,
): () => void {
  const { url, authorization, credentials } = splitCredentials(cfg.url);
  // Once the server asked for Digest, every poll answers its challenge (and Basic is never sent again).
  let challenge: DigestChallenge | undefined;
  let uses = 0;
  const endpoint = new URL(kind.path.replace(/^\//, ''), url.href.endsWith('/') ? url.href : `${url.href}/`);
  const shown = maskUrl(cfg.url);
  let addresses: Set<string> | undefined = cfg.clientAddresses
    ? new Set(cfg.clientAddresses.map(plain))
    : undefined;
  const releaser = new IdleReleaser(opts.missesBeforeRelease ?? 2, (s) =>
    (s.clients ?? []).some((c) => !!c.address && !!addresses?.has(plain(c.address))),
  );
  let failing = false;
  let timer: NodeJS.Timeout | undefined;

  const poll = async (): Promise<void> => {
    if (!addresses) {
      const host = url.hostname.replace(/^\[|\]$/g, '');
      addresses = isIP(host)
        ? new Set([host])
        : new Set((await lookup(host, { all: true })).map((a) => a.address));
    }
    const auth = (): string | undefined =>
      challenge && credentials
        ? digestAuthorization(challenge, {
            ...credentials,
            method: 'GET',
            uri: endpoint.pathname + endpoint.search,
            count: ++uses,
          })
        : authorization;
    const get = (header: string | undefined): Promise<Response> =>
      fetch(endpoint, {
        headers: { accept: 'application/json', ...(header ? { authorization: header } : {}) },
        signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs ?? 5000)]),
      });
    let res = await get(auth());
    const asked =
      res.status === 401 && credentials && parseDigestChallenge(res.headers.get('www-authenticate'));
    if (asked) {
      // A first Digest challenge, or a new nonce (stale): answer it once.
      await res.body?.cancel().catch(() => undefined);
      challenge = asked;
      uses = 0;
      res = await get(auth());
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`HTTP ${res.status}`);
    }
    const watched = kind.parse(await res.json());
    for (const gn of releaser.observe(sessions.sessions(), watched)) {
      logger.info(
        { channel: gn, integration: kind.name },
        `releasing tuner: ${kind.name} no longer watches this channel`,
      );
      await Promise.resolve(sessions.kill(gn)).catch((err: unknown) =>
        logger.warn({ channel: gn, err: (err as Error)?.message }, 'release failed'),
      );
    }
  };

  const loop = async (): Promise<void> => {
    try {
      await poll();
      if (failing) logger.info({ integration: kind.name, url: shown }, 'media server reachable again');
      failing = false;
    } catch (err) {
      if (signal.aborted) return;
      // Unknown activity: judge nothing this round (never release on a failed poll). Log once per outage.
      if (!failing)
        logger.warn(
          { integration: kind.name, url: shown, err: maskUrl((err as Error).message) },
          'media server poll failed',
        );
      failing = true;
    }
    if (!signal.aborted) schedule();
  };
  // Unref'd: pollers never keep the process alive on their own.
  const schedule = (): void => {
    timer = setTimeout(() => void loop(), cfg.intervalMs ?? 30_000);
    timer.unref();
  };
  schedule();
  return () => clearTimeout(timer);
}

export function startPollers(
  opts: PollerOptions,
  sessions: SessionsControl,
  logger: Logger,
): { stop(): void } {
  const abort = new AbortController();
  const stops: (() => void)[] = [];
  if (opts.tvheadend?.url)
    stops.push(startOne(TVHEADEND, opts.tvheadend, sessions, logger, opts, abort.signal));
  if (opts.channelsDvr?.url)
    stops.push(startOne(CHANNELS, opts.channelsDvr, sessions, logger, opts, abort.signal));
  return {
    stop() {
      abort.abort();
      for (const s of stops) s();
    },
  };
}
