/**
 * The demo's express application: Latch's endpoints, the demo API and the built SPA, on one
 * origin so the session cookies need no CORS.
 * @module
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { SessionManager } from '@latch/server'
import { latchMiddleware } from '@latch/server/express'
import express, { type Express } from 'express'
import { corsMiddleware } from './cors'
import { errorHandler, sendError } from './errors'
import { requestLog } from './log'
import type { NotesStore } from './notes'
import { memoryProfiles, type ProfileStore } from './profiles'
import { accountRoutes } from './routes/account'
import { adminRoutes } from './routes/admin'
import { deviceRoutes } from './routes/devices'
import { noteRoutes } from './routes/notes'
import { profileRoutes } from './routes/profile'
import { type SpaDeployment, spaIndex } from './spaIndex'
import type { StatsRecorder } from './stats'

export interface DemoAppOptions {
  sessions: SessionManager
  notes: NotesStore
  /** Shown by `/api/health`. */
  storeName: string
  /** The built SPA (`dist/public`); omitted in API-only tests. */
  publicDir?: string
  /** Counters for `GET /api/test/stats`; only given with `LATCH_DEMO_TEST=1`. */
  stats?: StatsRecorder
  /** Display names (the `name` claim). Defaults to an in-memory directory. */
  profiles?: ProfileStore
  /** `LATCH_DEMO_ADMIN=1`: enables `POST /api/admin/keys/revoke-current`. Defaults to `false`. */
  admin?: boolean
  /** Origins allowed to call this API cross-origin (`LATCH_CORS_ORIGINS`). Defaults to none. */
  corsOrigins?: readonly string[]
  /** Where the served SPA finds its API and which transport it uses. Defaults to this origin, cookies. */
  spa?: SpaDeployment
  /** Where request lines go. Defaults to `console.log`; `null` for none. */
  log?: ((line: string) => void) | null
}

export function createDemoApp(options: DemoAppOptions): Express {
  const { sessions, notes, stats, publicDir } = options
  const profiles = options.profiles ?? memoryProfiles()
  const app = express()
  app.disable('x-powered-by')
  // API answers are per user and per session: never cached, never revalidated into a 304.
  app.set('etag', false)
  // The demo listens on loopback; `req.ip` is then the browser's address, which sessions record.
  app.set('trust proxy', 'loopback')

  if (options.log !== null) app.use(requestLog(options.log ?? console.log))
  if (stats) app.use(stats.middleware)

  if (options.corsOrigins?.length) app.use(corsMiddleware(options.corsOrigins))
  app.use(latchMiddleware(sessions))
  app.use('/api', (_req, res, next) => {
    res.setHeader('cache-control', 'no-store')
    next()
  })
  app.use('/api', express.json({ limit: '16kb' }))

  app.get('/api/health', (_req, res) => {
    res.json({ ok: true, store: options.storeName, admin: options.admin === true })
  })
  if (stats) app.get('/api/test/stats', (_req, res) => res.json(stats.snapshot()))

  app.use(accountRoutes(sessions, profiles))
  app.use(profileRoutes(sessions, profiles))
  if (options.admin) app.use(adminRoutes(sessions))
  app.use(deviceRoutes(sessions))
  app.use(noteRoutes(sessions, notes))

  app.use(['/api', sessions.basePath], (_req, res) => sendError(res, 404, 'not_found', 'No such endpoint.'))

  if (publicDir && existsSync(publicDir)) {
    // Hashed asset names never change content, so browsers may keep them for good.
    app.use('/assets', express.static(join(publicDir, 'assets'), { immutable: true, maxAge: '1y' }))
    app.use(express.static(publicDir, { index: false }))
    // Every other GET is a page of the SPA.
    app.get('/{*path}', spaIndex(publicDir, options.spa))
  }

  app.use(errorHandler())
  return app
}
