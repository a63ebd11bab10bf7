// Which source feeds each lineup channel: the first guide in precedence order that has a
// matching channel with programmes, else (when allowed) per-channel Xtream EPG, else the dummy.
import type { Channel, GuideInput } from '../model.js';
import type { ChannelPlan, PlanSource } from './build.js';
import type { InputSpec } from './inputs.js';
import { buildGuideIndex, matchChannel, type GuideIndex } from './match.js';
import type { ShortEpgRequest } from './short-epg-fetch.js';
import type { SpoolLine, SpoolMeta } from './spool.js';
import type { GuideKind } from './types.js';
import { ABSOLUTE } from './xmltv-writer.js';

export interface PlanOptions {
  /** Kinds in order of preference (kinds not listed are unused). */
  readonly kinds: readonly GuideKind[];
  readonly channelId: 'guideNumber' | 'tvgId';
  /** Channel key → guide id ('' = no guide data). */
  readonly overrides: ReadonlyMap<string, string>;
  /** The lineup's guide inputs (for per-channel Xtream EPG). */
  readonly sources: readonly GuideInput[];
}

/** `<channel id>`s: GuideNumbers, or tvg-ids where present and not already taken. */
export function outputIds(channels: readonly Channel[], mode: 'guideNumber' | 'tvgId'): string[] {
  if (mode === 'guideNumber') return channels.map((c) => c.guideNumber);
  const used = new Set<string>();
  return channels.map((c) => {
    const id = c.epgId && !used.has(c.epgId) ? c.epgId : c.guideNumber;
    used.add(id);
    return id;
  });
}

/** A channel with no guide data: the dummy guide if it is enabled, else nothing. */
export function basePlan(ch: Channel, outId: string, kinds: readonly GuideKind[]): ChannelPlan {
  return {
    channel: ch,
    outId,
    ...(ch.logo ? { icon: ch.logo } : {}),
    source: kinds.includes('dummy') ? { type: 'dummy' } : { type: 'none' },
  };
}

export function withLines(plan: ChannelPlan, kind: GuideKind, lines: readonly SpoolLine[]): ChannelPlan {
  return {
    channel: plan.channel,
    outId: plan.outId,
    ...(plan.icon ? { icon: plan.icon } : {}),
    source: { type: 'lines', kind, lines },
  };
}

export interface ChannelPlans {
  readonly plans: ChannelPlan[];
  /** Channels (by index) that should try per-channel Xtream EPG, best first. */
  readonly wantShort: { i: number; req: ShortEpgRequest }[];
}

export function planChannels(
  channels: readonly Channel[],
  inputs: readonly { spec: InputSpec; meta: SpoolMeta }[],
  opts: PlanOptions,
): ChannelPlans {
  const rank = (k: GuideKind): number => opts.kinds.indexOf(k);
  const guides = [...inputs]
    .sort((a, b) => rank(a.spec.kind) - rank(b.spec.kind) || a.spec.order - b.spec.order)
    .map(({ spec, meta }) => {
      const icons = new Map<string, string>();
      for (const c of meta.channels) {
        if (c.icon && ABSOLUTE.test(c.icon) && !icons.has(c.id)) icons.set(c.id, c.icon);
      }
      const index: GuideIndex = buildGuideIndex(meta.channels, Object.keys(meta.index));
      return { spec, meta, index, icons };
    });
  const ids = outputIds(channels, opts.channelId);
  const shortRank = opts.kinds.includes('short-epg') ? rank('short-epg') : Infinity;
  const sources = new Map(opts.sources.map((g) => [g.sourceId, g]));
  const plans: ChannelPlan[] = [];
  const wantShort: { i: number; req: ShortEpgRequest }[] = [];

  channels.forEach((ch, i) => {
    const override = opts.overrides.get(ch.key);
    let plan = basePlan(ch, ids[i] as string, opts.kinds);
    let bestRank = Infinity;
    for (const g of guides) {
      const m = matchChannel(ch, g.index, override);
      const entry = m && g.meta.index[m.guideId];
      if (!m || !entry?.count) continue;
      const icon = ch.logo ?? g.icons.get(m.guideId);
      const source: PlanSource = {
        type: 'spool',
        kind: g.spec.kind,
        inputId: g.spec.id,
        guideId: m.guideId,
        entry,
      };
      plan = { ...plan, ...(icon ? { icon } : {}), source, matchedBy: m.by };
      bestRank = rank(g.spec.kind);
      break;
    }
    plans.push(plan);
    // Xtream only has EPG for streams with an epg_channel_id.
    if (shortRank >= bestRank || override === '' || !ch.epgId) return;
    for (const c of ch.candidates) {
      const g = sources.get(c.sourceId);
      if (g?.kind !== 'xtream' || !g.playerApiUrl) continue;
      wantShort.push({
        i,
        req: {
          key: `${c.sourceId}:${c.streamId}`,
          playerApiUrl: g.playerApiUrl,
          streamId: c.streamId,
          headers: g.headers,
          timeShiftMinutes: g.timeShiftMinutes,
        },
      });
      break;
    }
  });
  return { plans, wantShort };
}
