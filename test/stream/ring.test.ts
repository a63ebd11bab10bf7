import { describe, expect, it } from 'vitest';
import { Ring } from '../../src/stream/ring.js';

const pk = (n: number, fill = 0) => Buffer.alloc(188 * n, fill);

describe('Ring', () => {
  it('splits appended data at random-access offsets and indexes keyframes', () => {
    const r = new Ring({ maxAgeMs: 10_000, maxBytes: 1 << 20 });
    const data = Buffer.concat([pk(2, 1), pk(3, 2), pk(1, 3)]);
    r.append(data, [376, 940], 0);
    expect(r.nextSeq).toBe(3);
    expect(r.get(0)!.data.equals(pk(2, 1))).toBe(true);
    expect(r.get(0)!.keyframe).toBe(false);
    expect(r.get(1)!.keyframe).toBe(true);
    expect(r.get(1)!.data.equals(pk(3, 2))).toBe(true);
    expect(r.get(2)!.data.equals(pk(1, 3))).toBe(true);
    expect(r.newestKeyframe()).toBe(2);
    expect(r.joinSeq()).toBe(2);
    expect(r.bytes).toBe(6 * 188);
  });

  it('treats an offset at 0 as a keyframe chunk start and ignores out-of-range offsets', () => {
    const r = new Ring({ maxAgeMs: 10_000, maxBytes: 1 << 20 });
    r.append(pk(2), [0, 376, 9999, -188], 0);
    expect(r.nextSeq).toBe(1);
    expect(r.get(0)!.keyframe).toBe(true);
  });

  it('evicts by age and bytes, keeps the newest chunk, and joins at the oldest chunk without keyframes', () => {
    const r = new Ring({ maxAgeMs: 1000, maxBytes: 188 * 10 });
    r.append(pk(1), [0], 0);
    r.append(pk(1), [], 500);
    expect(r.joinSeq()).toBe(0);
    r.append(pk(1), [], 1400); // chunk 0 (t=0) is now older than 1000 ms
    expect(r.firstSeq).toBe(1);
    expect(r.newestKeyframe()).toBeUndefined();
    expect(r.joinSeq()).toBe(1);
    expect(r.lagMs(1)).toBe(900);
    r.append(pk(20), [], 1700); // over the byte cap: only the newest chunk survives
    expect(r.firstSeq).toBe(3);
    expect(r.bytes).toBe(188 * 20);
    expect(r.get(2)).toBeUndefined();
  });

  it('tracks output byte positions: where each chunk starts, the tail, what a cursor has left', () => {
    const r = new Ring({ maxAgeMs: 10_000, maxBytes: 188 * 6 });
    r.append(pk(2), [], 0);
    r.append(pk(3), [188], 1);
    expect([r.get(0)!.pos, r.get(1)!.pos, r.get(2)!.pos]).toEqual([0, 376, 564]);
    expect(r.endPos).toBe(5 * 188);
    expect(r.bytesFrom(1)).toBe(3 * 188);
    expect(r.bytesFrom(r.nextSeq)).toBe(0);
    r.append(pk(3), [], 2); // 8 packets > 6: the oldest chunk goes
    expect(r.firstSeq).toBe(1);
    expect(r.firstPos).toBe(376);
    expect(r.bytesFrom(0)).toBe(6 * 188); // an evicted cursor counts from the oldest chunk held
    r.clear();
    expect(r.firstPos).toBe(r.endPos);
  });

  it('stays bounded over a long run', () => {
    const r = new Ring({ maxAgeMs: 100, maxBytes: 1 << 20 });
    for (let i = 0; i < 50_000; i++) r.append(pk(1), i % 10 === 0 ? [0] : [], i);
    expect(r.nextSeq - r.firstSeq).toBeLessThanOrEqual(101);
    expect(r.newestKeyframe()).toBe(49_990);
  });
});
