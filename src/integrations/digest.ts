// HTTP Digest authentication (RFC 7616; RFC 2617's MD5 form), client side: TVHeadend's API
// answers 401 with a Digest challenge in its default "digest" mode, where Basic credentials fail.
// Pure functions: parse a challenge, compute the Authorization header.
import { createHash, randomBytes } from 'node:crypto';

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  /** `MD5` (default) or `SHA-256`, optionally `-sess`. */
  readonly algorithm: string;
  /** Whether the server offers `qop=auth` (otherwise the RFC 2069 form is used). */
  readonly qopAuth: boolean;
}

export interface DigestRequest {
  readonly username: string;
  readonly password: string;
  readonly method: string;
  /** Request target as sent: path and query. */
  readonly uri: string;
  /** Requests sent with this nonce so far, this one included (the `nc`). */
  readonly count: number;
  /** Client nonce; random when omitted. */
  readonly cnonce?: string;
}

const ALGORITHMS: Readonly<Record<string, string>> = { MD5: 'md5', 'SHA-256': 'sha256' };

/** The Digest challenge among `WWW-Authenticate` values, or undefined (none, or one we cannot answer). */
export function parseDigestChallenge(header: string | null | undefined): DigestChallenge | undefined {
  if (!header) return undefined;
  const at = header.search(/(^|[\s,])Digest\s/i);
  if (at === -1) return undefined;
  const params = new Map<string, string>();
  // key=value or key="quoted \"value\"", comma separated; stops at the next scheme's token.
  const re = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))/gy;
  let i = header.indexOf('Digest', at) + 'Digest'.length;
  for (;;) {
    while (i < header.length && /[\s,]/.test(header[i] as string)) i++;
    re.lastIndex = i;
    const m = re.exec(header);
    if (!m) break;
    params.set(
      (m[1] as string).toLowerCase(),
      m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? ''),
    );
    i = re.lastIndex;
  }
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const algorithm = (params.get('algorithm') ?? 'MD5').toUpperCase();
  if (realm === undefined || !nonce || !ALGORITHMS[algorithm.replace(/-SESS$/, '')]) return undefined;
  const qop = params.get('qop');
  if (qop !== undefined && !qop.split(',').some((q) => q.trim().toLowerCase() === 'auth')) return undefined;
  const opaque = params.get('opaque');
  return { realm, nonce, algorithm, qopAuth: qop !== undefined, ...(opaque !== undefined ? { opaque } : {}) };
}

const quote = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/** The `Authorization` header value answering `ch` for `req`. */
export function digestAuthorization(ch: DigestChallenge, req: DigestRequest): string {
  const sess = ch.algorithm.endsWith('-SESS');
  const hashName = ALGORITHMS[ch.algorithm.replace(/-SESS$/, '')] as string;
  const h = (s: string): string => createHash(hashName).update(s, 'utf8').digest('hex');
  const cnonce = req.cnonce ?? randomBytes(12).toString('hex');
  const nc = req.count.toString(16).padStart(8, '0');
  let ha1 = h(`${req.username}:${ch.realm}:${req.password}`);
  if (sess) ha1 = h(`${ha1}:${ch.nonce}:${cnonce}`);
  const ha2 = h(`${req.method}:${req.uri}`);
  const response = ch.qopAuth
    ? h(`${ha1}:${ch.nonce}:${nc}:${cnonce}:auth:${ha2}`)
    : h(`${ha1}:${ch.nonce}:${ha2}`);
  const parts = [
    `username=${quote(req.username)}`,
    `realm=${quote(ch.realm)}`,
    `nonce=${quote(ch.nonce)}`,
    `uri=${quote(req.uri)}`,
    `algorithm=${ch.algorithm}`,
    `response=${quote(response)}`,
  ];
  if (ch.qopAuth) parts.push('qop=auth', `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (ch.opaque !== undefined) parts.push(`opaque=${quote(ch.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}
