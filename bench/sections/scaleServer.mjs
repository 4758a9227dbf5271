// One server under test for the "cost as work grows" section, in its own process (started with
// `--expose-gc` so memory readings follow full collections). `variant` picks what guards the same
// JSON handler on `GET /api/me`:
//   bare              — nothing (the limit)
//   latch             — Latch `requireSession`, default options, memory store
//   latch-sqlite      — the same with the SQLite store (the embedded one, as better-auth's here):
//                       the sessions live outside the JS heap
//   (latch-open)      — not a process: the `latch` server's `GET /api/open`, the same handler
//                       unguarded, holding the same sessions, so latch ÷ latch-open is the guard alone
//   express-session   — express-session + connect-redis: a Redis GET (and a TTL touch) per request
//   better-auth       — better-auth, email + password, SQLite (better-sqlite3), `auth.api.getSession` per request
//   better-auth-cache — the same with `session.cookieCache` enabled (signed session data in a cookie)
// IPC: `populate` creates the sessions and writes one `Cookie` header per line to a file (tokens
// travel through that file, never through a message or a log line); `stats` returns CPU time,
// requests served and Latch's `sessions.stats()`; `memory` collects garbage and reads the heap, RSS
// and the store's own footprint; `revoke` revokes one session the way an operator would.
// Listens on 127.0.0.1 only.
import { createHmac, randomBytes } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import express from 'express'
import { childConfig } from '../lib/child.mjs'
import { createLatch, latchExpress, ORIGIN, openStore } from '../lib/latch.mjs'

const config = childConfig()
const SECRET = randomBytes(32).toString('hex')

const handler = (userId, sessionId) => ({ userId, sessionId })

/** The `Cookie` header a browser sends to `/api/me` after these `Set-Cookie` lines (`Path=/` ones). */
function cookieHeaderOf(setCookies) {
  return setCookies
    .filter((line) => /;\s*path=\/(;|$)/i.test(line) || !/;\s*path=/i.test(line))
    .map((line) => line.split(';', 1)[0])
    .join('; ')
}

async function bareApp() {
  const app = express()
  app.get('/api/me', (_req, res) => res.json(handler('anonymous', 'none')))
  return { app, populate: null }
}

async function latchApp({ sqlite = false } = {}) {
  const sqlitePath = join(config.dir, 'latch.sqlite')
  const opened = sqlite ? await openStore('sqlite', { sqlitePath }) : null
  const latch = await createLatch({}, opened?.store)
  const { sessions } = latch
  const close = async () => {
    await latch.close()
    await opened?.close(opened.store)
  }
  const { middleware, guard, sessionOf, createSession } = await latchExpress(sessions)
  const app = express()
  app.use(sessions.basePath, middleware)
  app.post('/login', async (req, res, next) => {
    try {
      await createSession(req, res, 'user-0')
      res.json({ userId: 'user-0' })
    } catch (err) {
      next(err)
    }
  })
  app.get('/api/me', guard, (req, res) => {
    const s = sessionOf(req)
    res.json(handler(s.userId, s.sessionId))
  })
  // The same handler unguarded, in the same process and with the same sessions held.
  app.get('/api/open', (_req, res) => res.json(handler('anonymous', 'none')))
  // Only the last session's id is kept (the revocation probe's); a list of every id would
  // count against the per-session memory figure.
  let lastId = null
  return {
    app,
    close,
    // Session 0 through the app's login route over HTTP, the rest through the manager's API.
    async populate(count, login) {
      const cookies = [await login('/login')]
      for (let i = 1; i < count; i++) {
        const created = await sessions.create(
          new Request(`${ORIGIN}/login`, { method: 'POST', headers: { 'user-agent': 'latch-bench/1.0' } }),
          { userId: `user-${i}` },
        )
        cookies.push(cookieHeaderOf(new Headers(created.headers).getSetCookie()))
        lastId = created.session.sessionId
      }
      return {
        cookies,
        how: 'session 0: POST /login over HTTP; the others: sessions.create(new Request(…), { userId })',
      }
    },
    revokeLast: () => sessions.revokeSession(lastId),
    stats: () => (typeof sessions.stats === 'function' ? sessions.stats() : null),
    // The database file and its write-ahead log, as for better-auth's.
    storeBytes: sqlite
      ? () =>
          [sqlitePath, `${sqlitePath}-wal`].reduce(
            (sum, f) => sum + (statSync(f, { throwIfNoEntry: false })?.size ?? 0),
            0,
          )
      : undefined,
  }
}

