// One server under test for the HTTP section, in its own process. `variant` picks what guards
// the same JSON handler:
//   bare            — nothing (the physical limit of this stack)
//   latch           — Latch `requireSession` with the verified-token cache (default options)
//   latch-nocache   — the same with the cache disabled (`verifyCacheSize: 0`): a jose verify per request
//   latch-open      — not a process of its own: the `latch` server's `GET /api/open`, the same
//                     handler unguarded (the demo's open `/api/health`), so latch ÷ latch-open is the
//                     guard alone, without the difference between two processes
//   floor           — the same app with the least any cookie-token check does in an express
//                     middleware: find the access cookie, SHA-256 it, keep a session (no lookup,
//                     no expiry or revocation check; accepts any value). A lower bound, not a guard
//   bare-node       — no express, no auth: plain node:http (the limit of the `handle` path)
//   handle          — no express: node:http → Web `Request` → `sessions.verify(request)`
//   latch-fastify   — Fastify 5 with `latchPlugin` and `requireSession` (preHandler) on /api/me,
//                     the same handler unguarded on /api/open (the `latch-fastify-open` row)
//   latch-hono      — Hono 4 on @hono/node-server's listener with `requireSession()` on /api/me,
//                     /api/open unguarded (the `latch-hono-open` row)
//   express-session — what a user would pick instead: express-session + connect-redis, a Redis
//                     lookup (and a TTL touch) per request
// Every variant also serves `POST /login` so the load generator gets a real session the way a
// browser would, through HTTP. Listens on 127.0.0.1 only.
import { hash } from 'node:crypto'
import { createServer } from 'node:http'
import express from 'express'
import { childConfig } from '../lib/child.mjs'
import {
  createLatch,
  latchExpress,
  latchFastify,
  latchHono,
  nodeRequestToWeb,
  sendWebResponse,
  verifyRequest,
  webLogin,
} from '../lib/latch.mjs'

const config = childConfig()

/** The handler every variant shares: who is asking, as JSON. */
function handler(session) {
  return { userId: session.userId, sessionId: session.sessionId }
}

const ANONYMOUS = { userId: 'anonymous', sessionId: 'none' }

async function bareApp() {
  const app = express()
  app.post('/login', (_req, res) => res.json({ userId: 'alice' }))
  app.get('/api/me', (_req, res) => res.json(handler(ANONYMOUS)))
  return { listener: app, close: async () => {} }
}

/**
 * See `floor` above: what every token check pays before it knows anything. The session goes to
 * `res.locals`, the cheapest place measured (a new own property on `req` costs ≈ 3 µs).
 */
function floorGuard(name) {
  const prefix = `${name}=`
  return (req, res, next) => {
    const cookie = req.headers.cookie ?? ''
    const at = cookie.indexOf(prefix)
    const end = cookie.indexOf(';', at)
    const token = cookie.slice(at + prefix.length, end === -1 ? undefined : end)
    const key = hash('sha256', token, 'binary')
    res.locals.session = { userId: 'alice', sessionId: key.length === 32 ? 'floor' : '', claims: {} }
    next()
  }
}

/**
 * Every Latch server of this section: one sign-in serves all its rounds, and a full run (24
 * rounds of twelve variants) outlasts the default 10-minute access token, which would then be
 * answered 401 in the last rounds.
 */
const RUN_LONG = { accessTokenTtl: '1h' }

async function latchApp(managerOptions, { floor = false } = {}) {
  const { sessions, close } = await createLatch({ ...RUN_LONG, ...managerOptions })
  const { middleware, guard, sessionOf, createSession } = await latchExpress(sessions)
  const app = express()
  // Mounted at its base path, as the README shows: the app's other routes skip it.
  app.use(sessions.basePath, middleware)
  app.post('/login', async (req, res, next) => {
    try {
      await createSession(req, res, 'alice')
      res.json({ userId: 'alice' })
    } catch (err) {
      next(err)
    }
  })
  // The same handler unguarded in the same process: protected ÷ open without the variance
  // between two processes (the issue's own measure: the demo's /api/me ÷ /api/health).
  app.get('/api/open', (_req, res) => res.json(handler(ANONYMOUS)))
  if (floor)
    app.get('/api/me', floorGuard('latch-access'), (_req, res) => res.json(handler(res.locals.session)))
  else app.get('/api/me', guard, (req, res) => res.json(handler(sessionOf(req))))
  return { listener: app, close, sessions }
}

