import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import {
  allocationOrder,
  channelByFrequency,
  channelByNumber,
  rfChannels,
  roundFrequency,
} from '../../src/native/channel-maps.js';
import { assignPlan, buildMuxes, emptyPlan, publishPlan } from '../../src/native/rf-plan.js';
import { loadPlan, PLAN_FILE, savePlan } from '../../src/native/rf-plan-store.js';
import { channel } from './helpers.js';

describe('channel maps', () => {
  it('us-cable has channels 2–158 at the standard centre frequencies', () => {
    const list = rfChannels('us-cable');
    expect(list).toHaveLength(157);
    expect(channelByNumber('us-cable', 2)?.frequency).toBe(57_000_000);
    expect(channelByNumber('us-cable', 14)?.frequency).toBe(123_000_000);
    expect(channelByNumber('us-cable', 95)?.frequency).toBe(93_000_000);
    expect(channelByNumber('us-cable', 100)?.frequency).toBe(651_000_000);
    expect(channelByNumber('us-cable', 158)?.frequency).toBe(999_000_000);
    expect(new Set(list.map((c) => c.frequency)).size).toBe(157);
  });

  it('us-bcast skips channel 37 and ends at 51', () => {
    const nums = rfChannels('us-bcast').map((c) => c.number);
    expect(nums).not.toContain(37);
    expect(nums.at(-1)).toBe(51);
    expect(channelByNumber('us-bcast', 51)?.frequency).toBe(695_000_000);
  });

  it('allocation keeps virtual muxes at least 6 MHz apart, top down, even on the 1 MHz EU cable raster', () => {
    const eu = allocationOrder('eu-cable');
    expect(eu.slice(0, 3).map((c) => c.frequency)).toEqual([862_000_000, 856_000_000, 850_000_000]);
    for (let i = 1; i < eu.length; i++)
      expect(eu[i - 1]!.frequency - eu[i]!.frequency).toBeGreaterThanOrEqual(6e6);
    expect(
      allocationOrder('us-cable')
        .map((c) => c.number)
        .slice(0, 3),
    ).toEqual([158, 157, 156]);
    expect(allocationOrder('us-cable')).toHaveLength(157);
  });

  it('rounds to the 125 kHz raster: IRC carriers meet the standard ones, HRC ones do not', () => {
    expect(roundFrequency(57_012_500)).toBe(57_000_000);
    expect(channelByFrequency('us-cable', 999_012_500)?.number).toBe(158);
    expect(channelByNumber('us-hrc', 158)?.frequency).toBe(997_750_000);
    expect(channelByFrequency('us-cable', 997_750_000)).toBeUndefined();
  });
});

describe('assignPlan', () => {
  const chans = (n: number) =>
    Array.from({ length: n }, (_, i) => channel(`k${i}`, String(i + 1), `Ch ${i}`));

  it('fills us-cable from the top channel down, one program each', () => {
    const { plan, changed } = assignPlan(emptyPlan('us-cable'), chans(3));
    expect(changed).toBe(true);
    expect(plan.channels).toEqual({
      k0: { rf: 158, program: 1, name: 'Ch 0' },
      k1: { rf: 157, program: 1, name: 'Ch 1' },
      k2: { rf: 156, program: 1, name: 'Ch 2' },
    });
  });

  it('keeps numbers when channels are reordered, removed and re-added', () => {
    const first = assignPlan(emptyPlan('us-cable'), chans(3)).plan;
    const [a, b, c] = chans(3);
    const shuffled = assignPlan(first, [c!, a!]);
    expect(shuffled.changed).toBe(false);
    expect(shuffled.plan).toBe(first);
    const added = assignPlan(first, [channel('new', '9', 'New'), b!]).plan;
    expect(added.channels.k1).toEqual(first.channels.k1);
    // The removed channel's slot stays reserved: the newcomer gets the next free channel.
    expect(added.channels.new).toEqual({ rf: 155, program: 1, name: 'New' });
  });

  it('packs a second program per mux only once every channel carries one', () => {
    const plan = assignPlan(emptyPlan('us-bcast'), chans(52)).plan;
    const perRf = new Map<number, number[]>();
    for (const a of Object.values(plan.channels)) perRf.set(a.rf, [...(perRf.get(a.rf) ?? []), a.program]);
    expect(perRf.size).toBe(rfChannels('us-bcast').length);
    expect([...perRf.values()].filter((p) => p.length === 2)).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(plan.channels.k49).toEqual({ rf: 51, program: 2, name: 'Ch 49' });
  });

  it('refreshes names without moving anything', () => {
    const p = assignPlan(emptyPlan('us-cable'), [channel('x', '1', 'Old')]).plan;
    const r = assignPlan(p, [channel('x', '1', 'New')]);
    expect(r.changed).toBe(true);
    expect(r.plan.channels.x).toEqual({ rf: 158, program: 1, name: 'New' });
  });

  it('muxes list only current channels, published with frequency, TSID and GuideNumbers', () => {
    const list = [channel('a', '5.1', 'Alpha'), channel('b', '7', 'Beta')];
    const plan = assignPlan(emptyPlan('us-cable'), list).plan;
    const muxes = buildMuxes(plan, [list[1]!]);
    expect(publishPlan(plan, muxes)).toEqual({
      channelMap: 'us-cable',
      muxes: [
        {
          channel: 157,
          frequency: 993_000_000,
          modulation: 'qam256',
          tsid: 157,
          programs: [{ program: 1, guideNumber: '7', name: 'Beta' }],
        },
      ],
    });
  });
});

describe('rf-plan.json', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('round-trips, so numbers survive a restart', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tb-plan-'));
    const plan = assignPlan(emptyPlan('us-cable'), [channel('a', '1', 'A'), channel('b', '2', 'B')]).plan;
    await savePlan(dir, plan);
    const loaded = await loadPlan(dir, 'us-cable', silentLogger);
    expect(loaded).toEqual(plan);
    const again = assignPlan(loaded, [channel('b', '2', 'B'), channel('a', '1', 'A')]);
    expect(again.changed).toBe(false);
  });

  it('starts a new plan for another channel map and moves a corrupt file aside', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tb-plan-'));
    await savePlan(dir, assignPlan(emptyPlan('us-cable'), [channel('a', '1', 'A')]).plan);
    expect(await loadPlan(dir, 'us-bcast', silentLogger)).toEqual(emptyPlan('us-bcast'));
    await writeFile(
      path.join(dir, PLAN_FILE),
      '{"version":1,"channelMap":"us-cable","channels":{"a":{"rf":"x"}}}',
    );
    expect(await loadPlan(dir, 'us-cable', silentLogger)).toEqual(emptyPlan('us-cable'));
    await expect(readFile(path.join(dir, PLAN_FILE))).rejects.toThrow(/ENOENT/);
  });
});
