import { describe, expect, it } from 'vitest';
import { TsChecker } from '../../src/ts/checker.js';
import { OUTPUT } from '../../src/ts/constants.js';
import { nullPackets } from '../../src/ts/packet.js';
import { psiPackets, tsPacket } from './synth.js';

const V = OUTPUT.videoPid;
const A = OUTPUT.audioPid;
const PSI = psiPackets({
  pmtPid: OUTPUT.pmtPid,
  pcrPid: V,
  streams: [
    { streamType: 0x1b, pid: V },
    { streamType: 0x0f, pid: A },
  ],
});

describe('TsChecker', () => {
  it('passes a clean stream and counts what it saw', () => {
    const c = new TsChecker();
    c.push(PSI, 0);
    for (let f = 0; f < 10; f++) {
      c.push(
        tsPacket(V, f, {
          pusi: true,
          pts: 10_000 + f * 3600,
          dts: 6400 + f * 3600,
          pcr: (3000 + f * 3600) * 300,
        }),
        10 + f * 40,
      );
      c.push(tsPacket(A, f, { pusi: true, pts: 10_000 + f * 1920, streamId: 0xc0 }), 10 + f * 40);
    }
    c.push(nullPackets(2));
    const r = c.report();
    expect(r.packets).toBe(2 + 20 + 2);
    expect(r.pids).toEqual([0, V, A, OUTPUT.pmtPid, 0x1fff]);
    expect(r.unexpectedPids).toEqual([]);
    expect(r.ccErrors + r.dtsViolations + r.ptsViolations + r.pcrViolations.length).toBe(0);
    expect([r.patCount, r.pmtCount, r.pcrCount]).toEqual([1, 1, 10]);
    expect(r.byPid.find((p) => p.pid === V)).toMatchObject({
      pes: 10,
      firstPts: 10_000,
      lastPts: 10_000 + 9 * 3600,
    });
    expect(r.ptsAheadOfPcrMs).toEqual({ min: 7000 / 90, max: 7000 / 90 });
    expect(r.maxPushGapMs).toBe(40);
  });

  it('flags CC gaps, foreign PIDs, a PCR going back, DTS not rising and far-back PTS', () => {
    const c = new TsChecker();
    c.push(PSI);
    c.push(tsPacket(V, 0, { pusi: true, pts: 100_000, dts: 96_000, pcr: 90_000 * 300 }));
    c.push(tsPacket(V, 2, {})); // CC gap
    c.push(tsPacket(0x300, 0, {})); // foreign PID
    c.push(tsPacket(V, 3, { pusi: true, pts: 99_000, dts: 96_000, pcr: 80_000 * 300 })); // DTS equal, PCR back
    c.push(tsPacket(A, 0, { pusi: true, pts: 500_000, streamId: 0xc0 }));
    c.push(tsPacket(A, 1, { pusi: true, pts: 300_000, streamId: 0xc0 })); // > 1 s back
    const r = c.report();
    expect(r.ccErrors).toBe(1);
    expect(r.byPid.find((p) => p.pid === V)!.ccErrors).toBe(1);
    expect(r.unexpectedPids).toEqual([0x300]);
    expect(r.pcrViolations).toEqual([{ packet: 5, previous: 90_000 * 300, value: 80_000 * 300 }]);
    expect(r.dtsViolations).toBe(2); // video DTS repeated, audio PTS (no DTS) went back
    expect(r.ptsViolations).toBe(1);
    expect(r.splices.length).toBe(1); // the backwards PCR counts as a splice point
  });

  it('checks that PSI follows each marked splice, and measures PSI intervals in PCR time', () => {
    const psi = (cc: number): Buffer =>
      psiPackets({ pmtPid: OUTPUT.pmtPid, pcrPid: V, streams: [{ streamType: 0x1b, pid: V }], cc });
    const c = new TsChecker();
    c.push(tsPacket(V, 0, { pcr: 0 }));
    c.push(psi(0));
    c.push(tsPacket(V, 1, { pcr: 150 * 27_000 }));
    c.push(psi(1).subarray(0, 188)); // PAT 150 ms after the previous one
    c.markSplice();
    c.push(tsPacket(V, 2, {}));
    c.push(psi(2)); // PAT + PMT: 2 packets after the splice, PMT completes it
    c.markSplice();
    c.push(tsPacket(V, 3, {})); // never followed by PSI
    const r = c.report();
    expect(r.splices).toEqual([
      { packet: 5, psiAfter: 2 },
      { packet: 8, psiAfter: undefined },
    ]);
    expect(r.maxPatIntervalMs).toBe(150);
    expect(r.ccErrors).toBe(1); // the PMT skipped a count (1 → 2 with no packet in between is fine, 0 → 2 is not)
  });

  it('credits a PCR jump with the PAT and PMT that directly lead the first PES of the new timeline', () => {
    const frame = (f: number, ms: number, pusi = true): Buffer =>
      tsPacket(V, f, { pusi, pts: (ms + 200) * 90, dts: (ms + 100) * 90, pcr: ms * 27_000 });
    const psi = (cc: number): Buffer =>
      psiPackets({ pmtPid: OUTPUT.pmtPid, pcrPid: V, streams: [{ streamType: 0x1b, pid: V }], cc });
    const run = (parts: Buffer[]): { packet: number; psiAfter: number | undefined }[] => {
      const c = new TsChecker();
      c.push(Buffer.concat(parts));
      return c.report().splices;
    };
    const old = [psi(0), frame(0, 1000), frame(1, 1040)]; // packets 0–3
    // PAT (4), PMT (5), nulls, then the keyframe whose PCR jumps 2 s: the splice is at the PAT.
    expect(run([...old, psi(1), nullPackets(2), frame(2, 3040)])).toEqual([{ packet: 4, psiAfter: 1 }]);
    // No PSI before the jumping keyframe (4): counted from it until PAT and PMT follow.
    expect(run([...old, frame(2, 3040), frame(3, 3080, false), psi(1)])).toEqual([
      { packet: 4, psiAfter: 3 },
    ]);
    // PSI led the old timeline's last PCR packet, not the new timeline: it does not count.
    expect(run([psi(0), frame(0, 1000), psi(1), frame(1, 1040), frame(2, 3040)])).toEqual([
      { packet: 6, psiAfter: undefined },
    ]);
    // PSI followed by a packet that starts nothing (mid-PES) is not a cut-in either.
    expect(run([...old, psi(1), frame(2, 1080, false), frame(3, 3040)])).toEqual([
      { packet: 7, psiAfter: undefined },
    ]);
  });

  it('tolerates arbitrary chunking and reports bytes lost to sync', () => {
    const c = new TsChecker();
    const data = Buffer.concat([PSI, Buffer.from('junk!'), tsPacket(V, 0, {}), tsPacket(V, 1, {})]);
    for (let o = 0; o < data.length; o += 100) c.push(data.subarray(o, o + 100));
    const r = c.report();
    // The PMT packet right before the junk is not followed by a sync byte, so it is dropped too.
    expect(r.syncLossBytes).toBe(188 + 5);
    expect(r.packets).toBe(3);
  });
});
