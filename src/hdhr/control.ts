// TCP control protocol (get/set of variables), pure part. One GETSET_REQ in, exactly one
// GETSET_RPY out: NAME first, then VALUE or ERROR_MESSAGE, strings NUL-terminated (reference §5).
import { encodeFrame, findTlv, type Frame, MAX_PAYLOAD, PacketType, Tag, tlvString } from './packet.js';

export interface GetSetRequest {
  readonly name: string;
  /** Present for a set (a set is also an implicit get). */
  readonly value?: string;
  /** GETSET_LOCKKEY when the client holds a tuner lock. */
  readonly lockkey?: number;
  /** IPv4 address of the requesting client (tuner locks record their owner). */
  readonly peer?: string;
}

export type GetSetResult = { readonly value: string } | { readonly error: string };

/**
 * A source of control variables. `getset` returns undefined for names it does not own, so
 * providers can be chained: native tuning can later put a provider for /tunerN/channel, target,
 * lockkey, … in front of the system one.
 */
export interface VariableProvider {
  getset(req: GetSetRequest): GetSetResult | undefined;
  /** Lines for `get help` (e.g. `/tuner<n>/channel <modulation>:<freq>`). */
  help?(): string[];
}

export const UNKNOWN_VARIABLE = 'ERROR: unknown getset variable';

/** First provider that answers wins; `help` lists every provider's lines, plus `help` itself. */
export function chainProviders(...providers: VariableProvider[]): VariableProvider {
  return {
    getset(req) {
      for (const p of providers) {
        const r = p.getset(req);
        if (r) return r;
      }
      return undefined;
    },
    help: () => providers.flatMap((p) => p.help?.() ?? []),
  };
}

export interface SystemInfo {
  /** `/sys/model`, e.g. hdhomerun4_atsc (TVHeadend picks the network type from it). */
  readonly firmwareName: string;
  /** `/sys/hwmodel`, e.g. HDHR4-2US. */
  readonly modelNumber: string;
  /** `/sys/version`, YYYYMMDD. */
  readonly firmwareVersion: string;
  /** Read per request: tuners come and go with the sources. */
  readonly tunerCount: () => number;
  /** `/sys/features`; default: what an ATSC model reports. */
  readonly features?: string;
}

export const IDLE_TUNER_STATUS = 'ch=none lock=none ss=0 snq=0 seq=0 bps=0 pps=0';
const DEFAULT_FEATURES =
  'channelmap: us-bcast us-cable us-hrc us-irc\nmodulation: 8vsb qam256 qam64\nauto-modulation: auto auto6t auto6c qam\n';
const COPYRIGHT = 'tunerbridge: HDHomeRun emulation for IPTV sources; not affiliated with Silicondust';
const READ_ONLY = 'ERROR: variable is read-only';

/** /sys/* and an idle /tunerN/status for each tuner. */
export function systemVariables(info: SystemInfo): VariableProvider {
  const fixed: Record<string, () => string> = {
    '/sys/model': () => info.firmwareName,
    '/sys/hwmodel': () => info.modelNumber,
    '/sys/version': () => info.firmwareVersion,
    '/sys/features': () => info.features ?? DEFAULT_FEATURES,
    '/sys/copyright': () => COPYRIGHT,
    '/sys/debug': () =>
      Array.from({ length: info.tunerCount() }, (_, i) => `t${i}: idle\n`).join('') || 'no tuners\n',
  };
  return {
    getset(req) {
      const tuner = /^\/tuner(\d{1,3})\/status$/.exec(req.name);
      const get =
        fixed[req.name] ??
        (tuner && Number(tuner[1]) < info.tunerCount() ? () => IDLE_TUNER_STATUS : undefined);
      if (!get) return undefined;
      return req.value === undefined ? { value: get() } : { error: READ_ONLY };
    },
    help: () => [...Object.keys(fixed), '/tuner<n>/status'],
  };
}

/** The `help` variable: lists what the providers offer, like a real device's `get help`. */
function helpText(vars: VariableProvider): string {
  const lines = [...new Set(vars.help?.() ?? [])].sort();
  return `Supported configuration options:\n${lines.join('\n')}\n`;
}

/** Read NAME / VALUE / LOCKKEY from a GETSET_REQ; undefined when there is no NAME. */
export function parseGetSet(frame: Frame): GetSetRequest | undefined {
  const name = findTlv(frame.tlvs, Tag.GETSET_NAME);
  if (!name) return undefined;
  const value = findTlv(frame.tlvs, Tag.GETSET_VALUE);
  const lock = findTlv(frame.tlvs, Tag.GETSET_LOCKKEY);
  return {
    name: tlvString(name),
    ...(value ? { value: tlvString(value) } : {}),
    ...(lock?.length === 4 ? { lockkey: lock.readUInt32BE(0) } : {}),
  };
}

/** Encode a reply, shortening an over-long value so the frame stays within 1452 payload bytes. */
export function encodeGetSetReply(name: string, result: GetSetResult): Buffer {
  // A name can only be as long as the request allowed; cap it so the reply always fits.
  const nameTlv = {
    tag: Tag.GETSET_NAME,
    value: Buffer.concat([Buffer.from(name, 'utf8').subarray(0, 512), Buffer.of(0)]),
  };
  const [tag, text] =
    'value' in result ? [Tag.GETSET_VALUE, result.value] : [Tag.ERROR_MESSAGE, result.error];
  // name TLV + tag + 2 length bytes + NUL
  const room = MAX_PAYLOAD - (2 + nameTlv.value.length + (nameTlv.value.length > 127 ? 1 : 0)) - 4;
  let bytes = Buffer.from(text, 'utf8');
  if (bytes.length > room) bytes = bytes.subarray(0, Math.max(0, room));
  return encodeFrame(PacketType.GETSET_RPY, [nameTlv, { tag, value: Buffer.concat([bytes, Buffer.of(0)]) }]);
}

/** Answer one GETSET_REQ frame with exactly one GETSET_RPY frame. */
export function handleGetSet(frame: Frame, vars: VariableProvider, peer?: string): Buffer {
  const parsed = parseGetSet(frame);
  const req = parsed && peer ? { ...parsed, peer } : parsed;
  if (!req) return encodeGetSetReply('', { error: 'ERROR: missing variable name' });
  if (req.name === 'help') {
    return encodeGetSetReply(
      req.name,
      req.value === undefined ? { value: helpText(vars) } : { error: READ_ONLY },
    );
  }
  return encodeGetSetReply(req.name, vars.getset(req) ?? { error: UNKNOWN_VARIABLE });
}
