// Compiled by scripts/check-packages.sh against the built declarations of every entry, as a
// Node-only project sees them: `lib: ["ES2022"]`, `types: ["node"]`, `skipLibCheck: false`. A
// DOM-only type (JsonWebKey, RequestInit…) in a public declaration fails here.
export * as core from '@latch/server'
export * as adapter from '@latch/server/adapter'
export * as express from '@latch/server/express'
export * as fastify from '@latch/server/fastify'
export * as hono from '@latch/server/hono'
export * as postgres from '@latch/server/postgres'
export * as redis from '@latch/server/redis'
export * as sqlite from '@latch/server/sqlite'
export * as testing from '@latch/server/testing'
