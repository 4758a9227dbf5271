import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    name: 'server',
    restoreMocks: true,
    // Real Redis and PostgreSQL for the store tests (uses REDIS_URL / DATABASE_URL when set).
    globalSetup: ['./test/services.ts'],
  },
})
