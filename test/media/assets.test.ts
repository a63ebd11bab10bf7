import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoClips, packageRoot, slateFile } from '../../src/media/assets.js';

describe('shipped media assets', () => {
  it('resolves the package root and three demo clips that exist', () => {
    expect(existsSync(path.join(packageRoot(), 'package.json'))).toBe(true);
    const clips = demoClips();
    expect(clips.map((c) => c.id)).toEqual(['test-pattern', 'colour-bars', 'demo-card']);
    for (const c of clips) {
      expect(c.name.length).toBeGreaterThan(0);
      expect(statSync(c.file).size).toBeGreaterThan(50_000);
      expect(statSync(c.file).size % 188).toBe(0);
    }
    expect(new Set(clips.map((c) => c.file)).size).toBe(3);
  });

  it('picks the closest slate variant', () => {
    expect(path.basename(slateFile('unavailable'))).toBe('unavailable-720.mpegts');
    expect(path.basename(slateFile('unavailable', 1080))).toBe('unavailable-1080.mpegts');
    expect(path.basename(slateFile('unavailable', 2160))).toBe('unavailable-1080.mpegts');
    expect(path.basename(slateFile('unavailable', 480))).toBe('unavailable-576.mpegts');
    expect(path.basename(slateFile('unavailable', 640))).toBe('unavailable-576.mpegts');
    expect(path.basename(slateFile('unavailable', 700))).toBe('unavailable-720.mpegts');
    expect(path.basename(slateFile('busy', 1080))).toBe('busy-720.mpegts');
    for (const f of [
      slateFile('unavailable', 576),
      slateFile('unavailable', 720),
      slateFile('unavailable', 1080),
      slateFile('busy'),
    ])
      expect(existsSync(f)).toBe(true);
  });

  it('keeps the assets small enough to ship', () => {
    const files = [
      ...demoClips().map((c) => c.file),
      ...[576, 720, 1080].map((h) => slateFile('unavailable', h)),
      slateFile('busy'),
    ];
    const total = files.reduce((n, f) => n + statSync(f).size, 0);
    expect(total).toBeLessThan(3 * 1024 * 1024);
  });
});
