import { defineConfig } from 'vitest/config';

// Self-contained suite: needs only Node and npm (no ../shared, no Debian programs).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/interop/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
