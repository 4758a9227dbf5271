import { defineConfig } from 'vitest/config'

// Browser tests against the real built demo server. One file at a time: each starts Chromium
// and a server, and this machine has two cores shared with other work.
export default defineConfig({
  test: {
    name: 'e2e',
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['./src/globalSetup.ts'],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
    restoreMocks: true,
    // Show whole status histograms and stats objects when an assertion fails.
    chaiConfig: { truncateThreshold: 0 },
  },
})
