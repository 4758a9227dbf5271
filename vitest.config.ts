import { defineConfig } from 'vitest/config'

// One runner for the whole repo: each package is a project so `pnpm test` runs everything
// and prints one summary. Packages keep their own vitest.config.ts for environment settings.
export default defineConfig({
  test: {
    // packages/react runs twice: React 19 (its vitest.config.ts) and React 18.3 (react18).
    projects: ['packages/*', 'packages/react/vitest.react18.config.ts', 'demo', 'e2e', 'examples/next'],
  },
})