async function expressSessionApp() {
  const [{ default: session }, { RedisStore }, { createClient }] = await Promise.all([
    import('express-session'),
    import('connect-redis'),
    import('redis'),
  ])
  const client = createClient({ url: config.redisUrl })
  await client.connect()
  const prefix = `scale:${process.pid}:`
  const store = new RedisStore({ client, prefix })
  const maxAge = 30 * 24 * 3600 * 1000
  const app = express()
  app.use(
    session({
      store,
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge },
    }),
  )
  app.post('/login', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) return next(err)
      req.session.userId = 'user-0'
      res.json({ userId: 'user-0' })
    })
  })
  app.get('/api/me', (req, res) => {
    if (!req.session.userId) return res.status(401).json({ error: 'unauthorized' })
    res.json(handler(req.session.userId, req.sessionID))
  })
  let lastId = null
  const set = (sid, data) =>
    new Promise((resolve, reject) => store.set(sid, data, (e) => (e ? reject(e) : resolve())))
  return {
    app,
    close: () => client.quit(),
    // Session 0 through the login route; the others written through connect-redis's `set`, as
    // express-session would save them, with the cookie express-session signs (cookie-signature).
    async populate(count, login) {
      const cookies = [await login('/login')]
      lastId = cookies[0].match(/connect\.sid=s%3A([^.]+)\./)?.[1]
      const expires = new Date(Date.now() + maxAge).toISOString()
      const pending = []
      for (let i = 1; i < count; i++) {
        const sid = randomBytes(24).toString('base64url')
        lastId = sid
        const data = {
          cookie: {
            originalMaxAge: maxAge,
            expires,
            secure: false,
            httpOnly: true,
            path: '/',
            sameSite: 'lax',
          },
          userId: `user-${i}`,
        }
        pending.push(set(sid, data))
        if (pending.length >= 500) await Promise.all(pending.splice(0))
        const signed = `${sid}.${createHmac('sha256', SECRET).update(sid).digest('base64').replace(/=+$/, '')}`
        cookies.push(`connect.sid=${encodeURIComponent(`s:${signed}`)}`)
      }
      await Promise.all(pending)
      return {
        cookies,
        how: "session 0: POST /login over HTTP; the others: connect-redis's store.set, cookie signed as express-session signs it",
      }
    },
    async revokeLast() {
      await new Promise((resolve, reject) => store.destroy(lastId, (e) => (e ? reject(e) : resolve())))
      return true
    },
    async storeBytes() {
      const info = await client.info('memory')
      return Number(info.match(/used_memory:(\d+)/)?.[1])
    },
  }
}

