import { describe, expect, it } from 'vitest';
import { sniffBody, kindFromContentType } from '../../src/stream/sniff.js';
import { buildFfmpegArgs, parseSpeed } from '../../src/stream/upstream/ffmpeg-args.js';
import { Watchdog, DEFAULT_WATCHDOG } from '../../src/stream/watchdog.js';
import { parsePlaylist, pickVariant, reloadDelayMs, segmentIv } from '../../src/stream/upstream/hls.js';
import { toUpstreamError } from '../../src/stream/upstream/types.js';
import type { types } from 'hls-parser';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('sniffBody', () => {
  it.each([
    ['TS sync byte', [0x47, 0x40, 0x00, 0x10], 'ts'],
    ['HTML error page', b('<html><body>EC: 4004</body></html>'), 'text'],
    ['HTML after BOM and spaces', Buffer.from('\ufeff  <!DOCTYPE html>', 'utf8'), 'text'],
    [
      'playlist after BOM',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b('#EXTM3U\n#EXT-X-VERSION:3')]),
      'hls',
    ],
    ['playlist after CRLF', b('\r\n#EXTM3U\n'), 'hls'],
    ['JSON object', b('{"user_info":{"auth":0}}'), 'text'],
    ['JSON array', b('[]'), 'text'],
    ['plain-text message', b('Access denied: line expired!'), 'text'],
    ['too short to tell', b('short'), 'unknown'],
    ['binary garbage (aligner resyncs)', [0x00, 0x47, 0x12, 0xff, 0x80, 0x01, 0x02, 0x03, 0x04], 'unknown'],
    ['empty', [], 'unknown'],
  ])('%s → %s', (_name, bytes, kind) => {
    expect(sniffBody(Buffer.from(bytes as Uint8Array))).toBe(kind);
  });

  it('classifies content types', () => {
    expect(kindFromContentType('application/vnd.apple.mpegurl')).toBe('hls');
    expect(kindFromContentType('audio/x-mpegURL; charset=utf-8')).toBe('hls');
    expect(kindFromContentType('text/html; charset=utf-8')).toBe('text');
    expect(kindFromContentType('application/json')).toBe('text');
    expect(kindFromContentType('video/mp2t')).toBe('unknown');
    expect(kindFromContentType('application/octet-stream')).toBe('unknown');
  });
});

describe('ffmpeg argument builder', () => {
  it('remux profile: fast probing, no -copyts, fixed output layout, pipe in and out', () => {
    expect(buildFfmpegArgs({ video: 'copy', audio: 'copy' })).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'warning', '-progress', 'pipe:2',
      '-probesize', '32768', '-analyzeduration', '500000',
      '-fflags', '+genpts+discardcorrupt+igndts', '-i', 'pipe:0',
      '-map', '0:v:0', '-map', '0:a:0?',
      '-c:v', 'copy', '-c:a', 'copy',
      '-muxdelay', '0', '-muxpreload', '0',
      '-mpegts_service_id', '1', '-mpegts_pmt_start_pid', '0x1000', '-mpegts_start_pid', '0x100',
      '-f', 'mpegts', 'pipe:1',
    ]); // prettier-ignore
  });

  it('fMP4 input (HLS CMAF) is read at its native rate: -re before the input, the rest unchanged', () => {
    const ts = buildFfmpegArgs({ video: 'copy', audio: 'copy' });
    const fmp4 = buildFfmpegArgs({ video: 'copy', audio: 'copy', input: 'fmp4' });
    const at = ts.indexOf('-fflags');
    expect(fmp4).toEqual([...ts.slice(0, at), '-re', ...ts.slice(at)]);
    expect(ts).not.toContain('-re');
  });

  it('transcode profile: libx264 low latency with scaling and AAC stereo', () => {
    const args = buildFfmpegArgs({
      video: 'h264',
      audio: 'aac',
      height: 720,
      videoKbps: 3000,
      audioKbps: 96,
      gop: 25,
    });
    const s = args.join(' ');
    expect(s).toContain('-c:v libx264 -preset veryfast -tune zerolatency -pix_fmt yuv420p -g 25 -bf 0');
    expect(s).toContain('-vf scale=-2:720');
    expect(s).toContain('-b:v 3000k -maxrate 3000k -bufsize 6000k');
    expect(s).toContain('-c:a aac -ac 2 -ar 48000 -b:a 96k');
    expect(args).not.toContain('-copyts');
    expect(args.indexOf('-i')).toBeLessThan(args.indexOf('-c:v'));
  });

  it('parses speed from progress lines', () => {
    expect(parseSpeed('speed=1.01x')).toBe(1.01);
    expect(
      parseSpeed('frame=  50 fps= 25 q=-1.0 size= 512kB time=00:00:02.00 bitrate=2097.2kbits/s speed=0.498x'),
    ).toBe(0.498);
    expect(parseSpeed('speed=N/A')).toBeUndefined();
    expect(parseSpeed('progress=continue')).toBeUndefined();
  });
});

