import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { startFakeProvider, type FakeProvider } from '../fake-provider/server.js';
import { FakeStreams, prepareClip, type LoopClip } from '../fake-provider/streams.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openUpstream } from '../../src/stream/upstream/open.js';
import { DEFAULT_HLS } from '../../src/stream/upstream/hls.js';
import type { Upstream, UpstreamError } from '../../src/stream/upstream/types.js';
import { demoClips } from '../../src/media/assets.js';
import { PacketAligner } from '../../src/ts/aligner.js';
import { StreamAnalyzer } from '../../src/ts/analyzer.js';
import type { StreamCandidate } from '../../src/model.js';

const timeouts = { connectMs: 1000, headersMs: 1000, bodyMs: 3000 };
let clip: LoopClip;
let streams: FakeStreams;
let fake: FakeProvider;
const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

beforeAll(async () => {
  clip = prepareClip(await readFile(demoClips()[0]!.file));
  streams = new FakeStreams({
    good: { clip },
    html: { clip, fault: { kind: 'html200', contentType: 'video/mp2t' } },
    gone: { clip, fault: { kind: 'status', status: 404 } },
    refuse: { clip, fault: { kind: 'refuse' } },
    slow: { clip, fault: { kind: 'slowHeaders', delayMs: 3000 } },
    hls: { clip, hls: { aesKey: key, discontinuityEvery: 3 } },
    master: { clip, hls: { master: true } },
  });
  fake = await startFakeProvider({
    username: 'alice',
    password: 's3cret',
    onStream: streams.handler,
    streamRedirect: true,
  });
});
afterAll(async () => {
  streams.closeAll();
  await fake.close();
});

function cand(id: string, kind: StreamCandidate['kind'] = 'ts', ext = 'ts'): StreamCandidate {
  return {
    sourceId: 'src',
    accountKey: 'alice',
    url: `${fake.url}/live/alice/s3cret/${id}.${ext}`,
    label: `${id}`,
    headers: { 'User-Agent': 'TestAgent/1.0' },
    priority: 0,
    name: id,
    streamId: id,
    quality: 0,
    kind,
  };
}

interface Collected {
  analyzer: StreamAnalyzer;
  bytes: number;
  splices: string[];
  ended?: UpstreamError;
  firstAt?: number;
}

