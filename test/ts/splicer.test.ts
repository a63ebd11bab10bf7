import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { demoClips, slateFile } from '../../src/media/assets.js';
import { TsChecker } from '../../src/ts/checker.js';
import { OUTPUT } from '../../src/ts/constants.js';
import { payloadOffset, pidOf, pusiOf, readPcr } from '../../src/ts/packet.js';
import { readPts } from '../../src/ts/pes.js';
import { parsePmt, type Pmt } from '../../src/ts/psi.js';
import { Splicer, isClockJump } from '../../src/ts/splicer.js';
import { StreamAnalyzer } from '../../src/ts/analyzer.js';
import { signatureOf } from '../../src/ts/signature.js';
import { fixtures } from '../fixtures/fixtures.js';
import { nonMonotonicDts, probe } from '../media/ffprobe.js';
import { H264_IDR_ES, H264_P_ES, psiPackets, synthStream, tsPacket } from './synth.js';

/** Feed `data` in uneven chunks (copies, as the splicer rewrites in place). */
function feed(
  s: Splicer,
  data: Buffer,
  sizes = [7000, 1316, 40_000, 333],
): { data: Buffer; raps: number[] }[] {
  const outs: { data: Buffer; raps: number[] }[] = [];
  let o = 0;
  for (let k = 0; o < data.length; k++) {
    const n = sizes[k % sizes.length]!;
    const r = s.push(Buffer.from(data.subarray(o, o + n)));
    outs.push({ data: r.data, raps: r.rapOffsets });
    o += n;
  }
  return outs;
}

function pcrs(b: Buffer): number[] {
  const out: number[] = [];
  for (let o = 0; o < b.length; o += 188) {
    const p = readPcr(b, o);
    if (p !== undefined) out.push(p);
  }
  return out;
}

class Clock {
  t = 1000;
  now = (): number => this.t;
}

