// Pre-encoded MPEG-TS media shipped in assets/ (made by scripts/make-clips.sh; the extension is
// .mpegts so TypeScript tooling leaves them alone). Paths resolve from the package root so they
// work from src/ (vitest) and from dist/ after tsc.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DemoClip {
  /** Stable id, also the file name (assets/demo/<id>.mpegts). */
  readonly id: string;
  readonly name: string;
  /** Absolute path. */
  readonly file: string;
}

export type SlateKind = 'unavailable' | 'busy';

const DEMOS: readonly { id: string; name: string }[] = [
  { id: 'test-pattern', name: 'Test Pattern' },
  { id: 'colour-bars', name: 'Colour Bars' },
  { id: 'demo-card', name: 'Demo Card' },
];

/** Heights each slate exists in. */
const SLATE_HEIGHTS: Readonly<Record<SlateKind, readonly number[]>> = {
  unavailable: [576, 720, 1080],
  busy: [720],
};

let root: string | undefined;

/** Nearest ancestor of this module's directory that holds package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('tunerbridge: package root (package.json) not found');
    dir = up;
  }
  root = dir;
  return dir;
}

export function demoClips(): DemoClip[] {
  const dir = path.join(packageRoot(), 'assets', 'demo');
  return DEMOS.map((d) => ({ ...d, file: path.join(dir, `${d.id}.mpegts`) }));
}

/** The slate variant whose height is closest to `height` (default 720). */
export function slateFile(kind: SlateKind, height = 720): string {
  const heights = SLATE_HEIGHTS[kind];
  let best = heights[0]!;
  for (const h of heights) if (Math.abs(h - height) < Math.abs(best - height)) best = h;
  return path.join(packageRoot(), 'assets', 'slate', `${kind}-${best}.mpegts`);
}
