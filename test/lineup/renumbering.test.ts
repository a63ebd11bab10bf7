// GuideNumbers never move: refresh with the provider's list shuffled, 10 % removed, 10 % added and
// every stream id renamed; every surviving channel keeps its number, across a restart too.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeService, tempDirs, writeSource, type TestDirs } from './helpers.js';
import { startFakeProvider, type FakeProvider } from '../fake-provider/server.js';
import type { LineupService } from '../../src/lineup/service.js';

/** Deterministic PRNG (mulberry32) so a failure is reproducible. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(list: T[], rand: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Ch {
  ident: number;
  id: number;
}

/** Channel `ident` is identified by EPG id for even idents, by name only for odd ones. */
function stream(c: Ch): Record<string, unknown> {
  return {
    num: c.id,
    name: `Channel ${c.ident} ${c.ident % 3 === 0 ? 'FHD' : 'HD'}`,
    stream_type: 'live',
    stream_id: c.id,
    epg_channel_id: c.ident % 2 === 0 ? `Ch${c.ident}.tv` : null,
    category_id: '1',
  };
}

let dirs: TestDirs;
let fake: FakeProvider;
let svc: LineupService | undefined;
beforeEach(async () => {
  dirs = await tempDirs();
  fake = await startFakeProvider({ categories: [{ category_id: '1', category_name: 'All' }] });
});
afterEach(async () => {
  await svc?.stop();
  await fake.close();
  await dirs.cleanup();
});

/** Display identity of a lineup channel: "Channel 17 HD" → 17. */
function numbersByIdent(s: LineupService): Map<number, string> {
  const out = new Map<number, string>();
  for (const c of s.channels()) out.set(Number(/Channel (\d+)/.exec(c.name)![1]), c.guideNumber);
  return out;
}

for (const kind of ['xtream', 'm3u'] as const) {
  describe(`renumbering (${kind} source)`, () => {
    it('keeps every surviving GuideNumber through shuffle, removals, additions, renamed ids and a restart', async () => {
      const rand = rng(kind === 'xtream' ? 1 : 2);
      const N = 300;
      let chans: Ch[] = Array.from({ length: N }, (_, i) => ({ ident: i + 1, id: 5000 + i }));
      fake.state.streams = chans.map(stream);
      const def =
        kind === 'xtream'
          ? { type: 'xtream', url: fake.url, username: 'user', password: 'pass' }
          : { type: 'm3u', url: `${fake.url}/get.php?username=user&password=pass&type=m3u_plus&output=ts` };
      await writeSource(dirs, 'p', def);
      svc = makeService(dirs);
      await svc.start();
      await svc.scan();
      const first = numbersByIdent(svc);
      expect(first.size).toBe(N);
      expect(new Set(first.values()).size).toBe(N);

      // Shuffle, drop 10 %, add 10 % new channels, and give every stream a new id.
      const removed = new Set(
        shuffle(chans, rand)
          .slice(0, N / 10)
          .map((c) => c.ident),
      );
      chans = chans.filter((c) => !removed.has(c.ident));
      for (let i = 0; i < N / 10; i++) chans.push({ ident: N + 1 + i, id: 0 });
      chans = shuffle(chans, rand).map((c, i) => ({ ident: c.ident, id: 90000 + i }));
      fake.state.streams = chans.map(stream);
      expect(await svc.refreshSource('p')).toBe(true);
      const second = numbersByIdent(svc);
      expect(second.size).toBe(N);
      for (const [ident, num] of second) {
        if (ident <= N) expect(num, `channel ${ident}`).toBe(first.get(ident));
        // New channels never take a number a removed channel held.
        else expect([...first.values()]).not.toContain(num);
      }

      // Restart on the same data directory: same numbers.
      await svc.stop();
      svc = makeService(dirs);
      await svc.start();
      await svc.scan();
      expect(numbersByIdent(svc)).toEqual(second);

      // A removed channel that comes back gets its old number back.
      const back = [...removed][0]!;
      fake.state.streams = [...chans, { ident: back, id: 123 }].map(stream);
      await svc.refreshSource('p');
      expect(numbersByIdent(svc).get(back)).toBe(first.get(back));
    });
  });
}