async function betterAuthApp(cookieCache) {
  const [{ default: Database }, { betterAuth }, { getMigrations }, { fromNodeHeaders, toNodeHandler }] =
    await Promise.all([
      import('better-sqlite3'),
      import('better-auth'),
      import('better-auth/db/migration'),
      import('better-auth/node'),
    ])
  const path = join(config.dir, `better-auth-${cookieCache ? 'cache' : 'db'}.sqlite`)
  const db = new Database(path)
  // What a production SQLite set-up uses: WAL, no fsync per commit.
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  const options = {
    database: db,
    secret: SECRET,
    baseURL: 'http://127.0.0.1',
    emailAndPassword: { enabled: true },
    telemetry: { enabled: false },
    logger: { disabled: true },
    rateLimit: { enabled: false },
    session: cookieCache ? { cookieCache: { enabled: true, maxAge: config.cookieCacheMaxAgeSec } } : {},
  }
  const auth = betterAuth(options)
  await (await getMigrations(options)).runMigrations()
  const context = await auth.$context
  const app = express()
  // As better-auth's express guide mounts it: before any body parser.
  app.all('/api/auth/*splat', toNodeHandler(auth))
  app.get('/api/me', async (req, res, next) => {
    try {
      // `returnHeaders` so a renewed cookie-cache cookie reaches the browser, as it would from
      // better-auth's own endpoints.
      const { headers, response } = await auth.api.getSession({
        headers: fromNodeHeaders(req.headers),
        returnHeaders: true,
      })
      const renewed = headers?.getSetCookie?.() ?? []
      if (renewed.length) res.setHeader('set-cookie', renewed)
      if (!response) return res.status(401).json({ error: 'unauthorized' })
      res.json(handler(response.user.id, response.session.id))
    } catch (err) {
      next(err)
    }
  })
  let lastToken = null
  // better-call's signed cookie: `<value>.<base64 HMAC-SHA256>`, URI-encoded.
  const signed = (token) =>
    encodeURIComponent(`${token}.${createHmac('sha256', SECRET).update(token).digest('base64')}`)
  return {
    app,
    close: async () => db.close(),
    // User 0 signs up over HTTP (email + password: a real scrypt hash) and user 1 gets a session
    // through better-auth's internal adapter (what sign-in calls after the password check). Past
    // those, 100 000 sign-ins (scrypt) would take hours on 2 cores and the adapter takes ~0.7 ms a
    // row here, so the others are copies of user 1's rows (fresh id, email, token) inserted in one
    // SQLite transaction: the same columns and formats the adapter wrote, which getSession reads.
    async populate(count, login) {
      const cookies = [
        await login('/api/auth/sign-up/email', {
          email: 'user-0@bench.test',
          password: 'correct horse battery',
          name: 'User 0',
        }),
      ]
      lastToken = decodeURIComponent(cookies[0].match(/better-auth\.session_token=([^;]+)/)[1]).split('.')[0]
      if (count > 1) {
        const user = await context.internalAdapter.createUser({
          email: 'user-1@bench.test',
          name: 'User 1',
          emailVerified: false,
        })
        const created = await context.internalAdapter.createSession(user.id)
        lastToken = created.token
        cookies.push(`better-auth.session_token=${signed(created.token)}`)
        const userRow = db.prepare('SELECT * FROM user WHERE id = ?').get(user.id)
        const sessionRow = db.prepare('SELECT * FROM session WHERE token = ?').get(created.token)
        const insert = (table, row) => {
          const columns = Object.keys(row)
          const statement = db.prepare(
            `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
          )
          return (values) => statement.run(columns.map((c) => (c in values ? values[c] : row[c])))
        }
        const insertUser = insert('user', userRow)
        const insertSession = insert('session', sessionRow)
        db.transaction(() => {
          for (let i = 2; i < count; i++) {
            const userId = randomBytes(16).toString('hex')
            const token = randomBytes(16).toString('hex')
            insertUser({ id: userId, email: `user-${i}@bench.test`, name: `User ${i}` })
            insertSession({ id: randomBytes(16).toString('hex'), token, userId })
            lastToken = token
            cookies.push(`better-auth.session_token=${signed(token)}`)
          }
        })()
      }
      return {
        cookies,
        how: "user 0: POST /api/auth/sign-up/email over HTTP; user 1: internalAdapter.createUser + createSession; the others: copies of user 1's rows in one transaction",
      }
    },
    async revokeLast() {
      await context.internalAdapter.deleteSession(lastToken)
      return true
    },
    // The cookie cache's per-browser state is its session-data cookie, which a browser gets from
    // its first request. A getSession costs ~1–3 ms of CPU here, so for 100 000 sessions they are
    // minted instead: a real one, issued by getSession for the first session, copied with each
    // session's own fields and signed as better-auth signs its "compact" cookies (HMAC-SHA256 of
    // the payload with the secret). The harness checks minted cookies are answered from the cache
    // (200, no renewal). The last line (the revocation probe's) is left to get its own by use.
    mint: cookieCache
      ? async (file) => {
          const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
          const tokenOf = (line) =>
            decodeURIComponent(line.match(/better-auth\.session_token=([^;]+)/)[1]).split('.')[0]
          const tokenOnly = (line) =>
            line.split('; ').filter((c) => c.startsWith('better-auth.session_token='))[0]
          const { headers } = await auth.api.getSession({
            headers: new Headers({ cookie: tokenOnly(lines[0]) }),
            returnHeaders: true,
          })
          const issued = headers
            .getSetCookie()
            .map((l) => l.split(';', 1)[0])
            .find((c) => c.startsWith('better-auth.session_data='))
          if (!issued) throw new Error('getSession issued no session-data cookie')
          const template = JSON.parse(
            Buffer.from(issued.slice(issued.indexOf('=') + 1), 'base64url').toString(),
          )
          const row = db.prepare(
            'SELECT s.id AS sessionId, s.userId AS userId, u.email AS email, u.name AS name FROM session s JOIN user u ON u.id = s.userId WHERE s.token = ?',
          )
          for (let i = 0; i < lines.length - 1; i++) {
            const token = tokenOf(lines[i])
            const r = row.get(token)
            const data = structuredClone(template)
            Object.assign(data.session.session, { token, id: r.sessionId, userId: r.userId })
            Object.assign(data.session.user, { id: r.userId, email: r.email, name: r.name })
            data.signature = createHmac('sha256', SECRET)
              .update(JSON.stringify({ ...data.session, expiresAt: data.expiresAt }))
              .digest('base64url')
            lines[i] =
              `${tokenOnly(lines[i])}; better-auth.session_data=${Buffer.from(JSON.stringify(data)).toString('base64url')}`
          }
          writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 })
          return { minted: lines.length - 1, expiresAt: template.expiresAt }
        }
      : undefined,
    storeBytes() {
      db.pragma('wal_checkpoint(TRUNCATE)')
      return db.pragma('page_count', { simple: true }) * db.pragma('page_size', { simple: true })
    },
  }
}

const variants = {
  bare: bareApp,
  latch: latchApp,
  'latch-sqlite': () => latchApp({ sqlite: true }),
  'express-session': expressSessionApp,
  'better-auth': () => betterAuthApp(false),
  'better-auth-cache': () => betterAuthApp(true),
}

const make = variants[config.variant]
if (!make) throw new Error(`unknown variant ${config.variant}`)
const target = await make()
const server = createServer(target.app)
server.keepAliveTimeout = 60_000
let requests = 0
server.on('request', () => {
  requests++
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const port = server.address().port

/** Logs in over HTTP (the app's own route) and returns the `Cookie` header a browser would send. */
async function login(path, body = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-latch-csrf': '1', origin: 'http://127.0.0.1' },
    body: JSON.stringify(body),
  })
  await response.arrayBuffer()
  if (!response.ok) throw new Error(`${config.variant}: ${path} answered ${response.status}`)
  return cookieHeaderOf(response.headers.getSetCookie())
}

async function memory() {
  for (let i = 0; i < 3; i++) globalThis.gc?.()
  const m = process.memoryUsage()
  // heap + ArrayBuffer backing stores (outside the V8 heap; typed-array caches keep theirs there).
  return {
    heapUsed: m.heapUsed + m.arrayBuffers,
    rss: m.rss,
    storeBytes: (await target.storeBytes?.()) ?? null,
  }
}

const commands = {
  async stats() {
    const cpu = process.cpuUsage()
    return { cpuUs: cpu.user + cpu.system, requests, latch: target.stats ? target.stats() : undefined }
  },
  memory,
  async populate({ count, file }) {
    if (!target.populate) throw new Error(`${config.variant} has no sessions`)
    const started = performance.now()
    const { cookies, how } = await target.populate(count, login)
    writeFileSync(file, `${cookies.join('\n')}\n`, { mode: 0o600 })
    return { count: cookies.length, ms: performance.now() - started, how }
  },
  async mint({ file }) {
    if (!target.mint) throw new Error(`${config.variant} has no cookie cache`)
    const started = performance.now()
    return { ...(await target.mint(file)), ms: performance.now() - started }
  },
  /** Revokes the last session populated (the revocation probe's, kept out of the load). */
  async revoke() {
    return { revoked: await target.revokeLast() }
  },
}

process.on('message', async (message) => {
  if (message?.type === 'stop') {
    server.closeAllConnections?.()
    server.close()
    await target.close?.()
    process.exit(0)
  }
  const command = commands[message?.type]
  if (!command) return
  try {
    process.send({ type: 'reply', data: await command(message) })
  } catch (err) {
    process.send({ type: 'error', message: String(err?.stack ?? err) })
  }
})
process.send({ type: 'ready', port, gc: typeof globalThis.gc === 'function' })
