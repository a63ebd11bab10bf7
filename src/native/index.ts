// Native HDHomeRun tuning: the virtual RF plan, control-protocol tuners and the published channel
// map. The lead wires `variables` in front of the system provider of the TCP control server and
// serves `handleChannelMap` at CHANNEL_MAP_PATH.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VariableProvider } from '../hdhr/control.js';
import type { Logger } from '../log.js';
import type { Lineup } from '../model.js';
import type { ChannelMapName } from './channel-maps.js';
import {
  assignPlan,
  buildMuxes,
  publishPlan,
  type Mux,
  type PublishedChannelMap,
  type RfPlanData,
} from './rf-plan.js';
import { loadPlan, savePlan } from './rf-plan-store.js';
import { NativeTuner, type NativeSessions, type TunerEnv } from './tuner.js';
import type { Target } from './tuning-values.js';
import { UdpOutput, type TunerOutput } from './udp-output.js';
import { nativeVariables } from './variables.js';

export type { ChannelMapName } from './channel-maps.js';
export { CHANNEL_MAPS } from './channel-maps.js';
export type { PublishedChannelMap } from './rf-plan.js';
export type { NativeSessions } from './tuner.js';

export const CHANNEL_MAP_PATH = '/native/channelmap.json';

export interface NativeTuningOptions {
  readonly lineup: Lineup;
  readonly sessions: NativeSessions;
  /** rf-plan.json lives here. */
  readonly dataDir: string;
  readonly logger: Logger;
  /** Channel map of the virtual RF plan (default us-cable). */
  readonly channelMap?: ChannelMapName;
  /** Upstreams one control-protocol tuner may hold at once (default 1). */
  readonly maxProgramsPerTuner?: number;
  /** PAT/PMT carousel period (ms, default 100; the VCT goes every 5th round). */
  readonly psiIntervalMs?: number;
  /** Wait before re-opening a program whose upstream could not be opened (ms, default 5000). */
  readonly retryMs?: number;
  /** Tests: capture output instead of sending UDP. */
  readonly createOutput?: (target: Target) => TunerOutput;
}

export interface NativeTuning {
  /** /tunerN/* and /lineup/scan; chain it before systemVariables(). */
  readonly variables: VariableProvider;
  /** The plan as published: muxes (frequency, modulation, TSID) and their programs. */
  channelMap(): PublishedChannelMap;
  /** GET handler for CHANNEL_MAP_PATH (works as an express handler too). */
  handleChannelMap(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export async function createNativeTuning(o: NativeTuningOptions): Promise<NativeTuning> {
  const log = o.logger;
  let plan: RfPlanData = await loadPlan(o.dataDir, o.channelMap ?? 'us-cable', log);
  let muxes: Mux[] = [];
  let byFrequency = new Map<number, Mux>();
  let byGuide = new Map<string, { mux: Mux; program: number }>();
  let saving: Promise<void> = Promise.resolve();
  const tuners = new Map<number, NativeTuner>();

  const update = (): void => {
    const r = assignPlan(plan, o.lineup.channels());
    if (r.unassigned.length) {
      log.warn({ count: r.unassigned.length }, 'RF plan is full: some channels have no virtual frequency');
    }
    plan = r.plan;
    if (r.changed) {
      const snapshot = plan;
      saving = saving
        .then(() => savePlan(o.dataDir, snapshot))
        .catch((err: unknown) => log.error({ err: String(err) }, 'cannot save the RF plan'));
    }
    muxes = buildMuxes(plan, o.lineup.channels());
    byFrequency = new Map(muxes.map((m) => [m.frequency, m]));
    byGuide = new Map(
      muxes.flatMap((m) =>
        m.programs.map((p) => [p.channel.guideNumber, { mux: m, program: p.program }] as const),
      ),
    );
  };

  const env: TunerEnv = {
    sessions: o.sessions,
    logger: log,
    channelMap: plan.channelMap,
    maxPrograms: Math.max(1, o.maxProgramsPerTuner ?? 1),
    psiIntervalMs: o.psiIntervalMs ?? 100,
    retryMs: o.retryMs ?? 5000,
    muxAt: (hz) => byFrequency.get(Math.floor((hz + 62_500) / 125_000) * 125_000),
    locate: (gn) => byGuide.get(gn),
    createOutput: o.createOutput ?? ((t) => new UdpOutput(t)),
    now: Date.now,
  };

  const tuner = (i: number): NativeTuner => {
    let t = tuners.get(i);
    if (!t) tuners.set(i, (t = new NativeTuner(i, env)));
    return t;
  };

  const onChange = (): void => {
    update();
    const count = o.lineup.tunerCount();
    for (const [i, t] of tuners) {
      if (i >= count) {
        t.close();
        tuners.delete(i);
      } else t.refresh();
    }
  };

  update();
  await saving;
  o.lineup.on('change', onChange);

  return {
    variables: nativeVariables({
      tunerCount: () => o.lineup.tunerCount(),
      tuner,
      scanStatus: () => o.lineup.scanStatus(),
      startScan: () =>
        void o.lineup.scan().catch((err: unknown) => log.warn({ err: String(err) }, 'scan failed')),
      abortScan: () => o.lineup.abortScan(),
    }),
    channelMap: () => publishPlan(plan, muxes),
    handleChannelMap(_req, res) {
      const body = JSON.stringify(publishPlan(plan, muxes), null, 1);
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.end(body);
    },
    async close() {
      o.lineup.off('change', onChange);
      for (const t of tuners.values()) t.close();
      tuners.clear();
      await saving;
    },
  };
}
