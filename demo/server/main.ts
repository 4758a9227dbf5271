/**
 * Starts the demo: reads the environment, opens the stores, serves the API and the SPA, and
 * prints the URL. `pnpm demo` from the repository root builds everything first.
 * @module
 */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSessionManager } from '@latch/server'
import { createDemoApp } from './app'
import { ConfigError, formatDuration, loadConfig } from './config'
import { createStatsRecorder } from './stats'
import { openStores } from './stores'

// Bundled to demo/dist/server/main.js: the demo directory is two levels up.
const demoDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

async function main(): Promise<void> {
  const config = loadConfig(process.env, demoDir)
  const stores = await openStores(config)
  const stats = config.testMode ? createStatsRecorder() : undefined
  const sessions = createSessionManager({
    store: stores.sessions,
    // The config holds milliseconds; Latch takes durations with their unit.
    accessTokenTtl: `${config.accessTokenTtl}ms`,
    sessionTtl: `${config.sessionTtl}ms`,
    reuseGrace: `${config.reuseGrace}ms`,
    clockTolerance: `${config.clockTolerance}ms`,
    // The display name shows in the SPA (useSession) without an API call.
    publicClaims: ['name'],
    onTheftDetected(event) {
      stats?.theftDetected()
      console.warn(
        `theft detected: a reused refresh token revoked session ${event.sessionId} of ${event.userId} ` +
          `(from ${event.ip ?? 'unknown ip'}, ${event.userAgent ?? 'unknown agent'})`,
      )
    },
    // Bound refresh (policy `optional`, the default): a key-bound session's refresh or sign-out
    // without its key. Nothing was rotated or revoked; the owner keeps working.
    onBindingFailure(event) {
      stats?.bindingFailure()
      console.warn(
        `binding failure: ${event.endpoint} of key-bound session ${event.sessionId} of ${event.userId} ` +
          `without its key (${event.reason}; from ${event.ip ?? 'unknown ip'}, ${event.userAgent ?? 'unknown agent'})`,
      )
    },
  })
  await sessions.ready

  const app = createDemoApp({
    sessions,
    notes: stores.notes,
    storeName: config.store,
    publicDir: resolve(demoDir, 'dist', 'public'),
    stats,
    admin: config.admin,
    corsOrigins: config.corsOrigins,
    spa: { apiBase: config.apiBase, transport: config.transport },
  })
  const server = app.listen(config.port, config.host, () => {
    console.log(`Latch demo running at http://localhost:${config.port}`)
    console.log(
      `  store: ${stores.description} · access token ${formatDuration(config.accessTokenTtl)} · ` +
        `session ${formatDuration(config.sessionTtl)} · reuse grace ${formatDuration(config.reuseGrace)}`,
    )
    if (config.testMode) console.log('  test mode: GET /api/test/stats is enabled')
    if (config.admin) console.log('  admin: POST /api/admin/keys/revoke-current is enabled')
    if (config.corsOrigins.length) console.log(`  CORS with credentials for ${config.corsOrigins.join(', ')}`)
    if (config.apiBase)
      console.log(`  the SPA calls the API at ${config.apiBase} (${config.transport} transport)`)
  })
  server.on('error', (error) => {
    console.error(`Could not listen on ${config.host}:${config.port}: ${error.message}`)
    process.exit(1)
  })

  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    server.close()
    server.closeAllConnections()
    Promise.allSettled([sessions.close()])
      .then(() => stores.close())
      .finally(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((error) => {
  console.error(
    error instanceof ConfigError ? error.message : `Could not start the demo: ${error?.message ?? error}`,
  )
  process.exit(1)
})
