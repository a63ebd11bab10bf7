// HLS live → TS: polls a media playlist (picking one variant of a master once and staying on
// it), fetches segments in order over the connection's keep-alive sockets, decrypts AES-128,
// and hands the TS bytes to a PCR pacer so the session sees a real-time stream. fMP4 (CMAF)
// segments have no PCR and are not TS: they fail with code 'fmp4' unless `fmp4` is set, and then
// go out unpaced, each init segment once before its fragments, for the ffmpeg normaliser (which
// reads them at their native rate).
// Reload timing follows RFC 8216 §6.3.4 as hls.js does: one target duration after the start of
// the previous request when the playlist changed, half of it when it did not.
import { createDecipheriv } from 'node:crypto';
import { parse, setOptions, type types } from 'hls-parser';
import { Pacer } from '../pacer.js';
import { discard, type HttpConnection } from './http.js';
import { UpstreamError, toUpstreamError, type Upstream, type UpstreamSink } from './types.js';

setOptions({ silent: true, strictMode: false });

export interface HlsOptions {
  /** Start this many segments back from the live edge (1 = newest segment only). */
  readonly startSegments: number;
  /** Prefer the highest-bandwidth variant at or below this (bits/s); Infinity = best. */
  readonly maxBandwidth: number;
  /** Initial release burst of the pacer (ms). */
  readonly leadMs: number;
  /** Pass fMP4 segments through (for the ffmpeg normaliser) instead of failing. */
  readonly fmp4?: boolean;
}

export const DEFAULT_HLS: HlsOptions = { startSegments: 3, maxBandwidth: Infinity, leadMs: 1000 };

type MediaPlaylist = types.MediaPlaylist;
type MasterPlaylist = types.MasterPlaylist;

export function parsePlaylist(text: string): MediaPlaylist | MasterPlaylist {
  if (!text.trimStart().startsWith('#EXTM3U')) throw new UpstreamError('hls', 'not an HLS playlist');
  try {
    return parse(text) as MediaPlaylist | MasterPlaylist;
  } catch {
    throw new UpstreamError('hls', 'unparsable playlist');
  }
}

/** One variant for the whole session: the best bandwidth under the cap, else the lowest. */
export function pickVariant(master: MasterPlaylist, maxBandwidth: number): types.Variant | undefined {
  const vs = master.variants.filter((v) => !v.isIFrameOnly);
  const under = vs.filter((v) => v.bandwidth <= maxBandwidth).sort((a, b) => b.bandwidth - a.bandwidth);
  return under[0] ?? [...vs].sort((a, b) => a.bandwidth - b.bandwidth)[0];
}

/** Delay before the next reload, measured from the start of the previous request (ms). */
export function reloadDelayMs(targetDurationS: number, changed: boolean): number {
  const target = Math.max(1, targetDurationS) * 1000;
  return changed ? target : target / 2;
}

/** AES-128 IV: explicit, else the media sequence number as a 128-bit big-endian integer. */
export function segmentIv(key: types.Key, sequence: number): Buffer {
  if (key.iv) return Buffer.from(key.iv);
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(Math.floor(sequence / 2 ** 32) >>> 0, 8);
  iv.writeUInt32BE(sequence >>> 0, 12);
  return iv;
}

export class HlsUpstream implements Upstream {
  readonly kind = 'hls';
  private readonly abort = new AbortController();
  private readonly keys = new Map<string, Buffer>();
  private pacer?: Pacer;
  private sink?: UpstreamSink;
  private ended = false;
  private nextSeq?: number;
  private lastSeenSeq = -1;
  private variantChosen = false;
  /** A segment has been delivered (a later discontinuity is a splice). */
  private started = false;
  private playlistUrl: string;
  /** The fMP4 init segment sent last (URL and byte range). */
  private initSent = '';
  /** Target duration of the media playlist once known (s), for the validation bound. */
  targetDuration = 0;

  constructor(
    private readonly conn: HttpConnection,
    url: string,
    private readonly headers: Readonly<Record<string, string>>,
    private readonly opts: HlsOptions = DEFAULT_HLS,
    private first?: { url: string; text: string },
  ) {
    this.playlistUrl = url;
  }

  start(sink: UpstreamSink): void {
    this.sink = sink;
    this.pacer = new Pacer(
      { data: (b) => sink.data(b), splice: (r) => sink.splice(r) },
      { leadMs: this.opts.leadMs },
    );
    void this.run().catch((err: unknown) => this.finish(toUpstreamError(err)));
  }

  async close(): Promise<void> {
    this.ended = true;
    this.abort.abort();
    this.pacer?.stop();
    await this.conn.close();
  }

