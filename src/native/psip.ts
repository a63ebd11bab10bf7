// ATSC PSIP Virtual Channel Table (A/65: TVCT 0xC8, CVCT 0xC9 on PID 0x1FFB): what TVHeadend's
// ATSC networks and ATSC receivers read for channel names and major.minor numbers. Pure builders.
import { crc32mpeg2 } from '../ts/crc32.js';

export const VCT_PID = 0x1ffb;
export const TABLE_TVCT = 0xc8;
export const TABLE_CVCT = 0xc9;

/** A/65 modulation_mode values. */
const MODULATION_MODE = { '8vsb': 0x04, qam256: 0x03 } as const;
/** A/65 service_type: ATSC digital television. */
const SERVICE_DIGITAL_TV = 0x02;
const TAG_EXTENDED_CHANNEL_NAME = 0xa0;
/** Largest section_length for PSIP tables (whole section ≤ 1024 bytes). */
const MAX_SECTION_LENGTH = 1021;

export interface VctChannel {
  /** Full name; the 7-character short_name is cut from it, the full one goes in descriptor 0xA0. */
  readonly name: string;
  readonly major: number;
  readonly minor: number;
  readonly modulation: '8vsb' | 'qam256';
  readonly channelTsid: number;
  readonly programNumber: number;
  readonly sourceId: number;
}

/**
 * major/minor for a GuideNumber: `5.1` → 5/1, `105` → 105/0; numbers above 999 use the A/65
 * one-part form (major 0x3F0 | high bits, minor low 10 bits), up to 16383.
 */
export function virtualNumber(guideNumber: string): { major: number; minor: number } {
  const [a = '0', b] = guideNumber.split('.');
  const major = Number(a);
  const minor = b === undefined ? 0 : Number(b);
  if (Number.isInteger(major) && major >= 1 && major <= 999 && minor <= 999) return { major, minor };
  const n = Math.min(Math.max(Math.trunc(major), 0), 0x3fff);
  return { major: 0x3f0 | (n >> 10), minor: n & 0x3ff };
}

/** multiple_string_structure with one Latin-1 string in English (mode 0: U+0000–U+00FF). */
function multipleString(text: string): Buffer {
  const latin = Buffer.from(text.replace(/[^\u0020-\u00ff]/g, '?'), 'latin1').subarray(0, 200);
  return Buffer.concat([Buffer.from([1, 0x65, 0x6e, 0x67, 1, 0, 0, latin.length]), latin]);
}

function channelEntry(c: VctChannel, tableId: number): Buffer {
  const name = multipleString(c.name);
  const desc = Buffer.concat([Buffer.of(TAG_EXTENDED_CHANNEL_NAME, name.length), name]);
  const e = Buffer.alloc(32);
  // short_name: 7 UTF-16BE code units, zero padded.
  const short = c.name.slice(0, 7);
  for (let i = 0; i < short.length; i++) e.writeUInt16BE(short.charCodeAt(i), i * 2);
  e[14] = 0xf0 | ((c.major >> 6) & 0x0f);
  e[15] = ((c.major & 0x3f) << 2) | ((c.minor >> 8) & 0x03);
  e[16] = c.minor & 0xff;
  e[17] = MODULATION_MODE[c.modulation];
  e.writeUInt32BE(0, 18); // carrier_frequency: deprecated, zero
  e.writeUInt16BE(c.channelTsid, 22);
  e.writeUInt16BE(c.programNumber, 24);
  // ETM_location 00, access_controlled 0, hidden 0, (TVCT: reserved 11 | CVCT: path_select 0,
  // out_of_band 0), hide_guide 0, then reserved bits and service_type.
  e[26] = tableId === TABLE_TVCT ? 0x0d : 0x01;
  e[27] = 0xc0 | SERVICE_DIGITAL_TV;
  e.writeUInt16BE(c.sourceId, 28);
  e[30] = 0xfc | ((desc.length >> 8) & 0x03);
  e[31] = desc.length & 0xff;
  return Buffer.concat([e, desc]);
}

/**
 * One or more VCT sections (split when the channels do not fit one 1024-byte section), each
 * with its CRC. `tableId` picks TVCT (terrestrial) or CVCT (cable).
 */
export function buildVct(opts: {
  tableId: typeof TABLE_TVCT | typeof TABLE_CVCT;
  transportStreamId: number;
  version: number;
  channels: readonly VctChannel[];
}): Buffer[] {
  const entries = opts.channels.map((c) => channelEntry(c, opts.tableId));
  // Fixed part: 10 header bytes, 2 bytes of additional_descriptors_length, 4 CRC bytes.
  const fixed = 10 + 2 + 4;
  const groups: Buffer[][] = [[]];
  let size = fixed;
  for (const e of entries) {
    const cur = groups[groups.length - 1]!;
    if (cur.length > 0 && (size + e.length - 3 > MAX_SECTION_LENGTH || cur.length === 255)) {
      groups.push([e]);
      size = fixed + e.length;
    } else {
      cur.push(e);
      size += e.length;
    }
  }
  const last = groups.length - 1;
  return groups.map((group, n) => {
    const body = Buffer.concat(group);
    const s = Buffer.alloc(fixed + body.length);
    const sectionLength = s.length - 3;
    s[0] = opts.tableId;
    s[1] = 0xf0 | ((sectionLength >> 8) & 0x0f); // syntax 1, private 1, reserved 11
    s[2] = sectionLength & 0xff;
    s.writeUInt16BE(opts.transportStreamId & 0xffff, 3);
    s[5] = 0xc1 | ((opts.version & 0x1f) << 1);
    s[6] = n;
    s[7] = last;
    s[8] = 0; // protocol_version
    s[9] = group.length;
    body.copy(s, 10);
    s[10 + body.length] = 0xfc; // reserved, additional_descriptors_length 0
    s[11 + body.length] = 0x00;
    s.writeUInt32BE(crc32mpeg2(s, 0, s.length - 4), s.length - 4);
    return s;
  });
}
