import { describe, expect, it } from 'vitest';
import { MuxPsi, slotPids } from '../../src/native/mux-psi.js';
import { ProgramRemux } from '../../src/native/program-remux.js';
import { buildVct, TABLE_CVCT, TABLE_TVCT, VCT_PID, virtualNumber } from '../../src/native/psip.js';
import type { Mux } from '../../src/native/rf-plan.js';
import { crc32mpeg2 } from '../../src/ts/crc32.js';
import { parsePat, parsePmt } from '../../src/ts/psi.js';
import { SectionAssembler } from '../../src/ts/section-assembler.js';
import { channel, esPacket, sessionPsi } from './helpers.js';

const alpha = {
  name: 'Alpha',
  major: 5,
  minor: 1,
  modulation: 'qam256' as const,
  channelTsid: 158,
  programNumber: 1,
  sourceId: (158 << 8) | 1,
};

/** Sections of `pid` found in a packet stream. */
function sections(ts: Buffer, pid: number): Buffer[] {
  const asm = new SectionAssembler();
  const out: Buffer[] = [];
  for (let o = 0; o + 188 <= ts.length; o += 188) {
    if ((((ts[o + 1]! & 0x1f) << 8) | ts[o + 2]!) === pid) out.push(...asm.push(ts, o));
  }
  return out;
}

const pidsOf = (ts: Buffer): number[] => {
  const out: number[] = [];
  for (let o = 0; o + 188 <= ts.length; o += 188) out.push(((ts[o + 1]! & 0x1f) << 8) | ts[o + 2]!);
  return out;
};

describe('ATSC VCT', () => {
  it('builds a byte-exact TVCT section with short name, 5.1, program and extended name', () => {
    const [s, ...rest] = buildVct({
      tableId: TABLE_TVCT,
      transportStreamId: 158,
      version: 3,
      channels: [alpha],
    });
    expect(rest).toEqual([]);
    expect(s!.toString('hex')).toBe(
      'c8f03c009ec7000000' +
        '01' + // num_channels_in_section
        '0041006c00700068006100000000' + // "Alpha" UTF-16BE, padded to 7 units (14 bytes)
        'f014010300000000009e00010dc29e01fc0f' + // 5.1, QAM-256, TSID 158, program 1, TVCT flags, DTV, source, desc len
        'a00d01656e6701000005416c706861' + // extended_channel_name "Alpha" (eng, Latin-1)
        'fc00' + // additional_descriptors_length 0
        'eb32c6c6',
    );
  });

  it('CVCT differs only in table_id and the cable flag bits, CRC stays valid', () => {
    const [t] = buildVct({ tableId: TABLE_TVCT, transportStreamId: 158, version: 3, channels: [alpha] });
    const [c] = buildVct({ tableId: TABLE_CVCT, transportStreamId: 158, version: 3, channels: [alpha] });
    expect(c![0]).toBe(0xc9);
    expect(c![10 + 26]).toBe(0x01);
    expect(crc32mpeg2(c!)).toBe(0);
    const diff = [...t!.subarray(0, -4)].flatMap((b, i) => (b === c![i] ? [] : [i]));
    expect(diff).toEqual([0, 36]);
  });

  it('splits many channels into sections of at most 1024 bytes, numbered', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({
      ...alpha,
      name: `Channel number ${i} long name`,
      programNumber: i + 1,
    }));
    const secs = buildVct({ tableId: TABLE_TVCT, transportStreamId: 1, version: 0, channels: many });
    expect(secs.length).toBeGreaterThan(1);
    let count = 0;
    secs.forEach((s, i) => {
      expect(s.length).toBeLessThanOrEqual(1024);
      expect(crc32mpeg2(s)).toBe(0);
      expect([s[6], s[7]]).toEqual([i, secs.length - 1]);
      count += s[9]!;
    });
    expect(count).toBe(40);
  });

  it('maps GuideNumbers to major/minor, one-part numbers above 999', () => {
    expect(virtualNumber('5.1')).toEqual({ major: 5, minor: 1 });
    expect(virtualNumber('105')).toEqual({ major: 105, minor: 0 });
    expect(virtualNumber('1001')).toEqual({ major: 0x3f0, minor: 1001 });
    expect(virtualNumber('2048')).toEqual({ major: 0x3f2, minor: 0 });
  });

  it('replaces characters Latin-1 cannot hold in the extended name', () => {
    const [s] = buildVct({
      tableId: TABLE_TVCT,
      transportStreamId: 1,
      version: 0,
      channels: [{ ...alpha, name: 'Café ☕' }],
    });
    expect(s!.includes(Buffer.from('Caf\xe9 ?', 'latin1'))).toBe(true);
  });
});

const mux: Mux = {
  rf: 158,
  frequency: 999_000_000,
  tsid: 158,
  modulation: 'qam256',
  programs: [
    { program: 1, channel: channel('a', '5.1', 'Alpha') },
    { program: 2, channel: channel('b', '7', 'Beta') },
  ],
};

