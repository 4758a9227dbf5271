import { defineConfig } from 'vitest/config'

// One runner for the whole repo: each package is a project so `pnpm test` runs everything
// and prints one summary. Packages keep their own vitest.config.ts for environment settings.
export default defineConfig({
  test: {
    projects: ['packages/*', 'demo', 'e2e', 'examples/next'],
  },
})
