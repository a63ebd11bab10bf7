// Built-in demo source: looping local clips, so a fresh install shows channels before any provider
// is configured. Used only when no tuners/ file is enabled and the demo option is on.
import { demoClips, type DemoClip } from '../media/assets.js';
import type { SourceEntry, SourceSnapshot } from './types.js';

export type { DemoClip } from '../media/assets.js';

export const DEMO_SOURCE_ID = 'demo';

export function demoSnapshot(clips: readonly DemoClip[]): SourceSnapshot {
  const entries: SourceEntry[] = clips.map((c) => ({
    streamId: c.id,
    name: c.name,
    url: `demo:${c.id}`,
    group: 'Demo',
    headers: {},
    kind: 'loop',
  }));
  return { entries, tvgUrls: [], skipped: 0, warnings: [] };
}

/** The clips shipped in assets/demo (src/media/assets.ts). */
export function loadDemoClips(): DemoClip[] {
  return demoClips();
}