function collect(up: Upstream): Collected {
  const aligner = new PacketAligner();
  const c: Collected = { analyzer: new StreamAnalyzer(), bytes: 0, splices: [] };
  up.start({
    data: (b) => {
      c.firstAt ??= performance.now();
      c.bytes += b.length;
      c.analyzer.push(aligner.push(b));
    },
    splice: (r) => {
      c.splices.push(r);
      aligner.reset();
    },
    end: (e) => (c.ended = e),
  });
  return c;
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('HTTP MPEG-TS upstream', () => {
  it('follows the token redirect with the source headers, delivers decodable TS, closes its socket', async () => {
    const up = await openUpstream(cand('good'), { timeouts });
    const c = collect(up);
    await until(() => c.analyzer.ready());
    expect(c.analyzer.state.videoCodec).toBe('h264');
    const lb = fake.state.requests.filter((r) => r.path.startsWith('/sauth/'));
    expect(lb.at(-1)?.userAgent).toBe('TestAgent/1.0');
    await up.close();
    // close() resolves only once the socket is gone: the provider has seen the connection close.
    await until(() => streams.openCount('alice') === 0, 1000);
    expect(c.ended).toBeUndefined();
  });

  it.each([
    ['html', 'not-ts'],
    ['gone', 'http-status'],
    ['refuse', 'reset'],
  ])('fails fast on %s', async (id, code) => {
    const t0 = performance.now();
    const err = await openUpstream(cand(id), { timeouts }).then(
      (up) =>
        new Promise<UpstreamError | undefined>((resolve) => {
          const c = collect(up);
          void until(() => c.ended !== undefined).then(() => up.close().then(() => resolve(c.ended)));
        }),
      (e: UpstreamError) => e,
    );
    expect(err?.code).toBe(code);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(String(err?.message)).not.toContain('s3cret');
  });

  it('times out on slow headers', async () => {
    const err = await openUpstream(cand('slow'), { timeouts: { ...timeouts, headersMs: 300 } }).catch(
      (e: UpstreamError) => e,
    );
    expect((err as UpstreamError).code).toBe('timeout');
  });
});

describe('HLS upstream', () => {
  it('plays an AES-128 live playlist in real time and reports discontinuities as splices', async () => {
    const up = await openUpstream(cand('hls', 'auto', 'm3u8'), {
      timeouts,
      hls: { startSegments: 2, maxBandwidth: Infinity, leadMs: 500 },
    });
    expect(up.kind).toBe('hls');
    const t0 = performance.now();
    const c = collect(up);
    await until(() => c.analyzer.ready(), 5000);
    expect(c.analyzer.state.corruptPackets).toBe(0);
    const seconds = clip.durationTicks / 90_000;
    // Wait long enough to cross a discontinuity (every 3rd segment).
    await until(() => c.splices.length > 0, (seconds * 4 + 2) * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    const bitrate = clip.data.length / seconds;
    // Paced: no more than lead + elapsed worth of media has been released.
    expect(c.bytes).toBeLessThan(bitrate * (elapsed + 0.5 + seconds));
    expect(c.splices[0]).toBe('hls-discontinuity');
    expect(c.ended).toBeUndefined();
    await up.close();
  }, 20_000);

  it('picks one variant of a master playlist and stays on it', async () => {
    const up = await openUpstream(cand('master', 'hls', 'm3u8'), {
      timeouts,
      hls: { startSegments: 1, maxBandwidth: 1_000_000, leadMs: 500 },
    });
    const c = collect(up);
    await until(() => c.analyzer.ready());
    await up.close();
    const paths = fake.state.requests.map((r) => r.path);
    expect(paths.some((p) => p.includes('master_v1'))).toBe(true);
    expect(paths.some((p) => p.includes('master_v2'))).toBe(false);
  });

  it('fails fMP4 (CMAF) playlists with code fmp4, or passes them on for ffmpeg: init once, then fragments', async () => {
    // A live playlist of fMP4 fragments (bytes are markers: only ffmpeg reads MP4) with the init
    // segment as a byte range of a larger file, as CMAF packagers do.
    const initFile = Buffer.concat([Buffer.from('junk-'), Buffer.from('INIT'), Buffer.from('-tail')]);
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(`${req.url} ${req.headers.range ?? ''}`);
      if (req.url === '/live.m3u8') {
        res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
        res.end(
          '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:10\n' +
            '#EXT-X-MAP:URI="init.mp4",BYTERANGE="4@5"\n' +
            '#EXTINF:1.0,\nf10.m4s\n#EXTINF:1.0,\nf11.m4s\n#EXTINF:1.0,\nf12.m4s\n',
        );
      } else if (req.url === '/init.mp4') {
        const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
        if (!m) return void res.writeHead(200).end(initFile);
        res.writeHead(206).end(initFile.subarray(Number(m[1]), Number(m[2]) + 1));
      } else res.writeHead(200).end(`[${req.url?.slice(1, 4)}]`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/live.m3u8`;
    const c: StreamCandidate = { ...cand('x'), url, kind: 'hls' };
    try {
      const plain = await openUpstream(c, { timeouts, hls: DEFAULT_HLS });
      const failed = collect(plain);
      await until(() => failed.ended !== undefined);
      expect(failed.ended?.code).toBe('fmp4');
      await plain.close();

      const up = await openUpstream(c, { timeouts, hls: { ...DEFAULT_HLS, fmp4: true } });
      const got: Buffer[] = [];
      up.start({ data: (b) => void got.push(b), splice: () => {}, end: () => {} });
      // Three fragments from the start window, then reloads of the unchanged playlist.
      await until(() => Buffer.concat(got).toString().endsWith('[f12]'));
      await new Promise((r) => setTimeout(r, 700));
      await up.close();
      expect(Buffer.concat(got).toString()).toBe('INIT[f10][f11][f12]');
      expect(requests.filter((r) => r.startsWith('/init.mp4'))).toEqual(['/init.mp4 bytes=5-8']);
    } finally {
      server.close();
    }
  });
});
