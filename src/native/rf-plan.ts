// The virtual RF plan: every lineup channel gets a physical channel (hence a frequency) and a
// program number, keyed by the channel's merge key so the numbers never move once given — like
// GuideNumbers, because TVHeadend stores services by (mux, program number).
//
// Allocation fills the map from the highest frequency down (scanners such as `hdhomerun_config
// scan` start there), one program per channel first; only when every physical
// channel carries a program does a channel get a second one, and so on (least loaded first).
import type { Channel } from '../model.js';
import { allocationOrder, channelByNumber, defaultModulation, type ChannelMapName } from './channel-maps.js';

export interface PlanAssignment {
  /** Physical channel number in the plan's channel map. */
  readonly rf: number;
  /** MPEG program number within that channel's mux (1…). */
  readonly program: number;
  /** Last known display name, so a human can read the file. */
  readonly name: string;
}

export interface RfPlanData {
  readonly version: 1;
  readonly channelMap: ChannelMapName;
  /** By channel key; entries of removed channels stay reserved. */
  readonly channels: Readonly<Record<string, PlanAssignment>>;
}

export const MAX_PROGRAMS_PER_MUX = 64;

export function emptyPlan(channelMap: ChannelMapName): RfPlanData {
  return { version: 1, channelMap, channels: {} };
}

/**
 * Give every channel without an assignment one; refresh names. Returns the same object when
 * nothing changed. Channels that do not fit (map full) stay unassigned and are listed.
 */
export function assignPlan(
  plan: RfPlanData,
  channels: readonly Pick<Channel, 'key' | 'name'>[],
): { plan: RfPlanData; changed: boolean; unassigned: string[] } {
  const out: Record<string, PlanAssignment> = { ...plan.channels };
  const load = new Map<number, Set<number>>();
  const order = allocationOrder(plan.channelMap).map((c) => c.number);
  for (const n of order) load.set(n, new Set());
  for (const a of Object.values(out)) load.get(a.rf)?.add(a.program);
  let changed = false;
  const unassigned: string[] = [];
  for (const ch of channels) {
    const known = out[ch.key];
    if (known) {
      if (known.name !== ch.name) {
        out[ch.key] = { ...known, name: ch.name };
        changed = true;
      }
      continue;
    }
    let best: number | undefined;
    for (const n of order) {
      const used = load.get(n)!.size;
      if (used < MAX_PROGRAMS_PER_MUX && (best === undefined || used < load.get(best)!.size)) best = n;
    }
    if (best === undefined) {
      unassigned.push(ch.key);
      continue;
    }
    const programs = load.get(best)!;
    let program = 1;
    while (programs.has(program)) program++;
    programs.add(program);
    out[ch.key] = { rf: best, program, name: ch.name };
    changed = true;
  }
  return { plan: changed ? { ...plan, channels: out } : plan, changed, unassigned };
}

/** One program of a mux, as tuners, PSI and the published map see it. */
export interface MuxProgram {
  readonly program: number;
  readonly channel: Channel;
}

export interface Mux {
  readonly rf: number;
  readonly frequency: number;
  /** transport_stream_id: the physical channel number, unique within the plan. */
  readonly tsid: number;
  readonly modulation: '8vsb' | 'qam256';
  /** Lineup channels on this mux, by program number. */
  readonly programs: readonly MuxProgram[];
}

/** Muxes that carry at least one current lineup channel, by frequency. */
export function buildMuxes(plan: RfPlanData, lineup: readonly Channel[]): Mux[] {
  const byRf = new Map<number, MuxProgram[]>();
  for (const channel of lineup) {
    const a = plan.channels[channel.key];
    if (!a) continue;
    let list = byRf.get(a.rf);
    if (!list) byRf.set(a.rf, (list = []));
    list.push({ program: a.program, channel });
  }
  const muxes: Mux[] = [];
  for (const [rf, programs] of byRf) {
    const c = channelByNumber(plan.channelMap, rf);
    if (!c) continue;
    muxes.push({
      rf,
      frequency: c.frequency,
      tsid: rf,
      modulation: defaultModulation(plan.channelMap),
      programs: programs.sort((a, b) => a.program - b.program),
    });
  }
  return muxes.sort((a, b) => a.frequency - b.frequency);
}

/** The published channel map (served as JSON so users can build a TVHeadend network from it). */
export interface PublishedChannelMap {
  readonly channelMap: ChannelMapName;
  readonly muxes: readonly {
    readonly channel: number;
    readonly frequency: number;
    readonly modulation: string;
    readonly tsid: number;
    readonly programs: readonly { program: number; guideNumber: string; name: string }[];
  }[];
}

export function publishPlan(plan: RfPlanData, muxes: readonly Mux[]): PublishedChannelMap {
  return {
    channelMap: plan.channelMap,
    muxes: muxes.map((m) => ({
      channel: m.rf,
      frequency: m.frequency,
      modulation: m.modulation,
      tsid: m.tsid,
      programs: m.programs.map((p) => ({
        program: p.program,
        guideNumber: p.channel.guideNumber,
        name: p.channel.name,
      })),
    })),
  };
}

export function isPlanData(v: unknown): v is RfPlanData {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (o.version !== 1 || typeof o.channelMap !== 'string') return false;
  if (typeof o.channels !== 'object' || o.channels === null) return false;
  return Object.values(o.channels).every((a) => {
    const e = a as Record<string, unknown>;
    return (
      typeof e === 'object' &&
      e !== null &&
      Number.isInteger(e.rf) &&
      Number.isInteger(e.program) &&
      (e.program as number) >= 1 &&
      typeof e.name === 'string'
    );
  });
}
