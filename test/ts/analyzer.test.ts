import { describe, expect, it } from 'vitest';
import { StreamAnalyzer } from '../../src/ts/analyzer.js';
import { H264_IDR_ES, H264_P_ES, psiPackets, synthStream, tsPacket } from './synth.js';

const PSI = psiPackets({
  pmtPid: 0x1000,
  pcrPid: 0x100,
  streams: [
    { streamType: 0x1b, pid: 0x100 },
    { streamType: 0x0f, pid: 0x101 },
  ],
});

describe('StreamAnalyzer', () => {
  it('becomes ready only after PAT, PMT, a PCR and a video random-access point', () => {
    const a = new StreamAnalyzer();
    a.push(tsPacket(0x100, 0, { pusi: true, pts: 1000, pcr: 300, rai: true })); // before PSI: RAP unknown PID
    expect(a.ready()).toBe(false);
    a.push(PSI);
    expect(a.state.pat?.programs).toEqual([{ programNumber: 1, pmtPid: 0x1000 }]);
    expect(a.state.pmt?.pcrPid).toBe(0x100);
    expect(a.state.videoCodec).toBe('h264');
    expect(a.state.audioCodec).toBe('aac');
    expect(a.state.pcrSeen).toBe(true);
    expect(a.ready()).toBe(false);
    a.push(tsPacket(0x100, 1, { pusi: true, pts: 4600, pcr: 3900 * 300, es: H264_P_ES }));
    expect(a.state.lastPcr).toBe(3900 * 300);
    expect(a.ready()).toBe(false);
    a.push(tsPacket(0x100, 2, { pusi: true, pts: 8200, rai: true }));
    expect(a.ready()).toBe(true);
    expect(a.state.packets).toBe(5);
    expect(a.state.ccErrors).toBe(0);
  });

  it('recognises an H.264 IDR without the RAI flag', () => {
    const a = new StreamAnalyzer();
    a.push(synthStream({ frames: 3, gop: 25, rai: false }).subarray(0, 3 * 188)); // PSI + IDR frame
    expect(a.state.randomAccessSeen).toBe(true);
    const b = new StreamAnalyzer();
    b.push(PSI);
    b.push(tsPacket(0x100, 0, { pusi: true, pts: 1, es: H264_P_ES }));
    b.push(tsPacket(0x100, 1, { pusi: false, es: H264_IDR_ES })); // not at a PES start
    expect(b.state.randomAccessSeen).toBe(false);
  });

  it('counts CC gaps but not duplicates, AF-only packets or flagged discontinuities', () => {
    const a = new StreamAnalyzer();
    a.push(PSI);
    a.push(tsPacket(0x101, 0, { pusi: true, pts: 1 }));
    a.push(tsPacket(0x101, 1, {}));
    a.push(tsPacket(0x101, 1, {})); // duplicate: allowed once
    a.push(tsPacket(0x101, 1, { afOnly: true })); // AF only: CC unchanged
    expect(a.state.ccErrors).toBe(0);
    a.push(tsPacket(0x101, 5, {})); // gap
    expect(a.state.ccErrors).toBe(1);
    a.push(tsPacket(0x101, 7, { afOnly: true })); // AF-only packet moved the counter
    expect(a.state.ccErrors).toBe(2);
    const disc = tsPacket(0x101, 12, { rai: true });
    disc[5] = disc[5]! | 0x80; // discontinuity_indicator
    a.push(disc);
    expect(a.state.ccErrors).toBe(2);
  });

  it('counts corrupt packets and rejected sections without throwing', () => {
    const a = new StreamAnalyzer();
    const tei = tsPacket(0x100, 0, {});
    tei[1] = tei[1]! | 0x80;
    const reserved = tsPacket(0x100, 0, {});
    reserved[3] = 0x00;
    const badAf = tsPacket(0x100, 0, { rai: true });
    badAf[4] = 190;
    const badSync = tsPacket(0x100, 0, {});
    badSync[0] = 0x46;
    a.push(Buffer.concat([tei, reserved, badAf, badSync]));
    expect(a.state.corruptPackets).toBe(4);
    const psi = Buffer.from(PSI);
    psi[15] = psi[15]! ^ 0xff; // corrupt PAT body → CRC error
    a.push(psi);
    expect(a.state.pat).toBeUndefined();
    expect(a.state.psiErrors).toBe(1);
    expect(a.state.lastPsiError).toMatch(/CRC/);
    a.push(Buffer.alloc(100)); // trailing fragment: ignored
    expect(a.state.packets).toBe(6);
  });

  it('follows a PMT change (new video PID) and re-waits for a RAP there', () => {
    const a = new StreamAnalyzer();
    a.push(synthStream({ frames: 2 }));
    expect(a.ready()).toBe(true);
    a.push(
      psiPackets({
        pmtPid: 0x1000,
        pcrPid: 0x300,
        version: 1,
        cc: 5,
        streams: [
          { streamType: 0x02, pid: 0x300 },
          { streamType: 0x03, pid: 0x301 },
        ],
      }),
    );
    expect(a.state.videoCodec).toBe('mpeg2');
    expect(a.state.audioCodec).toBe('mpeg-audio');
    expect(a.ready()).toBe(false);
    a.push(tsPacket(0x300, 0, { pusi: true, pts: 5, pcr: 10, es: Buffer.from('000001b3', 'hex') }));
    expect(a.ready()).toBe(true);
  });
});

describe('StreamAnalyzer on real ffmpeg output', () => {
  it('is ready on every shipped clip and fixture, with the expected codecs and no errors', async () => {
    const { readFile } = await import('node:fs/promises');
    const { demoClips, slateFile } = await import('../../src/media/assets.js');
    const { fixtures } = await import('../fixtures/fixtures.js');
    const cases: [string, string, string][] = [
      ...demoClips().map((c): [string, string, string] => [c.file, 'h264', 'aac']),
      [slateFile('unavailable'), 'h264', 'aac'],
      [fixtures.altPids, 'h264', 'aac'],
      [fixtures.mpeg2, 'mpeg2', 'mpeg-audio'],
    ];
    for (const [file, v, a] of cases) {
      const an = new StreamAnalyzer();
      const data = await readFile(file);
      an.push(data.subarray(0, 188 * 200)); // the first 200 packets are enough to tune
      expect(an.ready(), file).toBe(true);
      an.push(data.subarray(188 * 200));
      expect([an.state.videoCodec, an.state.audioCodec]).toEqual([v, a]);
      expect(an.state.ccErrors + an.state.corruptPackets + an.state.psiErrors).toBe(0);
      expect(an.state.packets).toBe(data.length / 188);
    }
  });

  it('reads the picture size from the H.264 SPS (including cropping to 360 and 1080 lines)', async () => {
    const { readFile } = await import('node:fs/promises');
    const { demoClips, slateFile } = await import('../../src/media/assets.js');
    const { fixtures } = await import('../fixtures/fixtures.js');
    const size = async (file: string): Promise<unknown> => {
      const an = new StreamAnalyzer();
      an.push(await readFile(file));
      return an.state.videoSize;
    };
    expect(await size(demoClips()[0]!.file)).toEqual({ width: 1280, height: 720 });
    expect(await size(slateFile('unavailable', 1080))).toEqual({ width: 1920, height: 1080 });
    expect(await size(slateFile('unavailable', 576))).toEqual({ width: 720, height: 576 });
    expect(await size(fixtures.altPids)).toEqual({ width: 640, height: 360 });
    expect(await size(fixtures.mpeg2)).toBeUndefined(); // only H.264 SPS are parsed
  });
});