describe('MuxPsi carousel', () => {
  it('sends a PAT of every program with slot PMTs, and the VCT when asked', () => {
    const psi = new MuxPsi();
    psi.setMux(mux);
    const ts = psi.packets(true);
    const pat = parsePat(sections(ts, 0)[0]!);
    expect(pat.ok && pat.value).toMatchObject({
      transportStreamId: 158,
      programs: [
        { programNumber: 1, pmtPid: 0x1001 },
        { programNumber: 2, pmtPid: 0x1002 },
      ],
    });
    const pmt2 = parsePmt(sections(ts, 0x1002)[0]!);
    expect(pmt2.ok && pmt2.value).toMatchObject({
      programNumber: 2,
      pcrPid: 0x110,
      streams: [
        { pid: 0x110, codec: 'h264' },
        { pid: 0x111, codec: 'aac' },
      ],
    });
    const vct = sections(ts, VCT_PID);
    expect(vct.map((s) => s[0])).toEqual([TABLE_TVCT, TABLE_CVCT]);
    expect(vct[0]!.includes(Buffer.from('Beta', 'latin1'))).toBe(true);
    expect(pidsOf(psi.packets(false))).not.toContain(VCT_PID);
  });

  it('keeps continuity counters running per PID across rounds', () => {
    const psi = new MuxPsi();
    psi.setMux(mux);
    const a = psi.packets(false);
    const b = psi.packets(false);
    expect(b[3]! & 0x0f).toBe(((a[3]! & 0x0f) + 1) & 0x0f);
  });

  it('lists only the selected program, with a new PAT version', () => {
    const psi = new MuxPsi();
    psi.setMux(mux);
    const before = parsePat(sections(psi.packets(false), 0)[0]!);
    psi.select(2);
    const after = parsePat(sections(psi.packets(false), 0)[0]!);
    expect(after.ok && after.value.programs).toEqual([{ programNumber: 2, pmtPid: 0x1002 }]);
    expect(before.ok && after.ok && after.value.version).not.toBe(before.ok && before.value.version);
    expect(pidsOf(psi.packets(false))).not.toContain(0x1001);
  });

  it('publishes a learnt layout with a bumped PMT version, kept across a lineup refresh', () => {
    const psi = new MuxPsi();
    psi.setMux(mux);
    psi.setLayout(1, {
      pcrPid: 0x100,
      streams: [
        { streamType: 0x02, pid: 0x100 },
        { streamType: 0x81, pid: 0x101 },
      ],
    });
    psi.setMux({ ...mux });
    const pmt = parsePmt(sections(psi.packets(false), 0x1001)[0]!);
    expect(pmt.ok && pmt.value).toMatchObject({
      version: 1,
      streams: [{ codec: 'mpeg2' }, { codec: 'ac3' }],
    });
    psi.setMux({ ...mux, rf: 157 });
    const fresh = parsePmt(sections(psi.packets(false), 0x1001)[0]!);
    expect(fresh.ok && fresh.value.streams.map((s) => s.codec)).toEqual(['h264', 'aac']);
  });

  it('sends nothing without a mux', () => {
    const psi = new MuxPsi();
    psi.setMux(undefined);
    expect(psi.packets(true)).toHaveLength(0);
  });
});

describe('ProgramRemux', () => {
  it('moves the session ES onto the slot PIDs and drops its PSI and other PIDs', () => {
    const layouts: unknown[] = [];
    const remux = new ProgramRemux(slotPids(3).esBase, (l) => layouts.push(l));
    const input = Buffer.concat([
      sessionPsi(),
      esPacket(0x100, 5),
      esPacket(0x101, 6),
      esPacket(0x11, 0),
      esPacket(0x1fff, 0),
    ]);
    const copy = Buffer.from(input);
    const out = remux.push(input);
    expect(input.equals(copy)).toBe(true); // the ring's buffer is shared: never edited in place
    expect(pidsOf(out)).toEqual([0x120, 0x121]);
    expect(out[3]! & 0x0f).toBe(5);
    expect(out.subarray(4, 188).equals(input.subarray(188 * 2 + 4, 188 * 3))).toBe(true);
    expect(layouts).toEqual([
      {
        pcrPid: 0x120,
        streams: [
          { streamType: 0x1b, pid: 0x120, descriptors: Buffer.alloc(0) },
          { streamType: 0x0f, pid: 0x121, descriptors: Buffer.alloc(0) },
        ],
      },
    ]);
  });

  it('drops ES packets until the PMT is known and reassembles split packets', () => {
    const remux = new ProgramRemux(0x100, () => undefined);
    expect(remux.push(esPacket(0x100, 0))).toHaveLength(0);
    const all = Buffer.concat([sessionPsi(), esPacket(0x100, 1)]);
    const a = remux.push(all.subarray(0, 200));
    const b = remux.push(all.subarray(200));
    expect(pidsOf(Buffer.concat([a, b]))).toEqual([0x100]);
  });

  it('reports a layout again only when the PMT changes', () => {
    const layouts: unknown[] = [];
    const remux = new ProgramRemux(0x100, (l) => layouts.push(l));
    remux.push(sessionPsi(0x1b, 0));
    remux.push(sessionPsi(0x1b, 1));
    expect(layouts).toHaveLength(1);
    remux.push(sessionPsi(0x24, 2));
    expect(layouts).toHaveLength(2);
  });

  it('survives garbage: bad sync bytes and broken sections', () => {
    const remux = new ProgramRemux(0x100, () => undefined);
    const junk = Buffer.alloc(188 * 3, 0x47);
    junk[188] = 0x00;
    expect(() => remux.push(junk)).not.toThrow();
  });
});
