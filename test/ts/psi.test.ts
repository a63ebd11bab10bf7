import { describe, expect, it } from 'vitest';
import { crc32mpeg2 } from '../../src/ts/crc32.js';
import {
  buildPat,
  buildPmt,
  classifyStream,
  parsePat,
  parsePmt,
  sectionToPackets,
} from '../../src/ts/psi.js';
import { SectionAssembler } from '../../src/ts/section-assembler.js';
import { ccOf, pidOf, pusiOf } from '../../src/ts/packet.js';

// ffmpeg 5.1's PAT and PMT sections (program 1, PMT 0x1000, H.264 0x100, AAC 0x101).
const FFMPEG_PAT = Buffer.from('00b00d0001c100000001f0002ab104b2', 'hex');
const FFMPEG_PMT = Buffer.from('02b0170001c10000e100f0001be100f0000fe101f0002f44b99b', 'hex');

function tsPacket(pid: number, pusi: boolean, cc: number, payload: Buffer): Buffer {
  const p = Buffer.alloc(188, 0xff);
  p[0] = 0x47;
  p[1] = (pusi ? 0x40 : 0) | (pid >> 8);
  p[2] = pid & 0xff;
  p[3] = 0x10 | cc;
  payload.copy(p, 4, 0, Math.min(184, payload.length));
  return p;
}

describe('CRC-32/MPEG-2', () => {
  it('matches the catalogue check value and validates real sections', () => {
    expect(crc32mpeg2(Buffer.from('123456789'))).toBe(0x0376e6e7);
    expect(crc32mpeg2(FFMPEG_PAT)).toBe(0); // over the section including its CRC
    expect(crc32mpeg2(FFMPEG_PMT, 0, FFMPEG_PMT.length - 4)).toBe(0x2f44b99b);
    expect(crc32mpeg2(new Uint8Array(0))).toBe(0xffffffff);
  });
});

