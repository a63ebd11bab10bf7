import { describe, expect, it } from 'vitest';
import { buildGuideIndex, matchChannel } from '../../src/guide/match.js';
import { dummyBody, dummySlots } from '../../src/guide/dummy.js';
import { channel } from './helpers.js';

const guide = buildGuideIndex(
  [
    { id: 'BBCOne.uk', names: ['BBC One', '101'] },
    { id: 'Das Erste', names: ['ARD'] },
    { id: 'cnn.us', names: ['CNN International'] },
    { id: '7', names: ['7'] },
  ],
  ['orphan.tv'],
);

describe('matchChannel', () => {
  it('matches by EPG id first, ignoring case and feed suffix', () => {
    expect(matchChannel(channel('1', 'Something else', { epgId: 'bbcone.UK@SD' }), guide)).toEqual({
      guideId: 'BBCOne.uk',
      by: 'epg-id',
    });
    expect(matchChannel(channel('2', 'x', { epgId: 'Orphan.tv' }), guide)).toEqual({
      guideId: 'orphan.tv',
      by: 'epg-id',
    });
  });

  it('falls back to the normalised display name, then to an id that reads as a name', () => {
    expect(matchChannel(channel('1', 'UK: BBC One FHD', { epgId: 'unknown.id' }), guide)).toEqual({
      guideId: 'BBCOne.uk',
      by: 'name',
    });
    expect(matchChannel(channel('2', 'DE | Das Erste HD'), guide)).toEqual({
      guideId: 'Das Erste',
      by: 'name',
    });
    expect(matchChannel(channel('3', 'ARD'), guide)).toEqual({ guideId: 'Das Erste', by: 'name' });
    expect(matchChannel(channel('4', 'Nothing Like It'), guide)).toBeUndefined();
  });

  it('never matches on bare numbers', () => {
    expect(matchChannel(channel('7', '101'), guide)).toBeUndefined();
    expect(matchChannel(channel('7', '7'), guide)).toBeUndefined();
  });

  it('obeys overrides: a guide id, or "" for none', () => {
    const ch = channel('1', 'BBC One', { epgId: 'BBCOne.uk' });
    expect(matchChannel(ch, guide, 'CNN.us')).toEqual({ guideId: 'cnn.us', by: 'override' });
    expect(matchChannel(ch, guide, '')).toBeUndefined();
    expect(matchChannel(ch, guide, 'not.in.this.guide')).toBeUndefined();
  });
});

describe('dummy guide', () => {
  it('covers the window with aligned blocks', () => {
    const from = Date.UTC(2025, 0, 1, 10, 17);
    const to = Date.UTC(2025, 0, 1, 13, 0);
    const slots = dummySlots(from, to, 60);
    expect(slots.map((s) => new Date(s.start).toISOString().slice(11, 16))).toEqual([
      '10:00',
      '11:00',
      '12:00',
    ]);
    expect(slots.every((s) => s.stop - s.start === 3600_000)).toBe(true);
    expect(dummySlots(from, to, 30).length).toBe(6);
    expect(dummySlots(from, from, 30)).toEqual([]);
    expect(dummyBody('A & B')).toBe('<title>A &amp; B</title>');
  });
});
