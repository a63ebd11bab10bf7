import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demoClips, slateFile } from '../../src/media/assets.js';
import { loadClip, parseClip } from '../../src/media/clip.js';
import { createLoopStream } from '../../src/media/loop-source.js';
import { TsChecker } from '../../src/ts/checker.js';
import { TS_PACKET_SIZE } from '../../src/ts/constants.js';
import { pidOf, readPcr } from '../../src/ts/packet.js';
import { nonMonotonicDts, probe } from './ffprobe.js';

/** Read from a stream until `bytes` have arrived, then destroy it. */
async function readBytes(s: Readable, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of s as AsyncIterable<Buffer>) {
    expect(c.length % TS_PACKET_SIZE).toBe(0);
    parts.push(c);
    n += c.length;
    if (n >= bytes) break;
  }
  s.destroy();
  return Buffer.concat(parts);
}

function pcrSpanMs(b: Buffer): number {
  let first: number | undefined;
  let last = 0;
  for (let o = 0; o < b.length; o += 188) {
    const p = readPcr(b, o);
    if (p === undefined) continue;
    first ??= p;
    last = p;
  }
  return (last - (first ?? 0)) / 27_000;
}

describe('loadClip', () => {
  it('parses a shipped clip once: PIDs, codecs, loop period, RAPs', async () => {
    const clip = await loadClip(demoClips()[0]!.file);
    expect(clip.videoPid).toBe(0x100);
    expect(clip.audioPid).toBe(0x101);
    expect(clip.pmtPid).toBe(0x1000);
    expect([clip.videoCodec, clip.audioCodec]).toEqual(['h264', 'aac']);
    expect(clip.durationMs).toBe(8000); // 200 frames at 25 fps
    expect(clip.rapIndexes.length).toBe(8); // 1 s GOP
    expect(clip.lastPcr).toBeGreaterThan(clip.firstPcr);
    const t = clip.packetTimeMs;
    for (let i = 1; i < t.length; i++) expect(t[i]!).toBeGreaterThanOrEqual(t[i - 1]!);
    expect(t[t.length - 1]).toBeLessThanOrEqual(clip.durationMs);
  });

  it('rejects files that are not usable TS with a clear error', async () => {
    expect(() => parseClip(Buffer.from('<html>'.repeat(500)), 'page.html')).toThrow(
      /page\.html: not an MPEG-TS file/,
    );
    const real = await readFile(slateFile('unavailable'));
    const noPsi = Buffer.concat(
      Array.from({ length: real.length / 188 }, (_, i) => real.subarray(i * 188, i * 188 + 188)).filter(
        (p) => pidOf(p, 0) !== 0,
      ),
    );
    expect(() => parseClip(noPsi, 'nopat.ts')).toThrow(/missing PAT/);
    await expect(loadClip('/nonexistent/clip.ts')).rejects.toThrow(/ENOENT/);
  });
});

describe('createLoopStream', () => {
  it('plays 20 s of an 8 s clip unpaced with continuous CC and timestamps; ffprobe decodes it', async () => {
    const clip = await loadClip(demoClips()[2]!.file);
    const perLoop = clip.data.length;
    const out = await readBytes(createLoopStream(clip, { realtime: false }), perLoop * 2.5);
    const c = new TsChecker({ allowedPids: [0, 0x11, 0x1000, 0x100, 0x101] });
    c.push(out);
    const r = c.report();
    expect(r.ccErrors).toBe(0);
    expect(r.pcrViolations).toEqual([]);
    expect(r.dtsViolations).toBe(0);
    expect(r.ptsViolations).toBe(0);
    expect(r.splices).toEqual([]); // no PCR jump at the two loop points
    expect(r.unexpectedPids).toEqual([]);
    expect(pcrSpanMs(out)).toBeGreaterThan(19_000);
    const video = r.byPid.find((p) => p.pid === 0x100)!;
    expect((video.lastPts! - video.firstPts!) / 90).toBeGreaterThan(19_000);
    // Exactly one AAC frame (the encoder priming frame) per later loop is dropped, nothing else.
    const audio = r.byPid.find((p) => p.pid === 0x101)!;
    expect(audio.dtsViolations).toBe(0);

    const pr = await probe(out);
    expect(pr.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(nonMonotonicDts(pr)).toEqual({});
    expect(pr.stderr).toBe('');
    const frames = Number(pr.streams.find((s) => s.codec_name === 'h264')!.nb_read_frames);
    expect(frames).toBeGreaterThanOrEqual(495); // ≥ 19.8 s at 25 fps
  });

  it('loops a 2 s slate many times (timestamps keep rising across 10 loop points)', async () => {
    const clip = await loadClip(slateFile('unavailable', 576));
    const out = await readBytes(createLoopStream(clip, { realtime: false }), clip.data.length * 11);
    const c = new TsChecker({ allowedPids: [0, 0x11, 0x1000, 0x100, 0x101] });
    c.push(out);
    const r = c.report();
    expect(r.ccErrors + r.dtsViolations + r.ptsViolations + r.pcrViolations.length).toBe(0);
    expect(pcrSpanMs(out)).toBeGreaterThan(20_000);
  });

  it('starts mid-clip at the random-access point before startAtMs, PSI first', async () => {
    const clip = await loadClip(demoClips()[0]!.file);
    const out = await readBytes(
      createLoopStream(clip, { realtime: false, startAtMs: 8000 * 3 + 5500 }),
      200 * 188,
    );
    expect(pidOf(out, 0)).toBe(0);
    expect(pidOf(out, 188)).toBe(0x1000);
    const c = new TsChecker({ allowedPids: [0, 0x11, 0x1000, 0x100, 0x101] });
    c.push(out);
    const v = c.report().byPid.find((p) => p.pid === 0x100)!;
    // The 6th keyframe (5 s into the clip): the first video PES is at clip PTS 5 s + offset.
    const firstKeyPts = 133200 + 5 * 90_000;
    expect(Math.abs(v.firstPts! - firstKeyPts)).toBeLessThanOrEqual(2 * 3600);
    expect(c.report().ccErrors).toBe(0);
  });

  it('paces at real time from a fixed start, and stops when aborted', async () => {
    const clip = await loadClip(slateFile('unavailable'));
    const ac = new AbortController();
    const s = createLoopStream(clip, { realtime: true, signal: ac.signal });
    const c = new TsChecker({ allowedPids: [0, 0x11, 0x1000, 0x100, 0x101] });
    const parts: Buffer[] = [];
    const t0 = performance.now();
    s.on('data', (b: Buffer) => {
      c.push(b, performance.now());
      parts.push(b);
    });
    await new Promise((r) => setTimeout(r, 2500));
    const wall = performance.now() - t0;
    ac.abort();
    await once(s, 'close');
    const span = pcrSpanMs(Buffer.concat(parts));
    // PCR time produced ≈ wall time (the first PCR comes at t=0; allow one tick of slack each side).
    expect(span).toBeGreaterThan(wall - 150);
    expect(span).toBeLessThan(wall + 50);
    expect(c.report().maxPushGapMs).toBeLessThan(120);
    expect(c.report().ccErrors).toBe(0);
    expect(s.destroyed).toBe(true);
  });
});