describe('PAT / PMT', () => {
  it('builds ffmpeg-identical sections', () => {
    expect(buildPat({ transportStreamId: 1, programs: [{ programNumber: 1, pmtPid: 0x1000 }] })).toEqual(
      FFMPEG_PAT,
    );
    const pmt = buildPmt({
      programNumber: 1,
      pcrPid: 0x100,
      streams: [
        { streamType: 0x1b, pid: 0x100 },
        { streamType: 0x0f, pid: 0x101 },
      ],
    });
    expect(pmt).toEqual(FFMPEG_PMT);
  });

  it('parses real sections', () => {
    const pat = parsePat(FFMPEG_PAT);
    expect(pat).toEqual({
      ok: true,
      value: { transportStreamId: 1, version: 0, programs: [{ programNumber: 1, pmtPid: 0x1000 }] },
    });
    const pmt = parsePmt(FFMPEG_PMT);
    expect(pmt.ok).toBe(true);
    if (!pmt.ok) return;
    expect(pmt.value.pcrPid).toBe(0x100);
    expect(pmt.value.streams.map((s) => [s.pid, s.kind, s.codec])).toEqual([
      [0x100, 'video', 'h264'],
      [0x101, 'audio', 'aac'],
    ]);
  });

  it('round-trips a PMT with descriptors, version and network PID in the PAT', () => {
    const ac3 = Buffer.from('6a0100', 'hex');
    const s = buildPmt({
      programNumber: 7,
      version: 5,
      pcrPid: 0x1ffe,
      streams: [
        { streamType: 0x24, pid: 0x200 },
        { streamType: 0x06, pid: 0x201, descriptors: ac3 },
        { streamType: 0x06, pid: 0x202, descriptors: Buffer.from('050445414333', 'hex') },
        { streamType: 0x86, pid: 0x203 },
      ],
    });
    const r = parsePmt(s);
    expect(r.ok && r.value.version).toBe(5);
    expect(r.ok && r.value.programNumber).toBe(7);
    expect(r.ok && r.value.pcrPid).toBe(0x1ffe);
    expect(r.ok && r.value.streams.map((x) => x.codec)).toEqual(['hevc', 'ac3', 'eac3', 'type-0x86']);
    expect(r.ok && r.value.streams[1]!.descriptors).toEqual(ac3);
    const pat = parsePat(
      buildPat({
        transportStreamId: 9,
        programs: [
          { programNumber: 0, pmtPid: 0x10 },
          { programNumber: 3, pmtPid: 0x30 },
        ],
      }),
    );
    expect(pat.ok && pat.value.programs).toEqual([{ programNumber: 3, pmtPid: 0x30 }]);
  });

  it('classifies codecs', () => {
    const none = new Uint8Array(0);
    expect(classifyStream(0x02, none)).toEqual({ kind: 'video', codec: 'mpeg2' });
    expect(classifyStream(0x11, none)).toEqual({ kind: 'audio', codec: 'aac-latm' });
    expect(classifyStream(0x03, none).codec).toBe('mpeg-audio');
    expect(classifyStream(0x04, none).codec).toBe('mpeg-audio');
    expect(classifyStream(0x81, none).codec).toBe('ac3');
    expect(classifyStream(0x87, none).codec).toBe('eac3');
    expect(classifyStream(0x06, Buffer.from('7a00', 'hex')).codec).toBe('eac3');
    expect(classifyStream(0x06, Buffer.from('5605656e6709', 'hex')).kind).toBe('other'); // teletext
    expect(classifyStream(0x06, Buffer.from('6a00', 'hex')).codec).toBe('ac3');
    expect(classifyStream(0x06, Buffer.from('7a', 'hex')).kind).toBe('other'); // truncated descriptor
  });

  it('rejects malformed sections with a reason instead of throwing', () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.alloc(0), /truncated/],
      [FFMPEG_PAT.subarray(0, 10), /truncated/],
      [Buffer.from(FFMPEG_PMT), /table_id/],
      [Object.assign(Buffer.from(FFMPEG_PAT), { [15]: 0xf1 }), /CRC/],
      [Object.assign(Buffer.from(FFMPEG_PAT), { [1]: 0x30 }), /syntax/],
      [Object.assign(Buffer.from(FFMPEG_PAT), { [1]: 0xbf, [2]: 0xff }), /section_length/],
    ];
    for (const [s, re] of cases) {
      const r = parsePat(s);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(re);
    }
    // PMT whose ES_info_length runs past the section (CRC recomputed so only the structure is wrong)
    const bad = Buffer.from(FFMPEG_PMT);
    bad[16] = 0xf0;
    bad[17] = 0x40;
    bad.writeUInt32BE(crc32mpeg2(bad, 0, bad.length - 4), bad.length - 4);
    const r = parsePmt(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/ES_info_length/);
    // not-yet-current table
    const next = Buffer.from(FFMPEG_PAT);
    next[5] = 0xc0;
    next.writeUInt32BE(crc32mpeg2(next, 0, next.length - 4), next.length - 4);
    expect(parsePat(next).ok).toBe(false);
  });
});

