import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import fc from 'fast-check'
import { afterEach, describe, expect, onTestFinished, test, vi } from 'vitest'
import { CookieJar, fakeClock, STORES } from '../../test/harness.js'
import { createSessionManager, type SessionManager } from '../createSessionManager.js'
import { memoryStore } from '../stores/memory.js'
import { createSession, latchMiddleware, requireSession } from './express.js'

describe.each(STORES)('express adapter on %s', (_name, makeStore) => {
  let stop: (() => Promise<void>) | null = null
  afterEach(async () => {
    await stop?.()
    stop = null
  })

  async function start(options: { reuseGrace?: string } = {}) {
    const { store, cleanup } = makeStore()
    const clock = fakeClock()
    const onTheftDetected = vi.fn()
    const sessions: SessionManager = createSessionManager({
      store,
      now: clock.now,
      onTheftDetected,
      ...(options as object),
    })
    const app = express()
    app.use(latchMiddleware(sessions))
    app.post('/api/login', express.json(), async (req, res, next) => {
      try {
        await createSession(sessions, req, res, { userId: req.body.username, claims: { plan: 'pro' } })
        res.json({ userId: req.body.username })
      } catch (error) {
        next(error)
      }
    })
    app.get('/api/me', requireSession(sessions), (req, res) => {
      res.json({
        userId: req.session!.userId,
        sessionId: req.session!.sessionId,
        claims: req.session!.claims,
      })
    })
    app.post('/api/notes', requireSession(sessions), (_req, res) => {
      res.status(201).json({ id: 1 })
    })
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    stop = async () => {
      await new Promise((resolve) => server.close(resolve))
      await sessions.close()
      await cleanup()
    }
    const jar = new CookieJar()
    const call = async (path: string, init: RequestInit & { csrf?: boolean; jar?: CookieJar } = {}) => {
      const useJar = init.jar ?? jar
      const headers = new Headers(init.headers)
      const cookie = useJar.header(path)
      if (cookie && !headers.has('cookie')) headers.set('cookie', cookie)
      if (init.csrf !== false) headers.set('x-latch-csrf', '1')
      const response = await fetch(base + path, { ...init, headers })
      useJar.absorb(response.headers)
      return response
    }
    const login = () =>
      call('/api/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'test-agent' },
        body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
      })
    return { sessions, clock, jar, call, login, onTheftDetected, base }
  }

  test('login sets the three cookies; requireSession sets req.session; refresh rotates', async () => {
    const { call, login, jar, sessions } = await start()
    const response = await login()
    expect(response.status).toBe(200)
    const cookies = response.headers.getSetCookie()
    expect(cookies).toHaveLength(3)
    expect(cookies.find((c) => c.startsWith('latch-refresh='))).toMatch(
      /Path=\/auth\/session; Max-Age=\d+; HttpOnly; SameSite=Strict$/,
    )
    expect(cookies.find((c) => c.startsWith('latch-access='))).toContain('HttpOnly')
    expect(cookies.find((c) => c.startsWith('latch-front='))).not.toContain('HttpOnly')
    expect(cookies.join()).not.toContain('Secure') // plain HTTP on loopback only
    const me = await call('/api/me')
    expect(me.status).toBe(200)
    const body = (await me.json()) as { userId: string; sessionId: string; claims: unknown }
    expect(body).toMatchObject({ userId: 'alice', claims: { plan: 'pro' } })
    const before = jar.get('latch-refresh')
    const refreshed = await call('/auth/session/refresh', { method: 'POST' })
    expect(refreshed.status).toBe(200)
    expect(jar.get('latch-refresh')).not.toBe(before)
    const [listed] = await sessions.listUserSessions('alice', body.sessionId)
    expect(listed).toMatchObject({ userAgent: 'test-agent', ip: '127.0.0.1', current: true })
    expect((await call('/api/me')).status).toBe(200)
  })

  test('theft through the real server revokes the session for both parties', async () => {
    const { call, login, jar, clock, onTheftDetected } = await start()
    await login()
    const thief = jar.clone()
    expect((await call('/auth/session/refresh', { method: 'POST' })).status).toBe(200)
    clock.advance(30_000)
    const stolen = await call('/auth/session/refresh', { method: 'POST', jar: thief })
    expect([stolen.status, stolen.headers.get('x-latch-error')]).toEqual([401, 'token_theft_detected'])
    const me = await call('/api/me')
    expect(me.headers.get('x-latch-error')).toBe('token_theft_detected')
    await vi.waitFor(() =>
      expect(onTheftDetected).toHaveBeenCalledWith(expect.objectContaining({ ip: '127.0.0.1' })),
    )
  })

  test('CSRF on unsafe API calls, errors carry x-latch-error, other routes pass through', async () => {
    const { call, login, base } = await start()
    await login()
    const refused = await call('/api/notes', { method: 'POST', csrf: false })
    expect([refused.status, refused.headers.get('x-latch-error')]).toEqual([403, 'csrf_failed'])
    expect(await refused.json()).toMatchObject({ error: 'csrf_failed' })
    expect((await call('/api/notes', { method: 'POST' })).status).toBe(201)
    const anonymous = await fetch(`${base}/api/me`)
    expect(anonymous.headers.get('x-latch-error')).toBe('try_refresh')
    expect((await call('/auth/session/unknown')).status).toBe(404)
    const wrong = await call('/auth/session/signout', { method: 'GET' })
    expect([wrong.status, wrong.headers.get('x-latch-error')]).toEqual([405, 'method_not_allowed'])
    const jwks = await call('/auth/session/jwks.json', { method: 'GET' })
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300')
    const { keys } = (await jwks.json()) as { keys: Record<string, unknown>[] }
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' })
    expect(keys[0]).not.toHaveProperty('d')
  })

  test('sign-out clears cookies; the old cookies are refused afterwards', async () => {
    const { call, login, jar } = await start()
    await login()
    const copy = jar.clone()
    const out = await call('/auth/session/signout', { method: 'POST' })
    expect(out.status).toBe(200)
    expect(out.headers.get('x-latch-front-token')).toBe('remove')
    expect((await call('/api/me', { jar: copy })).headers.get('x-latch-error')).toBe('unauthorized')
    expect(
      (await call('/auth/session/refresh', { method: 'POST', jar: copy })).headers.get('x-latch-error'),
    ).toBe('unauthorized')
  })

  test('property: random cookie and header values never produce a 5xx', async () => {
    const { login, jar, base } = await start()
    await login()
    const valid = jar.header('/auth/session/refresh')
    const headerValue = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.stringMatching(/^[A-Za-z0-9_.=;, -]{0,200}$/),
      fc.constant(valid),
      fc.constant(`${valid}; ${valid}`),
    )
    const printable = (value: string) => value.replace(/[^\x20-\x7e]/g, '')
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/api/me',
          '/api/notes',
          '/auth/session/refresh',
          '/auth/session/signout',
          '/auth/session/jwks.json',
        ),
        fc.constantFrom('GET', 'POST', 'PUT'),
        headerValue,
        headerValue,
        fc.constantFrom('cookie', 'header', 'x'),
        async (path, method, cookie, authorization, transport) => {
          const response = await fetch(`${base}${path}`, {
            method,
            headers: {
              cookie: printable(cookie),
              authorization: printable(authorization),
              'x-latch-transport': transport,
              'x-latch-csrf': '1',
            },
          })
          expect(response.status).toBeLessThan(500)
          if (response.status >= 400 && response.status !== 404)
            expect(response.headers.get('x-latch-error')).toBeTruthy()
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('express adapter: mounting, the synchronous hit path, proxies', () => {
  let stop: (() => Promise<void>) | null = null
  afterEach(async () => {
    await stop?.()
    stop = null
  })

  async function serve(setup: (app: express.Express, sessions: SessionManager) => void) {
    const store = memoryStore()
    const sessions = createSessionManager({ store })
    await sessions.ready
    const app = express()
    setup(app, sessions)
    app.get('/api/me', requireSession(sessions), (req, res) => res.json({ userId: req.session!.userId }))
    app.get('/other', (_req, res) => res.send('other'))
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    stop = async () => {
      await new Promise((resolve) => server.close(resolve))
      await sessions.close()
      await store.close()
    }
    const login = async (origin = 'http://127.0.0.1') =>
      sessions.create(new Request(`${origin}/login`, { method: 'POST' }), { userId: 'alice' })
    return { sessions, base, login, store }
  }

  test('latchMiddleware mounted at the base path answers its endpoints; other routes skip it', async () => {
    const { base, login } = await serve((app, sessions) =>
      app.use(sessions.basePath, latchMiddleware(sessions)),
    )
    const { refreshToken } = await login()
    const refreshed = await fetch(`${base}/auth/session/refresh?x=1`, {
      method: 'POST',
      headers: { cookie: `latch-refresh=${refreshToken}`, 'x-latch-csrf': '1' },
    })
    expect(refreshed.status).toBe(200)
    expect(refreshed.headers.getSetCookie()).toHaveLength(3)
    const jwks = await fetch(`${base}/auth/session/jwks.json`)
    expect([jwks.status, jwks.headers.get('cache-control')]).toEqual([200, 'public, max-age=300'])
    expect((await fetch(`${base}/auth/session/unknown`)).status).toBe(404)
    expect((await fetch(`${base}/auth/session`)).status).toBe(404)
    const wrong = await fetch(`${base}/auth/session/signout`)
    expect([wrong.status, wrong.headers.get('x-latch-error')]).toEqual([405, 'method_not_allowed'])
    expect(await (await fetch(`${base}/other`)).text()).toBe('other')
  })

  test('latchMiddleware under another mount path still finds its endpoints by the full URL', async () => {
    const { base, login } = await serve((app, sessions) => app.use('/auth', latchMiddleware(sessions)))
    const { refreshToken } = await login()
    const refreshed = await fetch(`${base}/auth/session/refresh`, {
      method: 'POST',
      headers: { cookie: `latch-refresh=${refreshToken}`, 'x-latch-csrf': '1' },
    })
    expect(refreshed.status).toBe(200)
  })

  test('refresh writes its answer straight to res: no Web Request, Response or Headers is built', async () => {
    const { base, login } = await serve((app, sessions) => app.use(latchMiddleware(sessions)))
    const { port } = new URL(base)
    // node:http on both sides, so any Web object built during the call is the adapter's.
    const post = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const request = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk) => (body += chunk))
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
        })
        request.on('error', reject)
        request.end()
      })
    const built: string[] = []
    // A mixin: TypeScript requires its constructor to take `any[]`.
    const counting = <T extends new (...args: any[]) => object>(name: string, Base: T) =>
      class extends Base {
        constructor(...args: any[]) {
          super(...args)
          built.push(name)
        }
      }
    let { refreshToken } = await login()
    vi.stubGlobal('Request', counting('Request', Request))
    vi.stubGlobal('Response', counting('Response', Response))
    vi.stubGlobal('Headers', counting('Headers', Headers))
    try {
      for (const host of ['127.0.0.1', 'app.example.com']) {
        const answer = await post('/auth/session/refresh', {
          host,
          cookie: `latch-refresh=${refreshToken}`,
          'x-latch-csrf': '1',
        })
        expect(answer.status).toBe(200)
        expect(JSON.parse(answer.body).session.uid).toBe('alice')
        expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.body)))
        const cookies = answer.headers['set-cookie']!
        expect(cookies).toHaveLength(3)
        // The Host decides `Secure`: only loopback goes without it.
        expect(cookies.every((c) => c.includes('; Secure'))).toBe(host !== '127.0.0.1')
        refreshToken = cookies
          .find((c) => c.startsWith('latch-refresh='))!
          .split(';')[0]!
          .slice(14)
      }
      const malformed = await post('/auth/session/refresh', { host: 'a b', 'x-latch-csrf': '1' })
      expect([malformed.status, malformed.headers['x-latch-error']]).toEqual([401, 'unauthorized'])
      expect(built).toEqual([])
    } finally {
      vi.unstubAllGlobals()
    }
  })

  test('a login with an unparsable Host answers 401 unauthorized and stores no session', async () => {
    const { base, sessions } = await serve((app, s) =>
      app.post('/login', async (req, res, next) => {
        try {
          await createSession(s, req, res, { userId: 'alice' })
          res.json({ ok: true })
        } catch (error) {
          next(error)
        }
      }),
    )
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port: new URL(base).port,
          path: '/login',
          method: 'POST',
          headers: { host: 'a b' },
        },
        (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk) => (body += chunk))
          res.on('end', () => resolve({ status: res.statusCode!, body }))
        },
      )
      request.on('error', reject)
      request.end()
    })
    // express's own error handler answers a LatchError with its status.
    expect(answer.status).toBe(401)
    expect(await sessions.listUserSessions('alice')).toEqual([])
  })

  test('a revoked session is refused at once on a cached token', async () => {
    const { base, login, sessions } = await serve((app, s) => app.use(latchMiddleware(s)))
    const { accessToken, session } = await login()
    const me = () => fetch(`${base}/api/me`, { headers: { cookie: `a=1; latch-access=${accessToken}` } })
    expect((await me()).status).toBe(200) // verified, now cached
    expect((await me()).status).toBe(200) // the synchronous hit path
    await sessions.revokeSession(session.sessionId)
    const refused = await me()
    expect([refused.status, refused.headers.get('x-latch-error')]).toEqual([401, 'unauthorized'])
  })

  test('one keep-alive connection carrying several sessions (a proxy’s): each its own, revocation at once', async () => {
    const { base, login, sessions } = await serve(() => {})
    const alice = await login()
    const bob = await sessions.create(new Request('http://127.0.0.1/login', { method: 'POST' }), {
      userId: 'bob',
    })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const me = (accessToken: string) =>
      new Promise<{ status: number; code: string | undefined; body: string; reused: boolean }>(
        (resolve, reject) => {
          const request = httpRequest(
            `${base}/api/me`,
            { agent, headers: { cookie: `latch-access=${accessToken}` } },
            (res) => {
              let body = ''
              res.setEncoding('utf8')
              res.on('data', (chunk) => (body += chunk))
              res.on('end', () =>
                resolve({
                  status: res.statusCode!,
                  code: res.headers['x-latch-error'] as string | undefined,
                  body,
                  reused: request.reusedSocket,
                }),
              )
            },
          )
          request.on('error', reject)
          request.end()
        },
      )
    try {
      const answers = []
      for (const token of [alice, alice, bob, bob, alice].map((s) => s.accessToken))
        answers.push(await me(token))
      expect(answers.map((a) => JSON.parse(a.body).userId)).toEqual(['alice', 'alice', 'bob', 'bob', 'alice'])
      expect(answers.slice(1).every((a) => a.reused)).toBe(true)
      // The connection last carried Alice's token; her revocation applies to the next request.
      await sessions.revokeSession(alice.session.sessionId)
      const refused = await me(alice.accessToken)
      expect([refused.status, refused.code, refused.reused]).toEqual([401, 'unauthorized', true])
      expect(JSON.parse((await me(bob.accessToken)).body).userId).toBe('bob')
    } finally {
      agent.destroy()
    }
  })

  test('requireSession calls next() in the same tick on a cache hit, and answers errors the same way', async () => {
    const { sessions, store } = await serve(() => {})
    // Issued by another instance on the store: this one has not verified it yet (a token it
    // issues itself enters its cache at issue, so its first request is a hit already).
    const issuer = createSessionManager({ store })
    onTestFinished(() => issuer.close())
    const { accessToken } = await issuer.create(new Request('http://127.0.0.1/login', { method: 'POST' }), {
      userId: 'alice',
    })
    const guard = requireSession(sessions)
    const fakeRequest = (cookie: string) =>
      ({
        method: 'GET',
        originalUrl: '/api/me',
        headers: { cookie },
        socket: {},
      }) as unknown as express.Request
    const next = vi.fn()
    const first = fakeRequest(`latch-access=${accessToken}`)
    guard(first, {} as express.Response, next)
    expect(next).not.toHaveBeenCalled() // a miss: the signature check is asynchronous
    await vi.waitFor(() => expect(next).toHaveBeenCalledTimes(1))
    const second = fakeRequest(`latch-access=${accessToken}`)
    guard(second, {} as express.Response, next)
    expect(next).toHaveBeenCalledTimes(2) // a hit: no await
    expect(next).toHaveBeenLastCalledWith()
    expect(second.session?.userId).toBe('alice')
    // A test double without a socket is read through its own `protocol`.
    const double = {
      method: 'GET',
      protocol: 'http',
      originalUrl: '/api/me',
      headers: { cookie: `latch-access=${accessToken}` },
    } as unknown as express.Request
    guard(double, {} as express.Response, next)
    expect(next).toHaveBeenCalledTimes(3)
  })

  test('requireSession: one request never sees another’s headers (the hit path reuses one view)', async () => {
    const { sessions, login } = await serve(() => {})
    const alice = await login()
    const bob = await login()
    const guard = requireSession(sessions)
    const fakeRequest = (cookie?: string) =>
      ({
        method: 'GET',
        originalUrl: '/api/me',
        headers: cookie === undefined ? {} : { cookie },
        socket: {},
      }) as unknown as express.Request
    const next = vi.fn()
    const warm = fakeRequest(`latch-access=${bob.accessToken}`)
    guard(warm, {} as express.Response, next)
    await vi.waitFor(() => expect(next).toHaveBeenCalledTimes(1))
    // Alice misses (asynchronous) while Bob hits in between: each gets their own session.
    const missing = fakeRequest(`latch-access=${alice.accessToken}`)
    guard(missing, {} as express.Response, next)
    const hit = fakeRequest(`latch-access=${bob.accessToken}`)
    guard(hit, {} as express.Response, next)
    expect(hit.session?.sessionId).toBe(bob.session.sessionId)
    await vi.waitFor(() => expect(next).toHaveBeenCalledTimes(3))
    expect(missing.session?.sessionId).toBe(alice.session.sessionId)
    // A request without a cookie right after a hit is not answered with the previous one's session.
    const sent: number[] = []
    const res = {
      status(code: number) {
        sent.push(code)
        return this
      },
      setHeader() {},
      append() {},
      end() {},
    } as unknown as express.Response
    const anonymous = fakeRequest()
    guard(anonymous, res, next)
    await vi.waitFor(() => expect(sent).toEqual([401]))
    expect(anonymous.session).toBeUndefined()
  })

  test('req.session is not an own property of the request, survives a sub-app, and leaves other req.session users alone', async () => {
    const { base, login } = await serve((app, sessions) => {
      const guard = requireSession(sessions)
      const seen = (req: express.Request) => ({
        userId: (req.session as { userId?: string } | undefined)?.userId ?? null,
        own: Object.hasOwn(req, 'session'),
      })
      // Guarded inside a mounted sub-app, read by the parent once the sub-app hands the request back.
      const sub = express()
      sub.get('/me', guard, (_req, _res, next) => next())
      app.use('/sub', sub)
      app.get('/sub/me', (req, res) => res.json(seen(req)))
      // Another library's own `req.session` before the guard: replaced, as it always was.
      app.get(
        '/shadowed',
        (req, _res, next) => {
          ;(req as { session?: unknown }).session = { userId: 'someone else' }
          next()
        },
        guard,
        (req, res) => res.json(seen(req)),
      )
      // An unguarded route where something else sets and deletes `req.session`: plain own-property behaviour.
      app.get('/other-library', (req, res) => {
        const r = req as { session?: unknown }
        r.session = { userId: 'legacy' }
        const set = seen(req)
        delete r.session
        res.json({ set, after: seen(req) })
      })
    })
    const { accessToken } = await login()
    const get = async (path: string) =>
      (await fetch(`${base}${path}`, { headers: { cookie: `latch-access=${accessToken}` } })).json()
    for (let i = 0; i < 2; i++) {
      // Twice: a miss (the asynchronous path), then a hit.
      expect(await get('/api/me')).toEqual({ userId: 'alice' })
      expect(await get('/sub/me')).toEqual({ userId: 'alice', own: false })
      expect(await get('/shadowed')).toEqual({ userId: 'alice', own: true })
    }
    expect(await get('/other-library')).toEqual({
      set: { userId: 'legacy', own: true },
      after: { userId: null, own: false },
    })
  })

  test('behind a trusted proxy, X-Forwarded-Proto: https picks the __Host- cookie; untrusted, it is ignored', async () => {
    const trusted = await serve((app) => app.set('trust proxy', true))
    const { accessToken } = await trusted.login('https://app.example.com')
    const call = (base: string, proto: string | null, cookie: string) =>
      fetch(`${base}/api/me`, { headers: { cookie, ...(proto ? { 'x-forwarded-proto': proto } : {}) } })
    for (let i = 0; i < 2; i++) {
      // Twice: a miss, then a hit.
      expect((await call(trusted.base, 'https', `__Host-latch-access=${accessToken}`)).status).toBe(200)
    }
    const plain = await call(trusted.base, null, `__Host-latch-access=${accessToken}`)
    expect(plain.headers.get('x-latch-error')).toBe('try_refresh') // plain HTTP reads latch-access
    expect((await call(trusted.base, 'http', `latch-access=${accessToken}`)).status).toBe(200)
    await stop?.()
    stop = null
    const untrusted = await serve(() => {})
    const spoofed = await call(untrusted.base, 'https', `__Host-latch-access=${accessToken}`)
    expect(spoofed.headers.get('x-latch-error')).toBe('try_refresh')
  })
})
