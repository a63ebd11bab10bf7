// PSI: PAT/PMT parsing and building, section ↔ packet conversion. Parsers never throw: a
// malformed section yields `{ ok: false, reason }` so one bad upstream packet cannot kill a session.
import { crc32mpeg2 } from './crc32.js';
import { SYNC, TS_PACKET_SIZE } from './constants.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface PatProgram {
  readonly programNumber: number;
  readonly pmtPid: number;
}

export interface Pat {
  readonly transportStreamId: number;
  readonly version: number;
  /** Programs with program_number ≠ 0 (0 is the network PID, which we never need). */
  readonly programs: readonly PatProgram[];
}

export type StreamKind = 'video' | 'audio' | 'other';

export interface PmtStream {
  readonly pid: number;
  readonly streamType: number;
  readonly kind: StreamKind;
  /** h264, hevc, mpeg2, mpeg1, mpeg4, aac, aac-latm, mpeg-audio, ac3, eac3, or `type-0xNN`. */
  readonly codec: string;
  /** Raw ES_info descriptors. */
  readonly descriptors: Buffer;
}

export interface Pmt {
  readonly programNumber: number;
  readonly version: number;
  readonly pcrPid: number;
  readonly streams: readonly PmtStream[];
}

const MAX_SECTION_LENGTH = 1021;
const TABLE_PAT = 0x00;
const TABLE_PMT = 0x02;

function fail<T>(reason: string): Parsed<T> {
  return { ok: false, reason };
}

/** Checks the long-form section header and CRC; returns the byte length of the whole section. */
function checkSection(s: Uint8Array, tableId: number, minLength: number): number | string {
  if (s.length < 3) return 'section truncated (header)';
  if (s[0] !== tableId) return `unexpected table_id 0x${s[0]!.toString(16)}`;
  if ((s[1]! & 0x80) === 0) return 'section_syntax_indicator not set';
  const sectionLength = ((s[1]! & 0x0f) << 8) | s[2]!;
  if (sectionLength > MAX_SECTION_LENGTH) return `section_length ${sectionLength} > ${MAX_SECTION_LENGTH}`;
  if (sectionLength < minLength) return `section_length ${sectionLength} too short`;
  const total = 3 + sectionLength;
  if (s.length < total) return `section truncated (${s.length} of ${total} bytes)`;
  if (crc32mpeg2(s, 0, total) !== 0) return 'CRC mismatch';
  if ((s[5]! & 1) === 0) return 'current_next_indicator is 0 (table not yet applicable)';
  return total;
}

export function parsePat(section: Uint8Array): Parsed<Pat> {
  const total = checkSection(section, TABLE_PAT, 9);
  if (typeof total === 'string') return fail(`PAT: ${total}`);
  const loopEnd = total - 4;
  if ((loopEnd - 8) % 4 !== 0) return fail('PAT: program loop not a multiple of 4 bytes');
  const programs: PatProgram[] = [];
  for (let i = 8; i < loopEnd; i += 4) {
    const programNumber = (section[i]! << 8) | section[i + 1]!;
    const pid = ((section[i + 2]! & 0x1f) << 8) | section[i + 3]!;
    if (programNumber !== 0) programs.push({ programNumber, pmtPid: pid });
  }
  return {
    ok: true,
    value: {
      transportStreamId: (section[3]! << 8) | section[4]!,
      version: (section[5]! >> 1) & 0x1f,
      programs,
    },
  };
}

export function parsePmt(section: Uint8Array): Parsed<Pmt> {
  const total = checkSection(section, TABLE_PMT, 13);
  if (typeof total === 'string') return fail(`PMT: ${total}`);
  const loopEnd = total - 4;
  const programInfoLength = ((section[10]! & 0x0f) << 8) | section[11]!;
  let i = 12 + programInfoLength;
  if (i > loopEnd) return fail('PMT: program_info_length runs past the section');
  const streams: PmtStream[] = [];
  while (i < loopEnd) {
    if (i + 5 > loopEnd) return fail('PMT: truncated ES entry');
    const streamType = section[i]!;
    const pid = ((section[i + 1]! & 0x1f) << 8) | section[i + 2]!;
    const esInfoLength = ((section[i + 3]! & 0x0f) << 8) | section[i + 4]!;
    const dEnd = i + 5 + esInfoLength;
    if (dEnd > loopEnd) return fail('PMT: ES_info_length runs past the section');
    const descriptors = Buffer.from(section.subarray(i + 5, dEnd));
    streams.push({ pid, streamType, descriptors, ...classifyStream(streamType, descriptors) });
    i = dEnd;
  }
  return {
    ok: true,
    value: {
      programNumber: (section[3]! << 8) | section[4]!,
      version: (section[5]! >> 1) & 0x1f,
      pcrPid: ((section[8]! & 0x1f) << 8) | section[9]!,
      streams,
    },
  };
}

const VIDEO: Readonly<Record<number, string>> = {
  0x01: 'mpeg1',
  0x02: 'mpeg2',
  0x10: 'mpeg4',
  0x1b: 'h264',
  0x24: 'hevc',
};
const AUDIO: Readonly<Record<number, string>> = {
  0x03: 'mpeg-audio',
  0x04: 'mpeg-audio',
  0x0f: 'aac',
  0x11: 'aac-latm',
  0x81: 'ac3',
  0x87: 'eac3',
};