describe('Splicer on synthetic streams', () => {
  it('splices A → B (other PIDs, far timeline) → A with fixed PIDs, continuous CC and rising timestamps', () => {
    const clock = new Clock();
    const s = new Splicer({ now: clock.now });
    const c = new TsChecker();
    const a = synthStream({ frames: 60, t0: 900_000 });
    const b = synthStream({
      frames: 60,
      t0: 4_500_000_000,
      videoPid: 0x300,
      audioPid: 0x301,
      pmtPid: 0x1100,
      ccStart: 9,
    });
    const all: Buffer[] = [];
    const put = (x: { data: Buffer }[]): void => {
      for (const o of x) {
        c.push(o.data);
        all.push(o.data);
      }
    };
    s.begin('A');
    put(feed(s, a));
    s.begin('B');
    c.markSplice();
    put(feed(s, b));
    s.begin('A');
    c.markSplice();
    put(feed(s, a));
    put([s.flush()]);
    const r = c.report();
    expect(r.unexpectedPids).toEqual([]);
    expect(r.pids).toEqual([0, OUTPUT.videoPid, OUTPUT.audioPid, OUTPUT.pmtPid]);
    expect(r.ccErrors).toBe(0);
    expect(r.pcrViolations).toEqual([]);
    expect(r.dtsViolations).toBe(0);
    expect(r.ptsViolations).toBe(0);
    expect(r.splices.map((x) => x.psiAfter)).toEqual([1, 1]); // PAT then PMT right at the splice
    expect(s.stats.switches).toBe(2);
    // Timeline: the 178 frames that went out at 40 ms, one video frame step at each splice.
    const v = r.byPid.find((p) => p.pid === OUTPUT.videoPid)!;
    expect(v.pes).toBe(180 - 2); // the last frame of each old source is held back and discarded
    expect((v.lastPts! - v.firstPts!) / 90).toBeCloseTo(177 * 40, -1); // and leaves no hole
    const out = Buffer.concat(all);
    expect(pcrs(out).length).toBe(178);
  });

  it('rejoins at the next keyframe when the clock jumps inside one source, with no begin()', () => {
    // An encoder restart inside one HTTP stream: the same PIDs, the clock an hour ahead, then back
    // near zero. Clients must see one rising timeline, as at a reported switch.
    const s = new Splicer({ now: new Clock().now });
    const c = new TsChecker();
    const parts = [
      synthStream({ frames: 60, t0: 900_000 }),
      synthStream({ frames: 60, t0: 900_000 + 3600 * 90_000, ccStart: 5 }),
      synthStream({ frames: 60, t0: 9_000, ccStart: 11 }),
    ];
    s.begin('A');
    for (const o of feed(s, Buffer.concat(parts))) c.push(o.data);
    c.push(s.flush().data);
    const r = c.report();
    expect(s.health.clockJumps).toBe(2);
    expect(r.ccErrors).toBe(0);
    expect(r.pcrViolations).toEqual([]);
    expect(r.dtsViolations).toBe(0);
    expect(r.ptsViolations).toBe(0);
    const v = r.byPid.find((p) => p.pid === OUTPUT.videoPid)!;
    expect(v.pes).toBe(180 - 2); // the frame in progress at each jump is dropped, as at a switch
    expect((v.lastPts! - v.firstPts!) / 90).toBeCloseTo(177 * 40, -1); // and leaves no hole
  });

  it('tells a clock jump from time passing, across the 33-bit wrap too', () => {
    const pcr = (s: number): number => Math.round(s * 27_000_000);
    const wrap = 2 ** 33 * 300;
    expect(isClockJump(pcr(10), pcr(10.1))).toBe(false);
    expect(isClockJump(pcr(10), pcr(13))).toBe(false); // a sparse PCR, still time passing
    expect(isClockJump(pcr(10), pcr(21))).toBe(true);
    expect(isClockJump(pcr(10), pcr(9.95))).toBe(false); // jitter
    expect(isClockJump(pcr(10), pcr(9.5))).toBe(true);
    expect(isClockJump(wrap - pcr(0.05), pcr(0.05))).toBe(false);
    expect(isClockJump(pcr(0.05), wrap - pcr(0.05))).toBe(false);
    expect(isClockJump(pcr(5), wrap - pcr(5))).toBe(true);
  });

  it('reports RAP offsets that point at PAT, PMT, then a video random-access PES', () => {
    const s = new Splicer();
    s.begin('A');
    const r = s.push(synthStream({ frames: 100, gop: 25 }));
    const rest = s.flush();
    expect(r.rapOffsets.length + rest.rapOffsets.length).toBe(4);
    for (const off of r.rapOffsets) {
      expect(pidOf(r.data, off)).toBe(0);
      expect(pidOf(r.data, off + 188)).toBe(OUTPUT.pmtPid);
      expect(pidOf(r.data, off + 376)).toBe(OUTPUT.videoPid);
      expect(pusiOf(r.data, off + 376)).toBe(true);
    }
    expect(r.rapOffsets[0]).toBe(0);
  });

  it('drops everything before PSI and a RAP, and audio stamped before the RAP', () => {
    const s = new Splicer();
    s.begin('B');
    const pre = Buffer.concat([
      tsPacket(0x100, 0, { pusi: true, pts: 10_000, pcr: 1 }), // before PSI
      psiPackets({
        pmtPid: 0x1000,
        pcrPid: 0x100,
        streams: [
          { streamType: 0x1b, pid: 0x100 },
          { streamType: 0x0f, pid: 0x101 },
        ],
      }),
      tsPacket(0x101, 0, { pusi: true, pts: 90_000, streamId: 0xc0 }), // audio before the RAP
      tsPacket(0x100, 1, { pusi: true, pts: 93_600, pcr: 80_000 * 300 }), // not a RAP
    ]);
    expect(s.push(pre).data.length).toBe(0);
    expect(s.stats.droppedBeforeRap).toBe(3);
    const rest = Buffer.concat([
      tsPacket(0x101, 1, { pusi: true, pts: 97_000, streamId: 0xc0 }), // earlier than the RAP: dropped
      tsPacket(0x100, 2, { pusi: true, pts: 100_800, dts: 97_200, rai: true, pcr: 90_000 * 300 }),
      tsPacket(0x101, 2, { pusi: true, pts: 99_000, streamId: 0xc0 }), // still before the RAP's PTS
      tsPacket(0x101, 3, { pusi: true, pts: 101_000, streamId: 0xc0 }),
      tsPacket(0x100, 3, { pusi: true, pts: 104_400, dts: 100_800 }),
    ]);
    const out = Buffer.concat([s.push(rest).data, s.flush().data]);
    const pids = [];
    for (let o = 0; o < out.length; o += 188) pids.push(pidOf(out, o));
    expect(pids).toEqual([0, OUTPUT.pmtPid, 0x100, 0x101, 0x100]);
    expect(readPts(out, payloadOffset(out, 3 * 188), 4 * 188)).toBe(101_000); // first source: no offset
  });

  it('adds the wall-clock gap to the timeline at a switch', () => {
    const clock = new Clock();
    const s = new Splicer({ now: clock.now });
    s.begin('A');
    const a = s.push(synthStream({ frames: 50 })).data;
    clock.t += 3000; // 3 s outage
    s.begin('B');
    const b = s.push(synthStream({ frames: 50, t0: 123_456, videoPid: 0x200, audioPid: 0x201 })).data;
    const pa = pcrs(a);
    const pb = pcrs(b);
    // Exactly the gap: the held-back (discarded) frame of A does not move the clock.
    expect((pb[0]! - pa[pa.length - 1]!) / 27_000).toBeCloseTo(3000, -1);
    expect(s.signature).toEqual({ video: 'h264', audio: 'aac' });
  });

  it('keeps PSI within the interval and keepalive continues the CCs', () => {
    const s = new Splicer({ psiIntervalMs: 100 });
    const c = new TsChecker();
    // Nothing established yet: the fixed PAT and null packets, no PMT.
    const early = s.keepalive();
    expect(early.length).toBe(6 * 188);
    expect([pidOf(early, 0), pidOf(early, 188)]).toEqual([0, 0x1fff]);
    c.push(early);
    s.begin('A');
    c.push(s.push(synthStream({ frames: 250, gop: 250 })).data);
    c.push(s.keepalive());
    c.push(s.keepalive());
    s.begin('A2');
    c.markSplice();
    c.push(s.push(synthStream({ frames: 30, gop: 250, t0: 77_777 })).data);
    const r = c.report();
    expect(r.ccErrors).toBe(0);
    expect(r.maxPatIntervalMs).toBeLessThanOrEqual(100);
    expect(r.patCount).toBeGreaterThanOrEqual(250 / 2.5);
  });

  it("announces the first source's layout before its keyframe, then goes live with the same PMT", () => {
    const s = new Splicer();
    const c = new TsChecker();
    const layout = {
      pcrPid: 0x300,
      streams: [
        { pid: 0x300, streamType: 0x1b, kind: 'video' },
        { pid: 0x301, streamType: 0x81, kind: 'audio', descriptors: Buffer.from('0a04656e6700', 'hex') },
      ],
    };
    expect(s.announce(layout)).toBe(true);
    expect(s.announce(layout)).toBe(false); // unchanged
    const early = s.keepalive();
    c.push(early);
    const pmtOf = (b: Buffer): Pmt | undefined => {
      for (let o = 0; o < b.length; o += 188) {
        if (pidOf(b, o) !== OUTPUT.pmtPid || !pusiOf(b, o)) continue;
        const r = parsePmt(b.subarray(o + 5, o + 5 + 3 + (((b[o + 6]! & 0x0f) << 8) | b[o + 7]!)));
        if (r.ok) return r.value;
      }
      return undefined;
    };
    expect(pmtOf(early)).toMatchObject({
      version: 0,
      pcrPid: OUTPUT.videoPid,
      streams: [
        { pid: OUTPUT.videoPid, streamType: 0x1b },
        { pid: OUTPUT.audioPid, streamType: 0x81, descriptors: Buffer.from('0a04656e6700', 'hex') },
      ],
    });
    s.begin('A');
    const src = synthStream({ frames: 30, videoPid: 0x300, audioPid: 0x301 });
    // The source's PMT turns out different (AAC, no descriptors): the version moves.
    const out = s.push(src).data;
    c.push(out);
    expect(pmtOf(out)?.version).toBe(1);
    expect(s.announce(layout)).toBe(false); // the output is established now
    const r = c.report();
    expect(r.ccErrors + r.unexpectedPids.length).toBe(0);
    // The same layout as announced: no version change at all.
    const t = new Splicer();
    t.announce({
      pcrPid: 0x100,
      streams: [
        { pid: 0x100, streamType: 0x1b, kind: 'video' },
        { pid: 0x101, streamType: 0x0f, kind: 'audio' },
      ],
    });
    t.begin('B');
    expect(pmtOf(t.push(synthStream({ frames: 30 })).data)?.version).toBe(0);
  });

  it('carries a PCR from a separate PID as adaptation-only packets on the video PID', () => {
    const s = new Splicer();
    const c = new TsChecker();
    s.begin('A');
    const parts: Buffer[] = [
      psiPackets({
        pmtPid: 0x1000,
        pcrPid: 0x1ff,
        streams: [
          { streamType: 0x1b, pid: 0x100 },
          { streamType: 0x0f, pid: 0x101 },
        ],
      }),
    ];
    for (let f = 0; f < 10; f++) {
      parts.push(tsPacket(0x1ff, f, { pcr: (f * 3600 + 1000) * 300, afOnly: true }));
      parts.push(tsPacket(0x100, f, { pusi: true, pts: f * 3600 + 30_000, rai: f === 0 }));
      parts.push(tsPacket(0x101, f, { pusi: true, pts: f * 3600 + 30_000, streamId: 0xc0 }));
    }
    const out = Buffer.concat([s.push(Buffer.concat(parts)).data, s.flush().data]);
    c.push(out);
    const r = c.report();
    expect(r.unexpectedPids).toEqual([]);
    expect(r.pcrCount).toBe(9); // the PCR before the first RAP is not needed
    expect(r.ccErrors).toBe(0);
  });

  it('follows a PMT change inside one source (new PIDs, no begin) and stays continuous', () => {
    const s = new Splicer();
    const c = new TsChecker();
    s.begin('A');
    c.push(s.push(synthStream({ frames: 30 })).data);
    c.push(
      s.push(
        synthStream({ frames: 30, t0: 900_000 + 30 * 3600, videoPid: 0x400, audioPid: 0x401, ccStart: 3 }),
      ).data,
    );
    c.push(s.flush().data);
    const r = c.report();
    expect(r.ccErrors + r.dtsViolations + r.pcrViolations.length).toBe(0);
    expect(r.unexpectedPids).toEqual([]);
    expect(s.stats.switches).toBe(1);
  });

  it('keeps source health from the packets it walks: PCR, CC gaps on forwarded PIDs, damage', () => {
    const s = new Splicer();
    s.begin('A');
    const a = synthStream({ frames: 50 });
    s.push(Buffer.from(a));
    expect(s.health).toEqual({
      lastPcr: pcrs(a).at(-1),
      packets: a.length / 188,
      ccErrors: 0,
      corruptPackets: 0,
      clockJumps: 0,
    });
    // Video and audio CCs jump once each (PSI CCs are not the source's health).
    const b = synthStream({ frames: 10, t0: 900_000 + 50 * 3600, ccStart: 55 });
    s.push(Buffer.from(b));
    expect(s.health.ccErrors).toBe(2);
    expect(s.health.lastPcr).toBe(pcrs(b).at(-1));
    // A packet flagged by the transport (TEI), then 1000 bytes of garbage before clean packets.
    const tei = tsPacket(0x100, 0, {});
    tei[1] = tei[1]! | 0x80;
    s.push(tei);
    const c = synthStream({ frames: 10, t0: 900_000 + 60 * 3600, ccStart: 65 });
    s.push(Buffer.concat([Buffer.alloc(1000), c]));
    expect(s.health.corruptPackets).toBe(1 + Math.ceil(1000 / 188));
    expect(s.health.ccErrors).toBe(2);
    expect(s.health.packets).toBe((a.length + b.length + 188 + c.length) / 188 + Math.ceil(1000 / 188));
  });

  it('keeps CC continuous when a held multi-packet PES is discarded at a switch', () => {
    /** Frames of 1 + 3 video packets and 1 + 1 audio packets, PSI every 25 frames. */
    const frames = (n: number, t0: number, pids = { v: 0x100, a: 0x101, pmt: 0x1000 }): Buffer => {
      const out: Buffer[] = [];
      let vcc = 0;
      let acc = 0;
      for (let f = 0; f < n; f++) {
        const dts = t0 + f * 3600;
        if (f % 25 === 0) {
          const streams = [
            { streamType: 0x1b, pid: pids.v },
            { streamType: 0x0f, pid: pids.a },
          ];
          out.push(psiPackets({ pmtPid: pids.pmt, pcrPid: pids.v, streams, cc: f / 25 }));
        }
        const es = f % 25 === 0 ? H264_IDR_ES : H264_P_ES;
        out.push(tsPacket(pids.v, vcc++, { pusi: true, pts: dts + 7200, dts, pcr: (dts - 9000) * 300, es }));
        for (let k = 0; k < 3; k++) out.push(tsPacket(pids.v, vcc++, { es: Buffer.alloc(184, f) }));
        out.push(tsPacket(pids.a, acc++, { pusi: true, pts: dts + 7200, streamId: 0xc0 }));
        out.push(tsPacket(pids.a, acc++, { es: Buffer.alloc(184, f) }));
      }
      return Buffer.concat(out);
    };
    const s = new Splicer();
    const c = new TsChecker();
    s.begin('A');
    const a = frames(40, 900_000);
    for (const o of feed(s, a.subarray(0, a.length - 3 * 188), [5000, 188, 30_000])) c.push(o.data);
    expect(s.health.ccErrors).toBe(0);
    s.begin('B'); // A's last frame (held, some of it already given CCs) is dropped
    for (const o of feed(s, frames(40, 7_000_000, { v: 0x300, a: 0x301, pmt: 0x1100 }))) c.push(o.data);
    c.push(s.flush().data);
    const r = c.report();
    expect(r.unexpectedPids).toEqual([]);
    expect(r.ccErrors + r.dtsViolations + r.pcrViolations.length).toBe(0);
    expect(r.byPid.find((p) => p.pid === OUTPUT.videoPid)!.packets).toBeGreaterThan((39 + 38) * 4);
    expect(s.stats.switches).toBe(1);
  });

  it('never emits a partial packet from the old source', () => {
    const s = new Splicer();
    const c = new TsChecker();
    s.begin('A');
    const a = synthStream({ frames: 20 });
    c.push(s.push(a.subarray(0, a.length - 100)).data); // ends in the middle of a packet
    s.begin('B');
    c.push(s.push(synthStream({ frames: 20, t0: 5_000_000 })).data);
    const r = c.report();
    expect(r.syncLossBytes).toBe(0);
    expect(r.ccErrors).toBe(0);
  });
});

