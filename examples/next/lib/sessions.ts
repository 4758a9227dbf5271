/**
 * The one session manager of this server process, on SQLite. Server-only: route handlers and
 * server components import it; client components never do.
 *
 * Configured by environment (the e2e tests shorten the access token):
 * `SQLITE_PATH` (default `.data/sessions.db`), `LATCH_ACCESS_TTL` (default `10m`),
 * `LATCH_CLOCK_TOLERANCE` (default `5s`).
 * @module
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { createSessionManager, type Duration, type SessionManager } from '@latch/server'
import { sqliteStore } from '@latch/server/sqlite'

function open(): SessionManager {
  // A run-time path, not a file of the app: kept out of Next's output file tracing.
  const path = resolve(/*turbopackIgnore: true*/ process.env.SQLITE_PATH ?? '.data/sessions.db')
  mkdirSync(dirname(path), { recursive: true })
  return createSessionManager({
    store: sqliteStore({ path }),
    accessTokenTtl: (process.env.LATCH_ACCESS_TTL ?? '10m') as Duration,
    clockTolerance: (process.env.LATCH_CLOCK_TOLERANCE ?? '5s') as Duration,
  })
}

// Next.js bundles route handlers and server components separately, so this module can be
// evaluated more than once in one process. One manager per process keeps one store connection
// and one in-memory revocation list: a sign-out in a route handler is seen by the next page render.
const shared = globalThis as typeof globalThis & { latchSessions?: SessionManager }

shared.latchSessions ??= open()

/** The session manager. */
export const sessions: SessionManager = shared.latchSessions
