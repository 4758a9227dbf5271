// The one place the benchmarks touch Latch's API, so a rename upstream is a one-file change.
// Tokens pass through these helpers as values only: nothing here prints or logs one.
import { createSessionManager, isLatchError, memoryStore, toResponse } from '@latch/server'
import { answerRequest } from '@latch/server/adapter'

/** Where the benchmark's Web requests pretend to come from (loopback: cookies without `Secure`). */
export const ORIGIN = 'http://127.0.0.1'

/**
 * A ready session manager over `store` (a fresh memory store by default), and a `close()` that
 * also closes the store when we created it.
 */
export async function createLatch(options = {}, store) {
  const ownStore = store ?? memoryStore()
  const sessions = createSessionManager({ store: ownStore, ...options })
  await sessions.ready
  return {
    sessions,
    store: ownStore,
    async close() {
      await sessions.close()
      if (!store) await ownStore.close()
    },
  }
}

/** The express binding as the HTTP section uses it. */
export async function latchExpress(sessions) {
  const { latchMiddleware, requireSession, createSession } = await import('@latch/server/express')
  return {
    middleware: latchMiddleware(sessions),
    guard: requireSession(sessions),
    sessionOf: (req) => req.session,
    createSession: (req, res, userId) => createSession(sessions, req, res, { userId }),
  }
}

/**
 * The Fastify binding as the HTTP section uses it: a Fastify app with the plugin, `requireSession`
 * guarding `GET /api/me` and the same handler unguarded at `GET /api/open`, and its node:http
 * request listener (Fastify's own, taken from `serverFactory`).
 */
export async function latchFastify(sessions, handler) {
  const [{ default: Fastify }, { createServer }, latch] = await Promise.all([
    import('fastify'),
    import('node:http'),
    import('@latch/server/fastify'),
  ])
  let listener
  const app = Fastify({
    serverFactory: (fastifyHandler) => {
      listener = fastifyHandler
      return createServer()
    },
  })
  await app.register(latch.latchPlugin, { sessions })
  app.post('/login', async (request, reply) => {
    await latch.createSession(sessions, request, reply, { userId: 'alice' })
    return { userId: 'alice' }
  })
  app.get('/api/open', async () => handler(null))
  app.get('/api/me', { preHandler: latch.requireSession(sessions) }, async (request) =>
    handler(request.session),
  )
  await app.ready()
  return { listener, close: () => app.close() }
}

/**
 * The Hono binding as the HTTP section uses it, on `@hono/node-server`'s request listener (what
 * its `serve` runs): the middleware, `requireSession()` on `GET /api/me`, `GET /api/open` unguarded.
 */
export async function latchHono(sessions, handler) {
  const [{ Hono }, { getRequestListener }, latch] = await Promise.all([
    import('hono'),
    import('@hono/node-server'),
    import('@latch/server/hono'),
  ])
  const app = new Hono()
  app.use(latch.latchMiddleware(sessions))
  app.post('/login', async (c) => {
    await latch.createSession(sessions, c, { userId: 'alice' })
    return c.json({ userId: 'alice' })
  })
  app.get('/api/open', (c) => c.json(handler(null)))
  app.get('/api/me', latch.requireSession(sessions), (c) => c.json(handler(c.var.session)))
  return { listener: getRequestListener(app.fetch) }
}

