// RF channel maps an HDHomeRun knows (the standard broadcast and cable plans). Frequencies are
// centre frequencies in Hz, rounded to 125 kHz the way libhdhomerun compares them, so a client
// that computes them itself (hdhomerun_config scan, TVHeadend's predefined mux lists) meets ours.

export const CHANNEL_MAPS = [
  'us-cable',
  'us-bcast',
  'us-hrc',
  'us-irc',
  'eu-bcast',
  'eu-cable',
  'au-bcast',
  'au-cable',
  'kr-bcast',
  'kr-cable',
  'tw-bcast',
  'tw-cable',
] as const;
export type ChannelMapName = (typeof CHANNEL_MAPS)[number];

export interface RfChannel {
  /** Physical channel number in its map. */
  readonly number: number;
  /** Centre frequency, Hz. */
  readonly frequency: number;
}

/** [first channel, last channel, frequency of the first (Hz), spacing (Hz)] */
type Range = readonly [number, number, number, number];

const US_BCAST: readonly Range[] = [
  [2, 4, 57_000_000, 6_000_000],
  [5, 6, 79_000_000, 6_000_000],
  [7, 13, 177_000_000, 6_000_000],
  [14, 36, 473_000_000, 6_000_000],
  [38, 51, 617_000_000, 6_000_000],
];
const US_CABLE: readonly Range[] = [
  [2, 4, 57_000_000, 6_000_000],
  [5, 6, 79_000_000, 6_000_000],
  [7, 13, 177_000_000, 6_000_000],
  [14, 22, 123_000_000, 6_000_000],
  [23, 94, 219_000_000, 6_000_000],
  [95, 99, 93_000_000, 6_000_000],
  [100, 158, 651_000_000, 6_000_000],
];
/** No common European cable raster: the channel number is the frequency in MHz. */
const EU_CABLE: readonly Range[] = [[108, 862, 108_000_000, 1_000_000]];

const RANGES: Readonly<Record<ChannelMapName, readonly Range[]>> = {
  'us-bcast': US_BCAST,
  'us-cable': US_CABLE,
  'tw-cable': US_CABLE,
  'kr-bcast': US_BCAST,
  'eu-cable': EU_CABLE,
  'au-cable': EU_CABLE,
  'eu-bcast': [
    [5, 12, 177_500_000, 7_000_000],
    [21, 69, 474_000_000, 8_000_000],
  ],
  'au-bcast': [
    [5, 12, 177_500_000, 7_000_000],
    [21, 69, 480_500_000, 7_000_000],
  ],
  'kr-cable': [
    [2, 4, 57_000_000, 6_000_000],
    [5, 6, 79_000_000, 6_000_000],
    [7, 13, 177_000_000, 6_000_000],
    [14, 22, 123_000_000, 6_000_000],
    [23, 153, 219_000_000, 6_000_000],
  ],
  'tw-bcast': [
    [7, 13, 177_000_000, 6_000_000],
    [14, 69, 473_000_000, 6_000_000],
  ],
  // Harmonically related carriers: every carrier 1.25 MHz low and a slightly wider raster.
  'us-hrc': [
    [2, 4, 55_752_700, 6_000_300],
    [5, 6, 79_753_900, 6_000_300],
    [7, 13, 175_758_700, 6_000_300],
    [14, 22, 121_756_000, 6_000_300],
    [23, 94, 217_760_800, 6_000_300],
    [95, 99, 91_754_500, 6_000_300],
    [100, 158, 649_782_400, 6_000_300],
  ],
  // Incrementally related carriers: 12.5 kHz above the standard plan (same after rounding).
  'us-irc': [
    [2, 4, 57_012_500, 6_000_000],
    [5, 6, 81_012_500, 6_000_000],
    [7, 13, 177_012_500, 6_000_000],
    [14, 22, 123_012_500, 6_000_000],
    [23, 41, 219_012_500, 6_000_000],
    [42, 42, 333_025_000, 6_000_000],
    [43, 94, 339_012_500, 6_000_000],
    [95, 97, 93_012_500, 6_000_000],
    [98, 99, 111_025_000, 6_000_000],
    [100, 158, 651_012_500, 6_000_000],
  ],
};

/** Round to the 125 kHz raster tuners compare frequencies on. */
export function roundFrequency(hz: number): number {
  return Math.floor((hz + 62_500) / 125_000) * 125_000;
}

const cache = new Map<ChannelMapName, readonly RfChannel[]>();

/** Channels of a map in channel-number order. */
export function rfChannels(map: ChannelMapName): readonly RfChannel[] {
  let list = cache.get(map);
  if (!list) {
    const out: RfChannel[] = [];
    for (const [first, last, base, spacing] of RANGES[map]) {
      for (let n = first; n <= last; n++) {
        out.push({ number: n, frequency: roundFrequency(base + (n - first) * spacing) });
      }
    }
    list = out.sort((a, b) => a.number - b.number);
    cache.set(map, list);
  }
  return list;
}

export function isChannelMap(s: string): s is ChannelMapName {
  return (CHANNEL_MAPS as readonly string[]).includes(s);
}

export function channelByNumber(map: ChannelMapName, n: number): RfChannel | undefined {
  return rfChannels(map).find((c) => c.number === n);
}

export function channelByFrequency(map: ChannelMapName, hz: number): RfChannel | undefined {
  const f = roundFrequency(hz);
  return rfChannels(map).find((c) => c.frequency === f);
}

/** Antenna maps carry 8VSB, cable maps QAM-256: what a locked tuner reports and the VCT says. */
export function defaultModulation(map: ChannelMapName): '8vsb' | 'qam256' {
  return map.endsWith('-bcast') ? '8vsb' : 'qam256';
}

/** A scanner that locks skips everything within 5.5 MHz below; keep virtual muxes further apart. */
const MIN_SPACING_HZ = 6_000_000;

/**
 * Channels the RF plan may use, in the order it fills them: highest frequency first (scanners
 * start at the top), skipping any closer than 6 MHz to one already taken (the 1 MHz EU cable raster).
 */
export function allocationOrder(map: ChannelMapName): readonly RfChannel[] {
  const byFreq = [...rfChannels(map)].sort((a, b) => b.frequency - a.frequency);
  const out: RfChannel[] = [];
  for (const c of byFreq) {
    const prev = out[out.length - 1];
    if (!prev || prev.frequency - c.frequency >= MIN_SPACING_HZ) out.push(c);
  }
  return out;
}
