import { defineConfig } from 'vitest/config'

// Chromium against the example built with `next build` and served by `next start` (never the dev
// server). The build runs once, in the global setup, when a source is newer than the last build.
export default defineConfig({
  test: {
    name: 'next',
    include: ['e2e/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['./e2e/globalSetup.ts'],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
    restoreMocks: true,
    chaiConfig: { truncateThreshold: 0 },
  },
})
