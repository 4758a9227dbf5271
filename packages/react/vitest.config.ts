import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Resolve @latch/client to its source so the tests (and the real-client test in particular)
// run without building the client first.
const clientSource = fileURLToPath(new URL('../client/src/index.ts', import.meta.url))

export default defineConfig({
  resolve: {
    alias: { '@latch/client': clientSource },
  },
  test: {
    name: 'react',
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    setupFiles: ['./src/test/setup.ts'],
    restoreMocks: true,
    // A shared, noisy 2-core machine running several test legs: the first render of a file (jsdom,
    // React, the client's source) alone can take seconds there.
    testTimeout: 30_000,
    typecheck: {
      enabled: true,
      include: ['src/**/*.test-d.ts', 'src/**/*.test-d.tsx'],
      tsconfig: './tsconfig.json',
    },
  },
})