/** A full Web `Request` for a node:http request, as a Web-standard adapter would build it. */
export function nodeRequestToWeb(req) {
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1])
  return new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url}`, { method: req.method, headers })
}

/** Writes a Web `Response` to a node:http response. */
export async function sendWebResponse(res, response) {
  const headers = {}
  for (const [name, value] of response.headers) if (name !== 'set-cookie') headers[name] = value
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined
  res.writeHead(response.status, headers)
  res.end(body)
}

/** `sessions.verify` as `{ session }` or `{ response }` (the contract's error answer). */
export async function verifyRequest(sessions, request) {
  try {
    return { session: await sessions.verify(request) }
  } catch (error) {
    if (isLatchError(error)) return { response: toResponse(error) }
    throw error
  }
}

/** Creates a session for `userId` on `request` and answers it like an application's login route. */
export async function webLogin(sessions, request, userId) {
  const created = await sessions.create(request, { userId })
  const headers = new Headers(created.headers)
  headers.set('content-type', 'application/json; charset=utf-8')
  return new Response(JSON.stringify({ userId }), { status: 200, headers })
}

/** A login request; `transport: 'header'` asks for tokens in headers instead of cookies. */
export function loginRequest({ transport = 'cookie', origin = ORIGIN } = {}) {
  const headers = { 'content-type': 'application/json', 'user-agent': 'latch-bench/1.0' }
  if (transport === 'header') headers['x-latch-transport'] = 'header'
  return new Request(`${origin}/login`, { method: 'POST', headers })
}

/** Creates a session in header mode and returns its tokens (values, never printed). */
export async function createHeaderSession(sessions, userId) {
  const created = await sessions.create(loginRequest({ transport: 'header' }), { userId })
  return {
    accessToken: created.accessToken,
    refreshToken: created.refreshToken,
    sessionId: created.session.sessionId,
  }
}

/** A header-mode refresh request presenting `refreshToken`. */
export function refreshRequest(sessions, refreshToken) {
  return new Request(`${ORIGIN}${sessions.basePath}/refresh`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${refreshToken}`,
      'x-latch-transport': 'header',
      'user-agent': 'latch-bench/1.0',
    },
  })
}

/**
 * A header-mode refresh request as a plain {@link import('@latch/server').RequestLike}: what an
 * adapter (the express one) hands `sessions.answer`, with no Web `Request` behind it.
 */
export function refreshView(sessions, refreshToken) {
  const headers = {
    authorization: `Bearer ${refreshToken}`,
    'x-latch-transport': 'header',
    'user-agent': 'latch-bench/1.0',
  }
  return {
    method: 'POST',
    url: `${ORIGIN}${sessions.basePath}/refresh`,
    headers: { get: (name) => headers[name] ?? null },
  }
}

/**
 * Refreshes through the real endpoint and returns `{ status, error, refreshToken, front }`.
 * `via: 'answer'` (the default) is the adapters' path, `answerRequest(sessions, view)`, a plain answer;
 * `via: 'handle'` is the Web one, `sessions.handle(new Request(…))`, whose `Response` body is
 * read so nothing is left pending.
 */
export async function refreshOnce(sessions, refreshToken, via = 'answer') {
  if (via === 'answer') {
    const answer = await answerRequest(sessions, refreshView(sessions, refreshToken))
    if (answer === null) throw new Error('the refresh endpoint answered null: base path mismatch')
    return {
      status: answer.status,
      error: answer.headers['x-latch-error'] ?? null,
      refreshToken: answer.headers['x-latch-refresh-token'] ?? null,
      front: answer.headers['x-latch-front-token'] ?? null,
    }
  }
  const response = await sessions.handle(refreshRequest(sessions, refreshToken))
  if (response === null) throw new Error('the refresh endpoint answered null: base path mismatch')
  await response.arrayBuffer()
  return {
    status: response.status,
    error: response.headers.get('x-latch-error'),
    refreshToken: response.headers.get('x-latch-refresh-token'),
    front: response.headers.get('x-latch-front-token'),
  }
}

/** Decodes a front token (base64url JSON: uid, sid, exp, gen). It holds no secret. */
export function decodeFront(front) {
  return JSON.parse(Buffer.from(front, 'base64url').toString('utf8'))
}

/** A request carrying an access token as `Authorization: Bearer`. */
export function bearerRequest(accessToken) {
  return new Request(`${ORIGIN}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } })
}

/** Opens a store by name; `urls` gives the Redis / Postgres servers, `dir` a place for SQLite files. */
export async function openStore(name, { redisUrl, databaseUrl, sqlitePath } = {}) {
  switch (name) {
    case 'memory':
      return { store: memoryStore(), close: async (s) => s.close() }
    case 'sqlite': {
      const { sqliteStore } = await import('@latch/server/sqlite')
      return { store: sqliteStore({ path: sqlitePath }), close: async (s) => s.close() }
    }
    case 'redis': {
      const { redisStore } = await import('@latch/server/redis')
      return {
        store: redisStore({ url: redisUrl, keyPrefix: `bench:${process.pid}:` }),
        close: async (s) => s.close(),
      }
    }
    case 'postgres': {
      const { postgresStore } = await import('@latch/server/postgres')
      return { store: postgresStore({ connectionString: databaseUrl }), close: async (s) => s.close() }
    }
    default:
      throw new Error(`unknown store ${name}`)
  }
}
