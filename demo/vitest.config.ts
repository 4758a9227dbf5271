import { defineConfig } from 'vitest/config'

// Unit tests of the demo's server code (config parsing, input validation, the express app
// against an in-memory store). The browser tests live in e2e/.
export default defineConfig({
  test: {
    name: 'demo',
    include: ['server/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
    restoreMocks: true,
  },
})
