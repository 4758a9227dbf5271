/**
 * The adapter conformance suite: one wire contract, checked over real HTTP against any binding
 * of Latch to a framework (the express, Fastify and Hono adapters and the bare Web handler all
 * pass it). It is public (`@latch/server/testing`) for anyone writing an adapter of their own.
 * Runs under Vitest.
 *
 * One piece (over 300 lines): one `describe` of the contract's cases sharing one app, one agent
 * and the same request helpers.
 * @module
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createSessionManager, type SessionManager } from '../createSessionManager.js'
import { memoryStore } from '../stores/memory.js'
import type { SessionStore } from '../stores/SessionStore.js'
import { exposedHeaders } from '../transport/headers.js'

/** What the suite hands the binding under test. */
export interface AdapterAppInput {
  /** The session manager to bind (a memory store the suite can take down, and a fake clock). */
  sessions: SessionManager
  /** The one origin the app's CORS allows (see {@link describeAdapterConformance}). */
  corsOrigin: string
}

/** A running binding. */
export interface AdapterApp {
  /** Where it listens, e.g. `http://127.0.0.1:41234`. */
  origin: string
  /**
   * What the app and its framework logged where the suite cannot see it (a Fastify logger's
   * stream writes to the file descriptor, for instance); the suite records the console and
   * `process.stdout` / `process.stderr` writes itself. Defaults to none.
   */
  logs?: () => readonly string[]
  /** Stops the server (the suite closes the manager itself). */
  close(): Promise<void>
}

/** Starts the binding under test on a free port. */
export type StartAdapterApp = (input: AdapterAppInput) => Promise<AdapterApp>

const ACCESS = 'latch-access'
const REFRESH = 'latch-refresh'
const FRONT = 'latch-front'
const BASE = '/auth/session'
/** The session operations that fail while the store is "down" (keys and secrets stay up). */
const SESSION_OPERATIONS = new Set<PropertyKey>([
  'createSession',
  'getSession',
  'rotateSession',
  'rotateIfCurrent',
  'listUserSessions',
  'revokeSessions',
  'revokeUserSessions',
])

/** A store whose session operations reject (as a dropped connection does) while `down.on`. */
function switchableStore(store: SessionStore, down: { on: boolean }): SessionStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== 'function') return value
      if (!SESSION_OPERATIONS.has(name)) return value.bind(target)
      return (...args: unknown[]) =>
        down.on ? Promise.reject(new Error('connect ECONNREFUSED (store down)')) : value.apply(target, args)
    },
  })
}

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
  /** The answer's `x-latch-error`, or `null`. */
  code: string | null
  cookies: string[]
}

interface Send {
  method?: string
  headers?: Record<string, string | string[]>
  body?: string
}

/**
 * Describes the adapter contract for the binding `start` starts. The app must serve, with the
 * adapter under test:
 * - Latch's routes at the default base path (`/auth/session/…`);
 * - `POST /login` with a JSON body `{"userId": "…"}`: creates a session for that user and answers
 *   `200 {"userId"}`; a `LatchError` from sign-in is answered with its `status` and the contract's
 *   `x-latch-error` and `Retry-After` (the adapter's sign-in helper puts them on the response);
 * - `GET /me` and `POST /me`, guarded: `200 {"userId", "sessionId"}` from the verified session;
 * - CORS for `corsOrigin` only, with credentials, on every answer (Latch's too):
 *   `Access-Control-Allow-Origin`, `Access-Control-Allow-Credentials: true` and
 *   `Access-Control-Expose-Headers` listing `exposedHeaders` from `@latch/server`.
 *
 * It checks: sign-in, a protected route, a missing or expired access token (`try_refresh`),
 * refresh with and without the CSRF header, sign-out, the JWKS, `405` with `Allow`, duplicate and
 * oversized cookies, a bad `Host`, header transport, the exposed CORS headers, `503` with
 * `Retry-After` while the store is down (verification still working), theft, and that no token
 * appears in any log line or error body.
 *
 * @example
 * describeAdapterConformance('my framework', async ({ sessions, corsOrigin }) => {
 *   const server = myApp(sessions, corsOrigin).listen(0)
 *   return { origin: `http://127.0.0.1:${server.address().port}`, close: () => closeServer(server) }
 * })
 */