/** Classify an ES by stream_type, looking into descriptors for DVB private PES (0x06) audio. */
export function classifyStream(
  streamType: number,
  descriptors: Uint8Array,
): { kind: StreamKind; codec: string } {
  const v = VIDEO[streamType];
  if (v) return { kind: 'video', codec: v };
  const a = AUDIO[streamType];
  if (a) return { kind: 'audio', codec: a };
  if (streamType === 0x06) {
    for (let i = 0; i + 2 <= descriptors.length; i += 2 + descriptors[i + 1]!) {
      const tag = descriptors[i]!;
      if (tag === 0x6a) return { kind: 'audio', codec: 'ac3' };
      if (tag === 0x7a) return { kind: 'audio', codec: 'eac3' };
      if (tag === 0x05 && i + 6 <= descriptors.length) {
        const id = Buffer.from(descriptors.subarray(i + 2, i + 6)).toString('latin1');
        if (id === 'AC-3') return { kind: 'audio', codec: 'ac3' };
        if (id === 'EAC3') return { kind: 'audio', codec: 'eac3' };
      }
    }
  }
  return { kind: 'other', codec: `type-0x${streamType.toString(16).padStart(2, '0')}` };
}

/** Fill the common header (8 bytes) and trailing CRC of a long-form section built in `s`. */
function finishSection(s: Buffer, tableId: number, idField: number, version: number): Buffer {
  const sectionLength = s.length - 3;
  s[0] = tableId;
  s[1] = 0xb0 | ((sectionLength >> 8) & 0x0f);
  s[2] = sectionLength & 0xff;
  s.writeUInt16BE(idField & 0xffff, 3);
  s[5] = 0xc1 | ((version & 0x1f) << 1);
  s[6] = 0; // section_number
  s[7] = 0; // last_section_number
  s.writeUInt32BE(crc32mpeg2(s, 0, s.length - 4), s.length - 4);
  return s;
}

export function buildPat(opts: {
  transportStreamId: number;
  version?: number;
  programs: readonly PatProgram[];
}): Buffer {
  const s = Buffer.alloc(8 + opts.programs.length * 4 + 4);
  let i = 8;
  for (const p of opts.programs) {
    s.writeUInt16BE(p.programNumber, i);
    s[i + 2] = 0xe0 | ((p.pmtPid >> 8) & 0x1f);
    s[i + 3] = p.pmtPid & 0xff;
    i += 4;
  }
  return finishSection(s, TABLE_PAT, opts.transportStreamId, opts.version ?? 0);
}

export interface PmtStreamSpec {
  readonly streamType: number;
  readonly pid: number;
  readonly descriptors?: Uint8Array;
}

export function buildPmt(opts: {
  programNumber: number;
  version?: number;
  pcrPid: number;
  streams: readonly PmtStreamSpec[];
}): Buffer {
  const esBytes = opts.streams.reduce((n, st) => n + 5 + (st.descriptors?.length ?? 0), 0);
  const s = Buffer.alloc(12 + esBytes + 4);
  s[8] = 0xe0 | ((opts.pcrPid >> 8) & 0x1f);
  s[9] = opts.pcrPid & 0xff;
  s[10] = 0xf0; // program_info_length 0
  s[11] = 0;
  let i = 12;
  for (const st of opts.streams) {
    const d = st.descriptors ?? new Uint8Array(0);
    s[i] = st.streamType;
    s[i + 1] = 0xe0 | ((st.pid >> 8) & 0x1f);
    s[i + 2] = st.pid & 0xff;
    s[i + 3] = 0xf0 | ((d.length >> 8) & 0x0f);
    s[i + 4] = d.length & 0xff;
    s.set(d, i + 5);
    i += 5 + d.length;
  }
  return finishSection(s, TABLE_PMT, opts.programNumber, opts.version ?? 0);
}

/**
 * Packetise one section on `pid`: pointer_field 0 in the first packet, 0xFF stuffing in the last.
 * `cc` in the result is the counter for the next packet on that PID.
 */
export function sectionToPackets(
  pid: number,
  section: Buffer,
  ccStart: number,
): { packets: Buffer; cc: number } {
  const payload = section.length + 1;
  const n = Math.ceil(payload / 184);
  const packets = Buffer.alloc(n * TS_PACKET_SIZE, 0xff);
  let cc = ccStart & 0x0f;
  let src = 0;
  for (let k = 0; k < n; k++) {
    const o = k * TS_PACKET_SIZE;
    packets[o] = SYNC;
    packets[o + 1] = (k === 0 ? 0x40 : 0) | ((pid >> 8) & 0x1f);
    packets[o + 2] = pid & 0xff;
    packets[o + 3] = 0x10 | cc;
    let w = o + 4;
    if (k === 0) packets[w++] = 0; // pointer_field
    const take = Math.min(section.length - src, o + TS_PACKET_SIZE - w);
    section.copy(packets, w, src, src + take);
    src += take;
    cc = (cc + 1) & 0x0f;
  }
  return { packets, cc };
}
