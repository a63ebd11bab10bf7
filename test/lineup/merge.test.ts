import { describe, expect, it } from 'vitest';
import {
  candidateId,
  mergeSources,
  naturalKey,
  qualityScorer,
  type MergeOptions,
  type MergeSource,
} from '../../src/lineup/merge.js';
import type { SourceEntry } from '../../src/sources/types.js';
import { maskUrl, registerSecret } from '../../src/util/redact.js';

function e(streamId: string, name: string, over: Partial<SourceEntry> = {}): SourceEntry {
  return { streamId, name, url: `http://h/${streamId}`, headers: {}, kind: 'ts', ...over };
}
const opts = { qualityPreference: ['FHD', 'HD', 'SD'], hlsVariant: 'lowest' as const };

describe('mergeSources', () => {
  it('merges by EPG id across sources, ordering candidates by priority then quality', () => {
    const sources: MergeSource[] = [
      { id: 'b', priority: 20, accountKey: 'kb', entries: [e('1', 'CNN FHD', { epgId: 'CNN.us' })] },
      {
        id: 'a',
        priority: 10,
        accountKey: 'ka',
        entries: [
          e('7', 'US: CNN SD', { epgId: 'cnn.US@SD', logo: 'http://l/cnn.png' }),
          e('8', 'CNN HD', { epgId: 'CNN.us' }),
        ],
      },
    ];
    const [ch, ...rest] = mergeSources(sources, opts);
    expect(rest).toEqual([]);
    expect(ch!.key).toBe('epg:cnn.us');
    expect(ch!.candidates.map(candidateId)).toEqual(['a:8', 'a:7', 'b:1']);
    expect(ch!.candidates.map((c) => c.quality)).toEqual([2, 1, 3]);
    expect(ch).toMatchObject({ name: 'CNN HD', epgId: 'cnn.US@SD', logo: 'http://l/cnn.png', hd: true });
    expect(ch!.candidates[2]).toMatchObject({
      sourceId: 'b',
      accountKey: 'kb',
      priority: 20,
      label: 'http://h/1',
    });
  });

  it('merges by normalised name when there is no EPG id, and name-only entries join an EPG channel', () => {
    const sources: MergeSource[] = [
      {
        id: 'a',
        priority: 1,
        accountKey: 'a',
        entries: [e('1', 'UK: Dave HD'), e('2', 'BBC One', { epgId: 'BBC1.uk' })],
      },
      {
        id: 'b',
        priority: 2,
        accountKey: 'b',
        entries: [e('3', 'Dave (1080p)'), e('4', '[UK] BBC One FHD')],
      },
    ];
    const out = mergeSources(sources, opts);
    expect(out.map((c) => [c.key, c.candidates.map(candidateId)])).toEqual([
      ['name:dave', ['a:1', 'b:3']],
      ['epg:bbc1.uk', ['a:2', 'b:4']],
    ]);
  });

  it('keeps a known name-keyed channel separate so its number does not move', () => {
    const sources: MergeSource[] = [
      {
        id: 'a',
        priority: 1,
        accountKey: 'a',
        entries: [e('1', 'Dave'), e('2', 'Dave', { epgId: 'Dave.uk' })],
      },
    ];
    const out = mergeSources(sources, { ...opts, isKnown: (k) => k === 'name:dave' });
    expect(out.map((c) => c.key)).toEqual(['name:dave', 'epg:dave.uk']);
  });

  it('routes candidates through overrides (splits and merges)', () => {
    const sources: MergeSource[] = [
      { id: 'a', priority: 1, accountKey: 'a', entries: [e('1', 'X'), e('2', 'X'), e('3', 'Y')] },
    ];
    const out = mergeSources(sources, {
      ...opts,
      route: (cid, key) => (cid === 'a:2' ? 'split:1' : key === 'name:y' ? 'name:x' : key),
    });
    expect(out.map((c) => [c.key, c.candidates.map(candidateId)])).toEqual([
      ['name:x', ['a:1', 'a:3']],
      ['split:1', ['a:2']],
    ]);
  });

  it('orders HLS variants of equal quality by bandwidth as configured', () => {
    const entries = [e('hi', 'X', { bandwidth: 5_000_000 }), e('lo', 'X', { bandwidth: 800_000 })];
    const src = [{ id: 'a', priority: 1, accountKey: 'a', entries }];
    expect(mergeSources(src, opts)[0]!.candidates.map((c) => c.streamId)).toEqual(['lo', 'hi']);
    expect(
      mergeSources(src, { ...opts, hlsVariant: 'highest' })[0]!.candidates.map((c) => c.streamId),
    ).toEqual(['hi', 'lo']);
  });

  it('marks normalise and masks credentials in labels', () => {
    const out = mergeSources(
      [
        {
          id: 'a',
          priority: 1,
          accountKey: 'a',
          normalise: true,
          entries: [e('1', 'X', { url: 'http://h/live/user/pass/1.ts' })],
        },
      ],
      opts,
    );
    expect(out[0]!.candidates[0]).toMatchObject({ normalise: true, label: 'http://h/live/***/***/1.ts' });
  });
});

