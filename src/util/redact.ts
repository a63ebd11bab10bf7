// Credentials must never reach logs, lineups, playlists, the UI or error messages.
// Every secret a source definition holds is registered here, and `redact` masks it anywhere
// in a string; `maskUrl` also masks well-known credential positions in IPTV URLs.

const secrets = new Set<string>();

/** Register a secret (password, token, username of an Xtream account). Short values are ignored. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 3) secrets.add(value);
}

export function forgetSecrets(): void {
  secrets.clear();
}

const MASK = '***';

/** Mask Xtream path credentials (/live/USER/PASS/ID.ts) and credential query parameters. */
export function maskUrl(url: string): string {
  let out = url.replace(
    /\/(live|movie|series|timeshift)\/([^/?#]+)\/([^/?#]+)\//gi,
    (_m, kind: string) => `/${kind}/${MASK}/${MASK}/`,
  );
  out = out.replace(
    /([?&](?:username|password|user|pass|token|auth|key|api_key|apikey)=)[^&#]*/gi,
    (_m, k: string) => `${k}${MASK}`,
  );
  out = out.replace(/\/\/([^/@:]+):([^/@]+)@/, `//${MASK}:${MASK}@`);
  return redact(out);
}

/** Replace every registered secret occurring in `text`. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join(MASK);
    const enc = encodeURIComponent(s);
    if (enc !== s && out.includes(enc)) out = out.split(enc).join(MASK);
  }
  return out;
}