describe('Splicer on real ffmpeg clips', () => {
  it('demo → alt-pids fixture → demo: one h264 + one aac stream, clean for ffprobe and the checker', async () => {
    const a = await readFile(demoClips()[0]!.file);
    const b = await readFile(fixtures.altPids);
    const clock = new Clock();
    const s = new Splicer({ now: clock.now });
    const c = new TsChecker();
    const out: Buffer[] = [];
    const take = (o: { data: Buffer }): void => {
      c.push(o.data);
      out.push(o.data);
    };
    for (const [tag, data] of [
      ['A', a],
      ['B', b],
      ['A', a],
    ] as const) {
      s.begin(tag);
      c.markSplice();
      for (const o of feed(s, data, [65_536, 1000, 9000])) take(o);
      clock.t += 500;
    }
    take(s.flush());
    const r = c.report();
    expect(r.unexpectedPids).toEqual([]);
    expect(r.ccErrors).toBe(0);
    expect(r.pcrViolations).toEqual([]);
    expect(r.dtsViolations).toBe(0);
    expect(r.ptsViolations).toBe(0);
    expect(r.splices.every((x) => x.psiAfter === 1)).toBe(true);
    expect(r.maxPatIntervalMs).toBeLessThanOrEqual(110);
    expect(r.ptsAheadOfPcrMs!.min).toBeGreaterThanOrEqual(0);
    expect(r.ptsAheadOfPcrMs!.max).toBeLessThan(2000);

    const pr = await probe(Buffer.concat(out));
    expect(pr.streams.map((x) => x.codec_name)).toEqual(['h264', 'aac']);
    expect(nonMonotonicDts(pr)).toEqual({});
    expect(pr.stderr).not.toMatch(/Non-monotonous|Continuity|corrupt|invalid/i);
    const frames = Number(pr.streams[0]!.nb_read_frames);
    expect(frames).toBeGreaterThanOrEqual(200 + 100 + 200 - 3);
  });

  it('establishes a signature with picture size and judges other sources against it', async () => {
    const s = new Splicer();
    s.begin('demo');
    s.push(await readFile(demoClips()[1]!.file));
    expect(s.signature).toEqual({ video: 'h264', audio: 'aac', width: 1280, height: 720 });
    const sig = async (file: string): Promise<ReturnType<typeof signatureOf>> => {
      const an = new StreamAnalyzer();
      an.push(await readFile(file));
      return signatureOf(an.state);
    };
    const slate = (await sig(slateFile('unavailable', 720)))!;
    expect(slate).toEqual({ video: 'h264', audio: 'aac', width: 1280, height: 720 });
    expect(s.compatible(slate)).toBe(true);
    expect(s.compatible((await sig(slateFile('unavailable', 1080)))!)).toBe(false);
    expect(s.compatible((await sig(fixtures.altPids))!)).toBe(false); // 640x360
    expect(s.compatible((await sig(fixtures.mpeg2))!)).toBe(false);
    expect(s.compatible({ video: 'h264', audio: 'aac' })).toBe(true); // size unknown: codecs decide
  });
});
