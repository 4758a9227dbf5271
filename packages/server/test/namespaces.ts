/**
 * Per-test-file isolation on the shared test servers: a unique Redis key prefix or Postgres
 * schema, removed afterwards, so test files can run in parallel against one server.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import pg from 'pg'
import { inject } from 'vitest'
import './services.js'

/** A fresh, unique name fragment (lowercase, safe in keys and SQL identifiers). */
export function uniqueName(label: string): string {
  return `${label}_${randomBytes(6).toString('hex')}`
}

/** The test Redis URL provided by the global setup. */
export function redisUrl(): string {
  return inject('redisUrl')
}

/** The test Postgres URL provided by the global setup. */
export function databaseUrl(): string {
  return inject('databaseUrl')
}

/** Deletes every Redis key under `prefix`. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const client = new Redis(redisUrl())
  try {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      if (keys.length > 0) await client.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    client.disconnect()
  }
}

/** Drops a Postgres schema and everything in it. */
export async function dropPostgresSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl() })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}