async function bareNodeServer() {
  const listener = (req, res) => {
    if (req.method === 'POST' && req.url === '/login') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
      return res.end('{"userId":"alice"}')
    }
    if (req.url !== '/api/me') return res.writeHead(404).end()
    const body = JSON.stringify(handler(ANONYMOUS))
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    })
    res.end(body)
  }
  return { listener, close: async () => {} }
}

async function handleServer() {
  const { sessions, close } = await createLatch(RUN_LONG)
  const listener = async (req, res) => {
    try {
      const request = nodeRequestToWeb(req)
      const url = new URL(request.url)
      if (url.pathname === '/login' && req.method === 'POST') {
        return await sendWebResponse(res, await webLogin(sessions, request, 'alice'))
      }
      const latchResponse = await sessions.handle(request)
      if (latchResponse) return await sendWebResponse(res, latchResponse)
      if (url.pathname === '/api/me') {
        const result = await verifyRequest(sessions, request)
        if (result.response) return await sendWebResponse(res, result.response)
        const body = JSON.stringify(handler(result.session))
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        })
        return res.end(body)
      }
      res.writeHead(404).end()
    } catch (err) {
      if (!res.headersSent) res.writeHead(500)
      res.end()
      process.send?.({ type: 'log', message: String(err?.stack ?? err) })
    }
  }
  return { listener, close, sessions }
}

async function expressSessionApp() {
  const [{ default: session }, { RedisStore }, { createClient }] = await Promise.all([
    import('express-session'),
    import('connect-redis'),
    import('redis'),
  ])
  const client = createClient({ url: config.redisUrl })
  await client.connect()
  const app = express()
  app.use(
    session({
      store: new RedisStore({ client, prefix: 'bench-sess:' }),
      secret: 'bench-only-secret-not-used-anywhere-else',
      name: 'sid',
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge: 30 * 24 * 3600 * 1000 },
    }),
  )
  app.post('/login', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) return next(err)
      req.session.userId = 'alice'
      res.json({ userId: 'alice' })
    })
  })
  app.get('/api/me', (req, res) => {
    if (!req.session.userId) return res.status(401).json({ error: 'unauthorized' })
    res.json(handler({ userId: req.session.userId, sessionId: req.sessionID }))
  })
  return { listener: app, close: () => client.quit() }
}

/** A Latch manager bound by another framework's adapter (`bind`: `latchFastify` or `latchHono`). */
async function adapterApp(bind) {
  const { sessions, close } = await createLatch(RUN_LONG)
  const app = await bind(sessions, (session) => handler(session ?? ANONYMOUS))
  return {
    listener: app.listener,
    close: async () => {
      await app.close?.()
      await close()
    },
    sessions,
  }
}

const variants = {
  bare: bareApp,
  latch: () => latchApp({}),
  'latch-nocache': () => latchApp({ verifyCacheSize: 0 }),
  floor: () => latchApp({}, { floor: true }),
  'bare-node': bareNodeServer,
  handle: handleServer,
  'express-session': expressSessionApp,
  'latch-fastify': () => adapterApp(latchFastify),
  'latch-hono': () => adapterApp(latchHono),
}

const make = variants[config.variant]
if (!make) throw new Error(`unknown variant ${config.variant}`)
const app = await make()
const server = createServer(app.listener)
server.keepAliveTimeout = 60_000
// CPU time per request is what the guard really costs; unlike req/s, it barely moves when other
// processes compete for the cores.
let requests = 0
server.on('request', () => {
  requests++
})
server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', port: server.address().port })
})

process.on('message', async (message) => {
  if (message?.type === 'stats') {
    const cpu = process.cpuUsage()
    process.send({
      type: 'reply',
      data: { rss: process.memoryUsage().rss, cpuUs: cpu.user + cpu.system, userUs: cpu.user, requests },
    })
  } else if (message?.type === 'stop') {
    server.closeAllConnections?.()
    server.close()
    await app.close?.()
    process.exit(0)
  }
})
