import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    adapter: 'src/adapters/adapter.ts',
    express: 'src/adapters/express.ts',
    fastify: 'src/adapters/fastify.ts',
    hono: 'src/adapters/hono.ts',
    sqlite: 'src/stores/sqlite.ts',
    redis: 'src/stores/redis.ts',
    postgres: 'src/stores/postgres.ts',
    testing: 'src/testing.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Peer dependencies stay the user's: a subpath import pays only for what it names.
  // vitest and fast-check are peers of `@latch/server/testing` only.
  external: [
    'jose',
    'express',
    'fastify',
    'fastify-plugin',
    'hono',
    'better-sqlite3',
    'ioredis',
    'pg',
    'vitest',
    'fast-check',
  ],
  // import.meta.url in the CommonJS build (the SQLite driver layer loads its driver with
  // createRequire(import.meta.url)).
  shims: true,
})
