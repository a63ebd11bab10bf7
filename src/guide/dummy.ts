// Placeholder guide for channels no source covers: blocks titled with the channel name.
// Without it Plex shows an empty row or drops the channel, and Jellyfin cannot map it.
import { escapeText } from './xml-escape.js';

export interface Slot {
  readonly start: number;
  readonly stop: number;
}

/** Blocks of `blockMinutes` aligned to UTC block boundaries, covering [from, to). */
export function dummySlots(from: number, to: number, blockMinutes: number): Slot[] {
  const block = Math.max(5, Math.floor(blockMinutes)) * 60_000;
  const slots: Slot[] = [];
  if (to <= from) return slots;
  for (let t = Math.floor(from / block) * block; t < to; t += block)
    slots.push({ start: t, stop: t + block });
  return slots;
}

/**
 * Placeholder blocks for a hole in a channel's guide, [from, to): the first and last blocks are
 * cut to fit, the others aligned to block boundaries like `dummySlots`.
 */
export function gapSlots(from: number, to: number, blockMinutes: number): Slot[] {
  const slots: Slot[] = [];
  for (const s of dummySlots(from, to, blockMinutes)) {
    const start = Math.max(s.start, from);
    const stop = Math.min(s.stop, to);
    if (stop > start) slots.push({ start, stop });
  }
  return slots;
}

/** The programme body shared by every dummy block of a channel. */
export function dummyBody(channelName: string): string {
  return `<title>${escapeText(channelName) || 'No information'}</title>`;
}
