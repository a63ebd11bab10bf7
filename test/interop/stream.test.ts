// Interop: the streaming core with real ffmpeg/ffprobe (Debian). ffmpeg normalises a source
// whose codecs differ from the channel (MPEG-2/MP2 → H.264/AAC), and the ffmpeg CLI — what Plex,
// Jellyfin and Emby run on a tuner URL — reads our HTTP output across a failover to a source
// with other PIDs and another clock, and must see one continuous programme. Loopback only:
//   ../shared/tools/netns-run npx vitest run --config vitest.interop.config.ts test/interop/stream.test.ts
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { remapClip } from '../fake-provider/streams.js';
import { loadClips, record, rig, sleep, until } from '../stream/harness.js';
import type { SwitchRecord } from '../../src/stream/session-manager.js';
import { requireProgram, runProgram } from './helpers/env.js';
import { demoClips } from '../../src/media/assets.js';

interface ProbeJson {
  streams: { codec_name: string; codec_type: string; width?: number; nb_read_frames?: string }[];
  packets: { stream_index: number; dts?: number; pts?: number }[];
}

async function ffprobe(file: string): Promise<ProbeJson> {
  const bin = requireProgram('ffprobe');
  const r = await runProgram(bin, ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,codec_type,width,nb_read_frames:packet=stream_index,dts,pts', '-of', 'json', file], { timeoutMs: 60_000 }); // prettier-ignore
  if (r.code !== 0) throw new Error(`ffprobe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ProbeJson;
}

function nonMonotonic(p: ProbeJson): number {
  const last = new Map<number, number>();
  let bad = 0;
  for (const k of p.packets) {
    const t = k.dts ?? k.pts;
    if (t === undefined) continue;
    if ((last.get(k.stream_index) ?? -Infinity) >= t) bad++;
    last.set(k.stream_index, t);
  }
  return bad;
}

describe('streaming core with real ffmpeg', () => {
  it('normalises a source with other codecs (MPEG-2/MP2) through ffmpeg and splices it in', async () => {
    const ffmpeg = requireProgram('ffmpeg');
    const { main, mpeg2 } = await loadClips();
    const r = await rig(
      { a: { clip: main, fault: { kind: 'eof', afterBytes: 150_000 } }, b: { clip: mpeg2 } },
      { options: { ffmpegPath: ffmpeg, validateTimeoutMs: 5000, probeIntervalMs: 60_000 } },
    );
    onTestFinished(() => r.close());
    const sw: SwitchRecord[] = [];
    r.mgr.on('switch', (s: SwitchRecord) => sw.push(s));
    const rec = record(r.mgr);
    await r.mgr.attach(r.channel([{ id: 'a' }, { id: 'b' }]), rec.sink, { client: 'c' });
    await until(() => sw.some((s) => s.to.includes('/b')), 15_000, 'switch to the normalised source');
    await sleep(3000);
    expect(r.mgr.sessions()[0]?.upstreamKind).toMatch(/^ffmpeg\(ts,h264\/aac\)/);
    const rep = rec.check();
    expect(rep.ccErrors).toBe(0);
    expect(rep.unexpectedPids).toEqual([]);
    expect(rep.pcrViolations).toEqual([]);
    expect(rec.maxSilenceMs()).toBeLessThan(1000);
    const dir = await mkdtemp('/tmp/tb-stream-');
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(`${dir}/out.ts`, rec.bytes());
    const p = await ffprobe(`${dir}/out.ts`);
    expect(p.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(new Set(p.streams.filter((s) => s.codec_type === 'video').map((s) => s.width))).toEqual(
      new Set([1280]),
    );
    expect(nonMonotonic(p)).toBe(0);
    expect(r.streams.maxConcurrent('alice')).toBeLessThanOrEqual(r.limit.max);
  }, 60_000);

  it('plays an fMP4 (CMAF) HLS source by reading it through ffmpeg', async () => {
    const ffmpeg = requireProgram('ffmpeg');
    const dir = await mkdtemp('/tmp/tb-fmp4-');
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    // 1 s fMP4 fragments of the demo clip, served as a live window that moves 1 fragment a second.
    const made = await runProgram(ffmpeg, ['-v', 'error', '-i', demoClips()[0]!.file, '-c', 'copy', '-bsf:a', 'aac_adtstoasc', '-f', 'hls', '-hls_time', '1', '-hls_segment_type', 'fmp4', '-hls_list_size', '0', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', `${dir}/f%d.m4s`, `${dir}/full.m3u8`], { timeoutMs: 30_000 }); // prettier-ignore
    expect(made.code, made.stderr).toBe(0);
    const frags = (await readFile(`${dir}/full.m3u8`, 'utf8')).match(/^f\d+\.m4s$/gm) ?? [];
    expect(frags.length).toBeGreaterThanOrEqual(6);
    let t0 = 0;
    const server = http.createServer((req, res) => {
      if (req.url === '/live.m3u8') {
        t0 ||= Date.now();
        const newest = Math.min(frags.length - 1, 2 + Math.floor((Date.now() - t0) / 1000));
        const first = Math.max(0, newest - 3);
        let pl = `#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:${first}\n#EXT-X-MAP:URI="init.mp4"\n`;
        for (let i = first; i <= newest; i++) pl += `#EXTINF:1.0,\nf${i}.m4s\n`;
        res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(pl);
        return;
      }
      readFile(`${dir}${req.url ?? ''}`).then(
        (b) => res.writeHead(200, { 'content-type': 'video/mp4' }).end(b),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => void server.close());
    const r = await rig(
      {},
      { options: { ffmpegPath: ffmpeg, validateTimeoutMs: 8000, probeIntervalMs: 60_000, stallMs: 2500 } },
    );
    onTestFinished(() => r.close());
    const channel = r.channel([{ id: 'x' }]);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/live.m3u8`;
    const cmaf = { ...channel, candidates: [{ ...channel.candidates[0]!, url, kind: 'hls' as const }] };
    const sw: SwitchRecord[] = [];
    r.mgr.on('switch', (x: SwitchRecord) => sw.push(x));
    const rec = record(r.mgr);
    await r.mgr.attach(cmaf, rec.sink, { client: 'c' });
    await until(
      () => /^ffmpeg/.test(r.mgr.sessions()[0]?.upstreamKind ?? ''),
      15_000,
      'ffmpeg reading the fMP4 source',
    );
    await until(() => rec.bytes().length > 200_000, 15_000, 'media through ffmpeg');
    await sleep(1500);
    const out = `${dir}/out.ts`;
    await writeFile(out, rec.bytes());
    const p = await ffprobe(out);
    expect(p.streams.map((st) => st.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(rec.check().ccErrors).toBe(0);
    // Once playing it kept playing: no failover, no silence a player would notice.
    expect(sw.filter((x) => x.reason !== 'start')).toEqual([]);
    expect(rec.maxSilenceMs()).toBeLessThan(1000);
  }, 60_000);

  it('the ffmpeg CLI reads our HTTP output through a failover to other PIDs and clock without a hitch', async () => {
    const ffmpeg = requireProgram('ffmpeg');
    const { main } = await loadClips();
    const other = remapClip(main, { pmt: 0x1100, video: 0x300, audio: 0x301 });
    const r = await rig(
      {
        a: { clip: main, fault: { kind: 'stall', afterBytes: 250_000 } },
        b: { clip: other, tsOffset: 50_000 * 90_000 },
      },
      { options: { probeIntervalMs: 60_000 } },
    );
    onTestFinished(() => r.close());
    const channel = r.channel([{ id: 'a' }, { id: 'b' }]);
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      res.socket?.setNoDelay(true);
      void r.mgr.attach(channel, res, { client: req.socket.remoteAddress ?? '?' });
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    onTestFinished(() => new Promise<void>((res) => server.close(() => res())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auto/v7`;
    const sw: SwitchRecord[] = [];
    r.mgr.on('switch', (s: SwitchRecord) => sw.push(s));
    // Like Plex/Jellyfin: ffmpeg reads the tuner URL and remuxes what it gets (no -copyts).
    const out = `/tmp/tb-stream-client-${process.pid}.ts`;
    onTestFinished(() => rm(out, { force: true }));
    const run = await runProgram(
      ffmpeg,
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'warning',
        '-i',
        url,
        '-map',
        '0',
        '-c',
        'copy',
        '-t',
        '9',
        '-y',
        '-f',
        'mpegts',
        out,
      ],
      { timeoutMs: 40_000 },
    );
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(0);
    expect(sw.some((s) => s.to.includes('/b'))).toBe(true);
    expect(run.stderr).not.toMatch(/Non-monotonous DTS|non monotonically increasing dts/i);
    const p = await ffprobe(out);
    const video = p.streams.find((s) => s.codec_type === 'video');
    // Both sources' video reached the client (ffmpeg drops streams that appear mid-run).
    expect(Number(video?.nb_read_frames)).toBeGreaterThan(25 * 6);
    expect(p.streams).toHaveLength(2);
    expect(nonMonotonic(p)).toBe(0);
  }, 60_000);
});
