// Shared helpers for lineup tests: temp dirs and a service with test-friendly defaults.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { LineupService, type LineupServiceOptions } from '../../src/lineup/service.js';

export interface TestDirs {
  readonly root: string;
  readonly tunersDir: string;
  readonly dataDir: string;
  cleanup(): Promise<void>;
}

export async function tempDirs(): Promise<TestDirs> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'tb-lineup-'));
  return {
    root,
    tunersDir: path.join(root, 'tuners'),
    dataDir: path.join(root, 'data'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export function makeService(
  dirs: Pick<TestDirs, 'tunersDir' | 'dataDir'>,
  over: Partial<LineupServiceOptions> = {},
): LineupService {
  return new LineupService({
    tunersDir: dirs.tunersDir,
    dataDir: dirs.dataDir,
    logger: silentLogger,
    demo: false,
    demoConnections: 2,
    tunerCap: 255,
    firstNumber: 100,
    useProviderNumbers: false,
    qualityPreference: ['FHD', 'HD', 'SD', '4K'],
    hlsVariant: 'lowest',
    defaultRefreshInterval: 3_600_000,
    watch: false,
    ...over,
  });
}

export async function writeSource(dirs: TestDirs, id: string, def: object): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dirs.tunersDir, { recursive: true });
  await writeFile(path.join(dirs.tunersDir, `${id}.json`), JSON.stringify(def, null, 2));
}

/** Resolve when the service emits 'change' (or after `ms`, rejecting). */
export function nextChange(svc: LineupService, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no lineup change')), ms);
    svc.once('change', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
