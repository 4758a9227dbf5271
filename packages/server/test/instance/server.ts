/**
 * One Latch server instance for the multi-instance tests: express + a session manager on a shared
 * Redis or Postgres store. Started as its own Node process (bundled from source by `cluster.ts`),
 * it listens on 127.0.0.1 on a free port and prints one JSON line `{"port": N, "pid": N}` once the
 * manager is ready. It never prints a token.
 *
 * Configuration (environment):
 * - `LATCH_STORE` `redis` | `redis-cluster` | `postgres`, `LATCH_STORE_URL` the server's URL (for
 *   `redis-cluster`, the nodes' URLs, comma-separated),
 * - `LATCH_NAMESPACE` Redis key prefix (`<ns>:`) or Postgres schema (`<ns>`), so tests do not collide,
 * - `LATCH_KEY_SYNC_INTERVAL` (default `1s`), `LATCH_REUSE_GRACE` (default `10s`),
 *   `LATCH_ACCESS_TTL` (default `10m`),
 * - `LATCH_START_GATE=1`: connect to the store, print `{"gate":"waiting"}`, and start the manager
 *   only when a line arrives on stdin (so several instances start at the same moment).
 *
 * Endpoints: `POST /test/login` `{userId}` (test-only sign-in, header transport), `GET /api/me`
 * (requireSession), `/auth/session/*` (latchMiddleware), `POST /test/revoke/:id`,
 * `POST /test/rotate-keys`, `POST /test/revoke-current-key`, `POST /test/user-claims/:userId/:name`
 * (sets the public `name` claim of every session of the user; sign-in sets it to the user id),
 * `GET /test/stats` (store calls per method, for "no store read per request" checks). The process exits when its stdin closes, so a test runner that dies takes its
 * instances with it.
 * @module
 */
import express from 'express'
import { createSession, latchMiddleware, requireSession } from '../../src/adapters/express.js'
import { createSessionManager } from '../../src/createSessionManager.js'
import type { Duration } from '../../src/durations.js'
import { postgresStore } from '../../src/stores/postgres.js'
import { redisStore } from '../../src/stores/redis.js'
import type { SessionStore } from '../../src/stores/SessionStore.js'

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback
  if (value === undefined || value === '') throw new Error(`${name} is required`)
  return value
}

/**
 * The compare-and-swap operations: their outcomes are counted too (`rotateSession.won`, `.lost`;
 * `rotateIfCurrent` wins when it rotated).
 */
const CAS = new Set(['rotateSession', 'addKey', 'rotateIfCurrent'])
const won = (result: unknown) =>
  result === true || (typeof result === 'object' && (result as { rotated?: unknown })?.rotated === true)

/** Wraps a store so every call is counted by method name. */
function counted(store: SessionStore): { store: SessionStore; calls: Record<string, number> } {
  const calls: Record<string, number> = {}
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1
  }
  const wrapped: Record<string, unknown> = { name: store.name }
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== 'function') continue
    wrapped[name] = async (...args: unknown[]) => {
      count(name)
      const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(store, args)
      if (CAS.has(name)) count(`${name}.${won(result) ? 'won' : 'lost'}`)
      return result
    }
  }
  return { store: wrapped as unknown as SessionStore, calls }
}

function openStore(): SessionStore {
  const kind = env('LATCH_STORE')
  const url = env('LATCH_STORE_URL')
  const namespace = env('LATCH_NAMESPACE')
  if (kind === 'redis') return redisStore({ url, keyPrefix: `${namespace}:` })
  if (kind === 'redis-cluster') {
    // The subscriber takes the first node that answers: tests order the list per instance. Named
    // connections let a test see on which node each instance's subscriber sits.
    const connectionName = `latch-${process.env.LATCH_INSTANCE_NAME ?? process.pid}`
    return redisStore({ nodes: url.split(','), keyPrefix: `${namespace}:`, redisOptions: { connectionName } })
  }
  if (kind === 'postgres') return postgresStore({ connectionString: url, schema: namespace })
  throw new Error(`LATCH_STORE must be redis, redis-cluster or postgres, not ${kind}`)
}