export function describeAdapterConformance(name: string, start: StartAdapterApp): void {
  describe(`adapter conformance: ${name}`, () => {
    const corsOrigin = 'https://app.example'
    const down = { on: false }
    let time = Date.now()
    const tokens = new Set<string>()
    const consoleLines: string[] = []
    let app: AdapterApp
    let sessions: SessionManager
    let agent: Agent
    const restoreConsole: (() => void)[] = []

    beforeAll(async () => {
      for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
        const original = console[method]
        console[method] = (...args: unknown[]) => {
          consoleLines.push(args.map((arg) => (typeof arg === 'string' ? arg : safeJson(arg))).join(' '))
          original.apply(console, args)
        }
        restoreConsole.push(() => {
          console[method] = original
        })
      }
      // Writes straight to the streams too (a logger that bypasses the console).
      for (const stream of [process.stdout, process.stderr]) {
        const original = stream.write
        stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
          consoleLines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString())
          return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
        } as typeof stream.write
        restoreConsole.push(() => {
          stream.write = original
        })
      }
      sessions = createSessionManager({
        store: switchableStore(memoryStore(), down),
        now: () => time,
      })
      // Keep-alive: several requests share a connection, as a browser's do (the per-connection
      // memo must never carry one request's session to the next).
      agent = new Agent({ keepAlive: true, maxSockets: 2 })
      app = await start({ sessions, corsOrigin })
    })

    afterAll(async () => {
      agent?.destroy()
      await app?.close()
      await sessions?.close()
      for (const restore of restoreConsole) restore()
    })

    /** One HTTP/1.1 exchange, headers exactly as given (a bad `Host`, duplicate cookies). */
    function send(path: string, init: Send = {}): Promise<Answer> {
      const url = new URL(path, app.origin)
      return new Promise((resolve, reject) => {
        const req = httpRequest(
          url,
          { method: init.method ?? 'GET', headers: init.headers, agent },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (chunk: Buffer) => chunks.push(chunk))
            res.on('end', () => {
              const error = res.headers['x-latch-error']
              const answer: Answer = {
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString('utf8'),
                code: typeof error === 'string' ? error : null,
                cookies: res.headers['set-cookie'] ?? [],
              }
              remember(answer)
              resolve(answer)
            })
            res.on('error', reject)
          },
        )
        req.on('error', reject)
        req.end(init.body)
      })
    }

    /** Records every token an answer hands out, and checks no error body repeats one. */
    function remember(answer: Answer): void {
      for (const line of answer.cookies) {
        const [pair] = line.split(';')
        const value = pair!.slice(pair!.indexOf('=') + 1)
        if (!pair!.startsWith(FRONT) && value.length > 20) tokens.add(value)
      }
      for (const header of ['x-latch-access-token', 'x-latch-refresh-token']) {
        const value = answer.headers[header]
        if (typeof value === 'string') tokens.add(value)
      }
      if (answer.status >= 400) {
        const leaked = [...tokens].some((token) => answer.body.includes(token))
        expect(leaked, `the ${answer.status} answer's body holds a token`).toBe(false)
      }
    }

    interface Signed {
      access: string
      refresh: string
      answer: Answer
    }

    function cookieOf(answer: Answer, name: string): string | undefined {
      const line = answer.cookies.find((cookie) => cookie.startsWith(`${name}=`))
      if (line === undefined) return undefined
      return line.slice(name.length + 1, line.includes(';') ? line.indexOf(';') : undefined)
    }

    async function signIn(userId = 'alice', headers: Record<string, string> = {}): Promise<Signed> {
      const answer = await send('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ userId }),
      })
      expect(answer.status).toBe(200)
      return { access: cookieOf(answer, ACCESS) ?? '', refresh: cookieOf(answer, REFRESH) ?? '', answer }
    }

    const me = (access: string | null, init: Send = {}) =>
      send('/me', {
        ...init,
        headers: { ...(access === null ? {} : { cookie: `${ACCESS}=${access}` }), ...init.headers },
      })

    const refresh = (refreshToken: string | null, headers: Record<string, string> = {}, query = '') =>
      send(`${BASE}/refresh${query}`, {
        method: 'POST',
        headers: {
          ...(refreshToken === null ? {} : { cookie: `${REFRESH}=${refreshToken}` }),
          'x-latch-csrf': '1',
          ...headers,
        },
      })

    function expectError(answer: Answer, status: number, code: string): void {
      expect([answer.status, answer.code]).toEqual([status, code])
      expect(String(answer.headers['content-type'])).toMatch(/^application\/json/)
      expect(JSON.parse(answer.body)).toMatchObject({ error: code, message: expect.any(String) })
    }

    test('sign-in sets the access, refresh and front cookies; a protected route answers 200', async () => {
      const { answer, access, refresh: refreshToken } = await signIn('alice')
      expect(answer.cookies).toHaveLength(3)
      expect(answer.cookies.find((line) => line.startsWith(`${ACCESS}=`))).toMatch(/HttpOnly/)
      expect(answer.cookies.find((line) => line.startsWith(`${REFRESH}=`))).toMatch(
        new RegExp(`Path=${BASE}(;|$)`),
      )
      expect(answer.headers['x-latch-front-token']).toEqual(expect.any(String))
      expect(access.length).toBeGreaterThan(20)
      expect(refreshToken.length).toBeGreaterThan(20)
      const ok = await me(access)
      expect(ok.status).toBe(200)
      expect(JSON.parse(ok.body)).toMatchObject({ userId: 'alice', sessionId: expect.any(String) })
    })

    test('a missing, garbage or expired access token is 401 try_refresh, as JSON', async () => {
      expectError(await me(null), 401, 'try_refresh')
      expectError(await me('not-a-token'), 401, 'try_refresh')
      const { access } = await signIn('bob')
      expect((await me(access)).status).toBe(200)
      time += 11 * 60_000 // past the default 10-minute lifetime
      expectError(await me(access), 401, 'try_refresh')
    })

    test('sessions do not leak between requests on one connection', async () => {
      const alice = await signIn('alice')
      const bob = await signIn('bob')
      for (let round = 0; round < 3; round++) {
        expect(JSON.parse((await me(alice.access)).body).userId).toBe('alice')
        expect(JSON.parse((await me(bob.access)).body).userId).toBe('bob')
        expectError(await me(null), 401, 'try_refresh')
      }
    })

    test('refresh needs the CSRF header, rotates, and the new access token works', async () => {
      const { refresh: refreshToken } = await signIn('carol')
      expectError(await refresh(refreshToken, { 'x-latch-csrf': '' }), 403, 'csrf_failed')
      const rotated = await refresh(refreshToken)
      expect(rotated.status).toBe(200)
      const next = cookieOf(rotated, REFRESH)
      expect(next).toEqual(expect.any(String))
      expect(next).not.toBe(refreshToken)
      expect(rotated.headers['x-latch-front-token']).toEqual(expect.any(String))
      const access = cookieOf(rotated, ACCESS)!
      expect(JSON.parse((await me(access)).body).userId).toBe('carol')
      // A cookie-authenticated unsafe call needs the header too.
      expectError(await me(access, { method: 'POST' }), 403, 'csrf_failed')
      expect((await me(access, { method: 'POST', headers: { 'x-latch-csrf': '1' } })).status).toBe(200)
    })

    test('a refresh naming its generation (?generation=N) is served; a duplicate behind the jar gets its token again', async () => {
      const { refresh: first, answer } = await signIn('frank')
      const front = (a: Answer) => cookieOf(a, FRONT)!
      const rotated = await refresh(first, {}, '?generation=0')
      expect(rotated.status).toBe(200)
      const second = cookieOf(rotated, REFRESH)!
      expect(second).not.toBe(first)
      // A tab that read generation 0 sends the jar's new token and front cookie (rule 1b).
      const duplicate = await refresh(
        second,
        { cookie: `${REFRESH}=${second}; ${FRONT}=${front(rotated)}` },
        '?generation=0',
      )
      expect(duplicate.status).toBe(200)
      expect(cookieOf(duplicate, REFRESH)).toBe(second)
      expect(front(duplicate)).not.toBe(front(answer))
      // The copy still in flight with the first token gets the same successor, not theft.
      const late = await refresh(first, {}, '?generation=0')
      expect([late.status, cookieOf(late, REFRESH)]).toEqual([200, second])
    })

    test('a rotated-out refresh token reused after the grace is theft and ends the session', async () => {
      const { refresh: first } = await signIn('dave')
      const second = cookieOf(await refresh(first), REFRESH)!
      time += 60_000
      expectError(await refresh(first), 401, 'token_theft_detected')
      // The owner's current token is refused too, with the reason (theft, so it can say so).
      expectError(await refresh(second), 401, 'token_theft_detected')
    })

    test('sign-out clears every cookie and ends the session', async () => {
      const { access, refresh: refreshToken } = await signIn('erin')
      expectError(
        await send(`${BASE}/signout`, { method: 'POST', headers: { cookie: `${REFRESH}=${refreshToken}` } }),
        403,
        'csrf_failed',
      )
      const out = await send(`${BASE}/signout`, {
        method: 'POST',
        headers: { cookie: `${REFRESH}=${refreshToken}; ${ACCESS}=${access}`, 'x-latch-csrf': '1' },
      })
      expect(out.status).toBe(200)
      for (const name of [ACCESS, REFRESH, FRONT])
        expect(out.cookies.find((line) => line.startsWith(`${name}=`))).toMatch(/Max-Age=0/)
      expectError(await refresh(refreshToken), 401, 'unauthorized')
      const after = await me(access)
      expect(after.status).toBe(401)
      expect(after.code).toBe('unauthorized')
    })

    test('the JWKS answers GET and HEAD; a wrong method is 405 with Allow', async () => {
      const jwks = await send(`${BASE}/jwks.json`)
      expect(jwks.status).toBe(200)
      expect(String(jwks.headers['content-type'])).toMatch(/^application\/json/)
      const { keys } = JSON.parse(jwks.body) as { keys: { kid?: string; d?: unknown }[] }
      expect(keys.length).toBeGreaterThan(0)
      for (const key of keys) expect([typeof key.kid, key.d]).toEqual(['string', undefined])
      const head = await send(`${BASE}/jwks.json`, { method: 'HEAD' })
      expect([head.status, head.body]).toEqual([200, ''])
      const post = await send(`${BASE}/jwks.json`, { method: 'POST', headers: { 'x-latch-csrf': '1' } })
      expectError(post, 405, 'method_not_allowed')
      expect(post.headers.allow).toBe('GET, HEAD')
      const get = await send(`${BASE}/refresh`)
      expectError(get, 405, 'method_not_allowed')
      expect(get.headers.allow).toBe('POST')
      // A path under the base that Latch does not serve is the app's (no Latch answer).
      expect((await send(`${BASE}/nothing-here`)).code).toBeNull()
    })

    test('duplicate cookies: a stale copy beside the good one never refuses or revokes', async () => {
      const { access, refresh: first } = await signIn('frank')
      const ok = await me(null, { headers: { cookie: `${ACCESS}=stale.left.over; ${ACCESS}=${access}` } })
      expect(ok.status).toBe(200)
      const second = cookieOf(await refresh(first), REFRESH)!
      time += 60_000 // past the reuse grace: the old copy alone would be theft
      const both = await refresh(null, { cookie: `${REFRESH}=${first}; ${REFRESH}=${second}` })
      expect(both.status).toBe(200)
      expect((await me(cookieOf(both, ACCESS)!)).status).toBe(200)
    })

    test('oversized cookies are refused with the contract codes, never a 5xx', async () => {
      const huge = 'x'.repeat(6000)
      expectError(await me(huge), 401, 'try_refresh')
      expectError(await refresh(huge), 401, 'unauthorized')
      const { access } = await signIn('gina')
      const padded = await me(null, { headers: { cookie: `junk=${huge}; ${ACCESS}=${access}` } })
      expect(padded.status).toBe(200)
    })

    test('a bad Host header gets a 4xx (Latch answers unauthorized), never a 5xx', async () => {
      const { access, refresh: refreshToken } = await signIn('hank')
      for (const host of ['bad host', 'exa mple.com:99999', '[::1']) {
        const refreshed = await refresh(refreshToken, { host })
        expect(refreshed.status).toBeGreaterThanOrEqual(400)
        expect(refreshed.status).toBeLessThan(500)
        if (refreshed.code !== null) expectError(refreshed, 401, 'unauthorized')
        const guarded = await me(access, { headers: { host } })
        expect(guarded.status).toBeLessThan(500)
      }
      // Still serving, and the session untouched.
      expect((await me(access)).status).toBe(200)
      expect((await refresh(refreshToken)).status).toBe(200)
    })

    test('header transport: tokens in headers, Bearer on requests, no cookies, no CSRF', async () => {
      const { answer } = await signIn('ivy', { 'x-latch-transport': 'header' })
      expect(answer.cookies).toEqual([])
      const access = answer.headers['x-latch-access-token'] as string
      const refreshToken = answer.headers['x-latch-refresh-token'] as string
      expect([typeof access, typeof refreshToken]).toEqual(['string', 'string'])
      const ok = await me(null, { method: 'POST', headers: { authorization: `Bearer ${access}` } })
      expect(JSON.parse(ok.body).userId).toBe('ivy')
      const rotated = await send(`${BASE}/refresh`, {
        method: 'POST',
        headers: { authorization: `Bearer ${refreshToken}`, 'x-latch-transport': 'header' },
      })
      expect(rotated.status).toBe(200)
      expect(rotated.cookies).toEqual([])
      const next = rotated.headers['x-latch-access-token'] as string
      expect(next).toEqual(expect.any(String))
      expect((await me(null, { headers: { authorization: `Bearer ${next}` } })).status).toBe(200)
      expectError(await me(null, { headers: { authorization: 'Bearer' } }), 401, 'try_refresh')
    })

    test('every answer to the allowed origin exposes the headers the client reads', async () => {
      const origin = { origin: corsOrigin }
      const signed = await signIn('jill', origin)
      const answers = [
        signed.answer,
        await me(signed.access, { headers: origin }),
        await me(null, { headers: origin }),
        await refresh(signed.refresh, { ...origin, 'x-latch-csrf': '' }),
        await refresh(signed.refresh, origin),
        await send(`${BASE}/jwks.json`, { headers: origin }),
      ]
      for (const answer of answers) {
        expect(answer.headers['access-control-allow-origin']).toBe(corsOrigin)
        const exposed = String(answer.headers['access-control-expose-headers'] ?? '')
          .toLowerCase()
          .split(/\s*,\s*/)
        for (const header of exposedHeaders) expect(exposed).toContain(header)
      }
    })

    test('store down: refresh is 503 with Retry-After and keeps the session; guards keep working', async () => {
      const { access, refresh: refreshToken } = await signIn('kim')
      down.on = true
      try {
        const refused = await refresh(refreshToken)
        expectError(refused, 503, 'store_unavailable')
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
        expect(refused.cookies.filter((line) => /Max-Age=0/.test(line))).toEqual([])
        expect((await me(access)).status).toBe(200)
        const login = await send('/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId: 'kim' }),
        })
        expect([login.status, login.code]).toEqual([503, 'store_unavailable'])
        expect(Number(login.headers['retry-after'])).toBeGreaterThan(0)
      } finally {
        down.on = false
      }
      expect((await refresh(refreshToken)).status).toBe(200)
    })

    test('no token in any log line', () => {
      expect(tokens.size).toBeGreaterThan(0)
      const lines = [...consoleLines, ...(app.logs?.() ?? [])]
      // Described, not quoted: a failure here must not print the token it found.
      const leaks: string[] = []
      lines.forEach((line, index) => {
        for (const token of tokens) {
          // A refresh token's secret alone, or an access token's signature alone, is as bad.
          const tail = token.slice(token.lastIndexOf('.') + 1)
          if (line.includes(token) || line.includes(tail))
            leaks.push(`log line ${index + 1} of ${lines.length} holds a token (${token.length} characters)`)
        }
      })
      expect(leaks).toEqual([])
    })
  })
}

function safeJson(value: unknown): string {
  try {
    return typeof value === 'object' ? JSON.stringify(value) : String(value)
  } catch {
    return String(value)
  }
}