describe('candidate labels', () => {
  it('equal maskUrl for every URL shape, including secrets in the last segment', () => {
    registerSecret('leafsecret99');
    const urls = [
      'http://h:8080/live/bob/pw/1.ts',
      'http://h:8080/live/bob/pw/2.ts',
      'http://h/get.php?username=bob&password=pw',
      'http://user:pass@h/x/stream.m3u8',
      'http://h/x/leafsecret99.ts',
      'http://h',
      'rtmp://h/app/stream',
      'http://h/a#frag/x',
    ];
    const entries = urls.map((u, i) => e(String(i), `N${i}`, { url: u }));
    const out = mergeSources([{ id: 'a', priority: 1, accountKey: 'a', entries }], opts);
    const labels = out.flatMap((c) => c.candidates).map((c) => [c.url, c.label]);
    expect(labels).toEqual(urls.map((u) => [u, maskUrl(u)]));
    expect(labels.map(([, l]) => l)).not.toContain(expect.stringContaining('leafsecret99'));
  });
});

describe('keys and quality', () => {
  it('derives natural keys', () => {
    expect(naturalKey({ name: 'x', epgId: ' CNN.us@HD ' })).toBe('epg:cnn.us');
    expect(naturalKey({ name: 'US: CNN HD', epgId: '' })).toBe('name:cnn');
  });

  it('scores names by the preference list, tags matched as whole words', () => {
    const s = qualityScorer(['FHD', 'HD', 'SD']);
    expect(['X FHD', 'X HD', 'X sd', 'XHD', 'X 4K', 'X|HD|'].map(s)).toEqual([3, 2, 1, 0, 0, 2]);
    expect(qualityScorer([])('X 1080p')).toBe(3);
  });
});

describe('keys, joins and overrides together', () => {
  const one = (entries: SourceEntry[], over: MergeOptions = opts) =>
    mergeSources([{ id: 'a', priority: 1, accountKey: 'a', entries }], over).map((c) => [
      c.key,
      c.candidates.map((x) => x.streamId),
    ]);

  it('joins a name to the first entry with an EPG id and that name, even one whose id is empty', () => {
    const sd = e('1', 'CNN', { epgId: '@SD' });
    const us = e('2', 'CNN HD', { epgId: 'cnn.us' });
    const plain = e('3', 'CNN');
    expect(one([sd, us, plain])).toEqual([
      ['name:cnn', ['1', '3']],
      ['epg:cnn.us', ['2']],
    ]);
    expect(one([us, sd, plain])).toEqual([['epg:cnn.us', ['2', '1', '3']]]);
  });

  it('puts overridden and natural candidates of one key in one channel, whichever comes first', () => {
    const route = (cid: string, key: string) => (cid === 'a:1' ? 'epg:y' : key);
    const x1 = e('1', 'X');
    const y = e('2', 'Y', { epgId: 'y' });
    const x3 = e('3', 'X');
    expect(one([x1, y, x3], { ...opts, route })).toEqual([
      ['epg:y', ['1', '2']],
      ['name:x', ['3']],
    ]);
    expect(one([y, x1, x3], { ...opts, route })).toEqual([
      ['epg:y', ['2', '1']],
      ['name:x', ['3']],
    ]);
  });

  it('matches preferred tags as whole words in any script', () => {
    const s = qualityScorer(['HD']);
    expect(['Ünï HD', 'ÜnïHD', 'X HD²', 'xhd', 'x-hd', 'hd'].map(s)).toEqual([1, 0, 0, 0, 1, 1]);
  });
});