  private finish(err: UpstreamError): void {
    if (this.ended) return;
    this.ended = true;
    this.sink?.end(err);
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.ended) return;
      const started = performance.now();
      const pl = await this.loadPlaylist();
      if (pl.isMasterPlaylist) {
        if (this.variantChosen) throw new UpstreamError('hls', 'variant playlist is a master playlist');
        const v = pickVariant(pl, this.opts.maxBandwidth);
        if (!v) throw new UpstreamError('hls', 'master playlist without variants');
        this.variantChosen = true;
        this.playlistUrl = new URL(v.uri, this.playlistUrl).href;
        continue;
      }
      this.variantChosen = true;
      this.targetDuration = pl.targetDuration;
      const changed = await this.fetchNew(pl);
      if (pl.endlist && this.nextSeq !== undefined && this.nextSeq > lastSeq(pl)) {
        throw new UpstreamError('eof', 'HLS stream ended (ENDLIST)');
      }
      const wait = reloadDelayMs(pl.targetDuration, changed) - (performance.now() - started);
      if (wait > 0) await sleep(wait, this.abort.signal);
    }
  }

  private async loadPlaylist(): Promise<MediaPlaylist | MasterPlaylist> {
    let text: string;
    if (this.first) {
      ({ url: this.playlistUrl, text } = this.first);
      this.first = undefined;
    } else {
      const r = await this.conn.getBuffer(this.playlistUrl, this.headers, this.abort.signal, 4 << 20);
      this.playlistUrl = r.url;
      text = r.data.toString('utf8');
    }
    return parsePlaylist(text);
  }

  /** Fetch every segment not yet delivered; returns whether the playlist had anything new. */
  private async fetchNew(pl: MediaPlaylist): Promise<boolean> {
    const segs = pl.segments;
    if (segs.length === 0) return false;
    const firstSeq = segs[0]!.mediaSequenceNumber;
    const last = lastSeq(pl);
    const changed = last > this.lastSeenSeq;
    this.lastSeenSeq = Math.max(this.lastSeenSeq, last);
    if (this.nextSeq === undefined) {
      this.nextSeq = Math.max(firstSeq, last - this.opts.startSegments + 1);
    } else if (this.nextSeq < firstSeq || this.nextSeq > last + 1) {
      // We fell behind the window, or the origin restarted its numbering: resume at the edge.
      this.nextSeq = Math.max(firstSeq, last - this.opts.startSegments + 1);
      this.pacer!.splice('hls-sequence-jump');
    }
    for (const seg of segs) {
      if (this.ended) return changed;
      if (seg.mediaSequenceNumber < this.nextSeq) continue;
      if (seg.discontinuity && this.started) this.pacer!.splice('hls-discontinuity');
      await this.fetchSegment(seg);
      this.started = true;
      this.nextSeq = seg.mediaSequenceNumber + 1;
    }
    return changed;
  }

  private async fetchSegment(seg: types.Segment): Promise<void> {
    if (seg.map && !this.opts.fmp4)
      throw new UpstreamError('fmp4', 'fMP4 segments need the ffmpeg normaliser');
    // fMP4 goes to ffmpeg as it is: no PCR to pace by (ffmpeg reads at the native rate).
    const push = seg.map ? (b: Buffer) => this.sink!.data(b) : (b: Buffer) => this.pacer!.push(b);
    if (seg.map) await this.sendInit(seg.map);
    const url = new URL(seg.uri, this.playlistUrl).href;
    const key = seg.key && seg.key.method !== 'NONE' ? seg.key : undefined;
    if (key && key.method !== 'AES-128')
      throw new UpstreamError('hls', `unsupported encryption ${key.method}`);
    const decipher = key
      ? createDecipheriv('aes-128-cbc', await this.keyFor(key), segmentIv(key, seg.mediaSequenceNumber))
      : undefined;
    const res = await this.conn.get(url, this.headers, this.abort.signal);
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (this.ended) break;
        const out = decipher ? decipher.update(chunk) : chunk;
        if (out.length > 0) push(out);
      }
      if (decipher && !this.ended) {
        let tail: Buffer;
        try {
          tail = decipher.final();
        } catch {
          throw new UpstreamError('hls', 'segment decryption failed');
        }
        if (tail.length > 0) push(tail);
      }
    } finally {
      discard(res.body);
    }
  }

  /** The init segment (EXT-X-MAP) before the first fragment that uses it. */
  private async sendInit(map: types.MediaInitializationSection): Promise<void> {
    const url = new URL(map.uri, this.playlistUrl).href;
    const range = map.byterange;
    const id = range ? `${url}#${range.offset ?? 0}+${range.length}` : url;
    if (id === this.initSent) return;
    const headers = range
      ? { ...this.headers, range: `bytes=${range.offset ?? 0}-${(range.offset ?? 0) + range.length - 1}` }
      : this.headers;
    const init = (await this.conn.getBuffer(url, headers, this.abort.signal, 4 << 20)).data;
    this.initSent = id;
    this.sink!.data(init);
  }

  private async keyFor(key: types.Key): Promise<Buffer> {
    if (!key.uri) throw new UpstreamError('hls', 'AES-128 key without URI');
    const url = new URL(key.uri, this.playlistUrl).href;
    let k = this.keys.get(url);
    if (!k) {
      k = (await this.conn.getBuffer(url, this.headers, this.abort.signal, 1024)).data;
      if (k.length !== 16) throw new UpstreamError('hls', 'AES-128 key is not 16 bytes');
      this.keys.set(url, k);
    }
    return k;
  }
}

function lastSeq(pl: MediaPlaylist): number {
  const segs = pl.segments;
  return segs.length > 0 ? segs[segs.length - 1]!.mediaSequenceNumber : -1;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
