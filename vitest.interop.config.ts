import { defineConfig } from 'vitest/config';

// Interop suite: drives real third-party programs (hdhomerun_config, GSSDP/GUPnP, ffprobe,
// tv_validate_file, chromium) and reads ../shared/data. Run inside ../shared/tools/netns-run.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