describe('quality scores and candidate order at scale', () => {
  /** The definition the scorer keeps: the first preferred tag found as a whole word, any script. */
  function byRegexes(preference: string[], name: string): number {
    const s = name.toLowerCase();
    for (const [i, t] of preference.entries()) {
      const tag = t.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (new RegExp(`(^|[^\\p{L}\\p{N}])${tag}($|[^\\p{L}\\p{N}])`, 'u').test(s))
        return preference.length - i;
    }
    return 0;
  }

  it('scores ASCII and other names like the whole-word regexes do', () => {
    const parts = 'X~hd~HD~Hd~fhd~FHD~sd~4K~4k~uhd~1080p~h.265~_~-~ ~|~2~é~Ü~\u212a~\u0130~²~(~)'.split('~');
    let state = 17;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const prefs = [
      ['FHD', 'HD', 'SD'],
      ['4K', 'UHD', '1080p', 'hd'],
      ['h.265', 'HD'],
      ['Ü', 'sd'],
    ];
    for (const pref of prefs) {
      const score = qualityScorer(pref);
      for (let n = 0; n < 3_000; n++) {
        let name = '';
        for (let k = 1 + Math.floor(next() * 6); k > 0; k--) name += parts[Math.floor(next() * parts.length)];
        expect([pref, name, score(name)]).toEqual([pref, name, byRegexes(pref, name)]);
      }
    }
  });

  it('orders the candidates of a channel stably by priority, quality and bandwidth, few or many', () => {
    let state = 29;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const tags = ['FHD', 'HD', 'SD', ''];
    for (const size of [3, 12, 40]) {
      const sources: MergeSource[] = [3, 1, 2].map((priority) => ({
        id: `s${priority}`,
        priority: priority % 2,
        accountKey: 'a',
        entries: Array.from({ length: size }, (_, i) =>
          e(`${priority}-${i}`, `X ${tags[Math.floor(next() * 4)]}`, {
            epgId: 'x.uk',
            bandwidth: next() < 0.5 ? 1 + Math.floor(next() * 3) : undefined,
          }),
        ),
      }));
      for (const hlsVariant of ['lowest', 'highest'] as const) {
        const [ch, ...rest] = mergeSources(sources, { ...opts, hlsVariant });
        expect(rest).toEqual([]);
        // Expected: sources by priority (stable), entries in order, then a stable sort.
        const ordered = [...sources].sort((a, b) => a.priority - b.priority);
        const all = ordered.flatMap((s) =>
          s.entries.map((x) => ({
            id: `${s.id}:${x.streamId}`,
            priority: s.priority,
            quality: qualityScorer(opts.qualityPreference)(x.name),
            bw: x.bandwidth ? (hlsVariant === 'lowest' ? x.bandwidth : -x.bandwidth) : 0,
          })),
        );
        const want = all
          .map((c, i) => ({ ...c, i }))
          .sort((a, b) => a.priority - b.priority || b.quality - a.quality || a.bw - b.bw || a.i - b.i)
          .map((c) => c.id);
        expect(ch!.candidates.map(candidateId)).toEqual(want);
      }
    }
  });

  it('labels key=value pairs and user:pass@ in the last segment as maskUrl does (no password shown)', () => {
    const urls = [
      'http://h/live/u/p/1.ts',
      'http://h/live/u/p/2.ts&password=hunter2',
      'http://h/live/u/p/3.ts',
      'http://h/x/stream&token=t0ken5',
      'http://h/x/4.ts',
      'http://h//bob:hunter2@cdn/5.ts',
      'http://h//6.ts',
    ];
    const entries = urls.map((u, i) => e(String(i), `N${i}`, { url: u }));
    const out = mergeSources([{ id: 'a', priority: 1, accountKey: 'a', entries }], opts);
    const labels = out.flatMap((c) => c.candidates).map((c) => [c.url, c.label]);
    expect(labels).toEqual(urls.map((u) => [u, maskUrl(u)]));
    expect(JSON.stringify(labels.map(([, l]) => l))).not.toMatch(/hunter2|t0ken5/);
  });

  it('labels URLs that leave the directory of the one before, or add a query, as maskUrl does', () => {
    const urls = [
      'http://h/live/u/p/1.ts',
      'http://h/live/u/p/2.ts?token=abc',
      'http://h/live/u/p/3.ts#frag',
      'http://h/live/u/p/sub/4.ts',
      'http://h/live/u/p/5.ts',
      'http://h/live/u/p/',
      'http://h/live/u/p/6.ts',
      'http://h/live/u/q/7.ts',
      'http://h/live/u/p/8.ts',
      'http://h/live/u/p//9.ts',
    ];
    const entries = urls.map((u, i) => e(String(i), `N${i}`, { url: u }));
    const out = mergeSources([{ id: 'a', priority: 1, accountKey: 'a', entries }], opts);
    expect(out.flatMap((c) => c.candidates).map((c) => [c.url, c.label])).toEqual(
      urls.map((u) => [u, maskUrl(u)]),
    );
  });
});