async function main(): Promise<void> {
  // Until the server runs, stopping is just exiting; a closed stdin means the test runner is gone.
  let shutdown: () => void = () => process.exit(0)
  process.on('SIGTERM', () => shutdown())
  process.on('SIGINT', () => shutdown())
  process.stdin.on('end', () => shutdown())
  process.stdin.on('close', () => shutdown())
  process.stdin.resume()

  const { store, calls } = counted(openStore())
  if (process.env.LATCH_START_GATE === '1') {
    // Connect (and migrate) first, then wait for the test to start every gated instance at once.
    await store.listKeys()
    process.stdout.write(`${JSON.stringify({ gate: 'waiting' })}\n`)
    await new Promise((resolve) => process.stdin.once('data', resolve))
  }
  const sessions = createSessionManager({
    store,
    // Validated by the manager: a bad value fails the start with a TypeError naming the option.
    keySyncInterval: env('LATCH_KEY_SYNC_INTERVAL', '1s') as Duration,
    reuseGrace: env('LATCH_REUSE_GRACE', '10s') as Duration,
    accessTokenTtl: env('LATCH_ACCESS_TTL', '10m') as Duration,
    publicClaims: ['name'],
  })
  await sessions.ready

  const app = express()
  // Behind a load balancer the client address is in X-Forwarded-For; trust only the local proxy.
  app.set('trust proxy', 'loopback')
  app.use(latchMiddleware(sessions))
  app.post('/test/login', express.json(), async (req, res, next) => {
    try {
      const userId = String(req.body?.userId ?? '')
      const created = await createSession(sessions, req, res, {
        userId,
        claims: { name: userId },
        transport: 'header',
      })
      res.json({ userId, sessionId: created.session.sessionId })
    } catch (error) {
      next(error)
    }
  })
  app.get('/api/me', requireSession(sessions), (req, res) => {
    const { userId, sessionId, claims } = req.session!
    res.json({ userId, sessionId, claims, pid: process.pid })
  })
  app.post('/test/revoke/:id', async (req, res, next) => {
    try {
      res.json({ revoked: await sessions.revokeSession(String(req.params.id)) })
    } catch (error) {
      next(error)
    }
  })
  app.post('/test/rotate-keys', async (_req, res, next) => {
    try {
      await sessions.rotateKeys()
      res.json(await sessions.jwks())
    } catch (error) {
      next(error)
    }
  })
  app.post('/test/revoke-current-key', async (_req, res, next) => {
    try {
      res.json(await sessions.revokeCurrentKey())
    } catch (error) {
      next(error)
    }
  })
  app.post('/test/user-claims/:userId/:name', async (req, res, next) => {
    try {
      const updated = await sessions.updateUserClaims(String(req.params.userId), {
        name: String(req.params.name),
      })
      res.json({ updated })
    } catch (error) {
      next(error)
    }
  })
  app.get('/test/stats', (_req, res) => {
    res.json({ pid: process.pid, calls })
  })
  // Never echo the error: only its class, so no token can reach a log or a response.
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const name = error instanceof Error ? error.name : 'Error'
    process.stderr.write(`instance ${process.env.LATCH_INSTANCE_NAME ?? process.pid}: ${name}\n`)
    if (!res.headersSent) res.status(500).json({ error: 'internal', name })
  })

  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`)
  })
  server.keepAliveTimeout = 5000

  let stopping = false
  shutdown = () => {
    if (stopping) return
    stopping = true
    server.closeAllConnections()
    server.close()
    sessions
      .close()
      .then(() => store.close())
      .catch(() => {})
      .finally(() => process.exit(0))
  }
}

main().catch((error: unknown) => {
  const name = error instanceof Error ? `${error.name}: ${error.message}` : 'Error'
  process.stderr.write(`instance failed to start: ${name}\n`)
  process.exit(1)
})
