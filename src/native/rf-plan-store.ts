// Persistence of the virtual RF plan (<dataDir>/rf-plan.json), written atomically.
import path from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../util/atomic-file.js';
import type { Logger } from '../log.js';
import type { ChannelMapName } from './channel-maps.js';
import { emptyPlan, isPlanData, type RfPlanData } from './rf-plan.js';

export const PLAN_FILE = 'rf-plan.json';

/**
 * The stored plan, or an empty one. A plan made for another channel map is set aside (the user
 * changed the map on purpose: its channel numbers mean other frequencies now).
 */
export async function loadPlan(
  dataDir: string,
  channelMap: ChannelMapName,
  log: Logger,
): Promise<RfPlanData> {
  const file = path.join(dataDir, PLAN_FILE);
  const r = await readJsonFile(file, isPlanData);
  if (r.status === 'corrupt') {
    log.error({ file: r.movedTo, reason: r.reason }, 'RF plan was unreadable and has been moved aside');
  }
  if (r.status !== 'ok') return emptyPlan(channelMap);
  if (r.value.channelMap !== channelMap) {
    log.warn(
      { stored: r.value.channelMap, configured: channelMap },
      'RF plan was made for another channel map; starting a new plan',
    );
    return emptyPlan(channelMap);
  }
  return r.value;
}

export async function savePlan(dataDir: string, plan: RfPlanData): Promise<void> {
  await writeJsonAtomic(path.join(dataDir, PLAN_FILE), plan, { indent: 1 });
}
