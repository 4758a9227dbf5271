import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    name: 'client',
    // Node by default: it has fetch, Request, FormData, Blob and BroadcastChannel, and msw
    // intercepts there. Browser globals (document.cookie, location, localStorage) are stubbed per
    // test where needed, so the SSR tests see a real window-less environment.
    environment: 'node',
    include: ['src/**/*.test.ts'],
    setupFiles: ['./src/test/polyfills.ts'],
    // A shared, noisy 2-core machine: msw with 100 requests can take seconds there.
    testTimeout: 30_000,
    restoreMocks: true,
    unstubGlobals: true,
    typecheck: {
      enabled: true,
      include: ['src/**/*.test-d.ts'],
      tsconfig: './tsconfig.test.json',
    },
  },
})