describe('Watchdog', () => {
  const opts = { ...DEFAULT_WATCHDOG, stallMs: 1000, rateWindowMs: 2000 };
  const PCR = 27_000; // per ms

  it('flags a stall when no bytes arrive for stallMs', () => {
    const w = new Watchdog(opts, 0);
    w.observe(100, { lastPcr: 0, packets: 10, ccErrors: 0, corruptPackets: 0 });
    expect(w.check(1000)).toBeUndefined();
    expect(w.check(1101)?.reason).toBe('stall');
  });

  it('flags a frozen PCR even while bytes flow', () => {
    const w = new Watchdog(opts, 0);
    for (let t = 0; t <= 1500; t += 100)
      w.observe(t, { lastPcr: 5 * PCR, packets: t, ccErrors: 0, corruptPackets: 0 });
    expect(w.check(1500)?.reason).toBe('pcr-stall');
  });

  it('accepts a real-time source and flags one running at half speed', () => {
    const ok = new Watchdog(opts, 0);
    const slow = new Watchdog(opts, 0);
    for (let t = 0; t <= 3000; t += 50) {
      ok.observe(t, { lastPcr: t * PCR, packets: t, ccErrors: 0, corruptPackets: 0 });
      slow.observe(t, { lastPcr: (t / 2) * PCR, packets: t, ccErrors: 0, corruptPackets: 0 });
    }
    expect(ok.check(3000)).toBeUndefined();
    expect(slow.check(3000)?.reason).toBe('slow');
  });

  it('ignores timeline jumps when measuring the rate', () => {
    const w = new Watchdog(opts, 0);
    for (let t = 0; t <= 3000; t += 50) {
      const jump = t >= 1500 ? -900_000 * PCR : 0;
      w.observe(t, { lastPcr: t * PCR + jump, packets: t, ccErrors: 0, corruptPackets: 0 });
    }
    expect(w.check(3000)).toBeUndefined();
  });

  it('flags runaway corruption but tolerates a little', () => {
    const bad = new Watchdog(opts, 0);
    const fine = new Watchdog(opts, 0);
    for (let t = 0; t <= 1200; t += 100) {
      bad.observe(t, { lastPcr: t * PCR, packets: t * 10, ccErrors: t * 2, corruptPackets: 0 });
      fine.observe(t, {
        lastPcr: t * PCR,
        packets: t * 10,
        ccErrors: Math.floor(t / 100),
        corruptPackets: 0,
      });
    }
    expect(bad.check(1200)?.reason).toBe('corrupt');
    expect(fine.check(1200)).toBeUndefined();
  });
});

describe('HLS helpers', () => {
  it('reloads after one target duration when changed, half when not, with TARGETDURATION < 1 clamped', () => {
    expect(reloadDelayMs(6, true)).toBe(6000);
    expect(reloadDelayMs(6, false)).toBe(3000);
    expect(reloadDelayMs(0.5, true)).toBe(1000);
  });

  it('derives the AES-128 IV from the media sequence when none is given', () => {
    const key = { method: 'AES-128', uri: 'k' } as types.Key;
    expect(segmentIv(key, 0x0102030405).toString('hex')).toBe('00000000000000000000000102030405');
    const iv = new Uint8Array(16).fill(7);
    expect(segmentIv({ ...key, iv: iv.buffer } as types.Key, 99).toString('hex')).toBe('07'.repeat(16));
  });

  it('picks the best variant under the cap, the lowest when none fits, skipping I-frame playlists', () => {
    const master = parsePlaylist(
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nlow.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=3000000\nmid.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=9000000\nhigh.m3u8\n',
    );
    expect(master.isMasterPlaylist).toBe(true);
    if (!master.isMasterPlaylist) return;
    expect(pickVariant(master, Infinity)?.uri).toBe('high.m3u8');
    expect(pickVariant(master, 5_000_000)?.uri).toBe('mid.m3u8');
    expect(pickVariant(master, 100)?.uri).toBe('low.m3u8');
  });

  it('rejects bodies that are not playlists', () => {
    expect(() => parsePlaylist('<html>blocked</html>')).toThrow(/not an HLS playlist/);
  });
});

describe('upstream errors', () => {
  it('map socket errors to actionable codes without leaking the URL', () => {
    expect(
      toUpstreamError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED http://u:p@h/x' }),
    ).toMatchObject({ code: 'refused', message: 'connection refused' });
    expect(toUpstreamError({ code: 'UND_ERR_HEADERS_TIMEOUT' }).code).toBe('timeout');
    expect(toUpstreamError({ code: 'UND_ERR_BODY_TIMEOUT' }).code).toBe('stall');
    expect(toUpstreamError({ code: 'UND_ERR_SOCKET' }).code).toBe('reset');
    expect(toUpstreamError(new Error('http://user:secret@host/live/user/secret/1.ts')).message).toBe(
      'network error',
    );
  });
});