describe('sectionToPackets + SectionAssembler', () => {
  it('packetises a small section into one packet with pointer 0 and stuffing', () => {
    const { packets, cc } = sectionToPackets(0, FFMPEG_PAT, 15);
    expect(packets.length).toBe(188);
    expect(cc).toBe(0);
    expect(packets.subarray(0, 5).toString('hex')).toBe('474000' + '1f' + '00');
    expect(packets.subarray(5, 5 + FFMPEG_PAT.length)).toEqual(FFMPEG_PAT);
    expect(packets.subarray(5 + FFMPEG_PAT.length).every((b) => b === 0xff)).toBe(true);
  });

  it('splits a large section across packets and reassembles it', () => {
    const streams = Array.from({ length: 60 }, (_, i) => ({
      streamType: 0x06,
      pid: 0x200 + i,
      descriptors: Buffer.from('0a04656e6700', 'hex'),
    }));
    const section = buildPmt({ programNumber: 1, pcrPid: 0x200, streams });
    expect(section.length).toBeGreaterThan(184 * 3);
    const { packets, cc } = sectionToPackets(0x1000, section, 3);
    const n = packets.length / 188;
    expect(cc).toBe((3 + n) & 15);
    const asm = new SectionAssembler();
    const got: Buffer[] = [];
    for (let o = 0; o < packets.length; o += 188) {
      expect(pidOf(packets, o)).toBe(0x1000);
      expect(pusiOf(packets, o)).toBe(o === 0);
      expect(ccOf(packets, o)).toBe((3 + o / 188) & 15);
      got.push(...asm.push(packets, o));
    }
    expect(got).toEqual([section]);
    expect(parsePmt(got[0]!).ok).toBe(true);
  });

  it('handles a pointer_field that finishes the previous section and several sections per packet', () => {
    const pmt = FFMPEG_PMT;
    const asm = new SectionAssembler();
    // Packet 1: the pointer skips bytes belonging to no section we saw; a PMT starts in the last 10 bytes.
    const a = Buffer.alloc(188, 0xff);
    a.set([0x47, 0x50, 0x00, 0x10]);
    a[4] = 188 - 10 - 5; // pointer_field
    pmt.copy(a, 178, 0, 10);
    expect(asm.push(a, 0)).toEqual([]);
    // Packet 2: pointer covers the rest of that PMT, then two more complete sections, then stuffing.
    const rest = pmt.subarray(10);
    const b = tsPacket(0x1000, true, 1, Buffer.concat([Buffer.from([rest.length]), rest, pmt, pmt]));
    expect(asm.push(b, 0)).toEqual([pmt, pmt, pmt]);
    expect(asm.discarded).toBe(0);
  });

  it('drops a partial section on a CC gap and ignores duplicates', () => {
    const long = buildPmt({
      programNumber: 1,
      pcrPid: 0x100,
      streams: Array.from({ length: 50 }, (_, i) => ({ streamType: 0x1b, pid: 0x100 + i })),
    });
    const { packets } = sectionToPackets(0x1000, long, 0);
    expect(packets.length).toBe(376);
    const asm = new SectionAssembler();
    expect(asm.push(packets, 0)).toEqual([]);
    expect(asm.push(packets, 0)).toEqual([]); // duplicate CC: ignored
    const gap = Buffer.from(packets.subarray(188));
    gap[3] = 0x15; // CC 5 instead of 1
    expect(asm.push(gap, 0)).toEqual([]);
    expect(asm.discarded).toBe(1);
    // a clean copy afterwards is reassembled
    const again = sectionToPackets(0x1000, long, 6).packets;
    expect([...asm.push(again, 0), ...asm.push(again, 188)]).toEqual([long]);
  });

  it('recognises a PAT/PMT repeated byte for byte in CC order, and nothing else', () => {
    const asm = new SectionAssembler();
    const at = (cc: number, section = FFMPEG_PAT) => sectionToPackets(0, section, cc).packets;
    expect(asm.repeats(at(0), 0)).toBe(false); // nothing seen yet
    expect(asm.push(at(0), 0)).toEqual([FFMPEG_PAT]);
    expect(asm.repeats(at(1), 0)).toBe(true);
    expect(asm.repeats(at(2), 0)).toBe(true); // its CC was taken as seen: 2 follows 1
    expect(asm.repeats(at(2), 0)).toBe(true); // a duplicate packet repeats too
    expect(asm.repeats(at(7), 0)).toBe(false); // CC gap: reassemble normally
    expect(asm.push(at(3), 0)).toEqual([FFMPEG_PAT]);
    const changed = Buffer.from(FFMPEG_PAT);
    changed[8] = changed[8]! ^ 0x01; // another program number: different content
    expect(asm.repeats(at(4, changed), 0)).toBe(false);
    // A section spanning packets leaves nothing to compare against.
    const long = buildPmt({
      programNumber: 1,
      pcrPid: 0x100,
      streams: Array.from({ length: 50 }, (_, i) => ({ streamType: 0x1b, pid: 0x100 + i })),
    });
    const two = sectionToPackets(0x1000, long, 0).packets;
    const pmtAsm = new SectionAssembler();
    pmtAsm.push(two, 0);
    pmtAsm.push(two, 188);
    const again = sectionToPackets(0x1000, long, 2).packets;
    expect(pmtAsm.repeats(again, 0)).toBe(false);
    expect([...pmtAsm.push(again, 0), ...pmtAsm.push(again, 188)]).toEqual([long]);
  });

  it('rejects a pointer_field past the packet end and oversized section lengths', () => {
    const asm = new SectionAssembler();
    expect(asm.push(tsPacket(0, true, 0, Buffer.from([200])), 0)).toEqual([]);
    expect(asm.discarded).toBe(1);
    const huge = tsPacket(0, true, 1, Buffer.from('00 00 bf ff'.replace(/ /g, ''), 'hex'));
    expect(asm.push(huge, 0)).toEqual([]);
    // section_length 0xfff = 4095 → 4098 bytes > 4096 limit
    expect(asm.discarded).toBe(2);
  });
});
