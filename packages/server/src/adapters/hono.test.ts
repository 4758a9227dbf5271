/**
 * What the Hono binding does beyond the shared contract (conformance.test.ts, on
 * `@hono/node-server`): the same app run through `app.request` with no Node bindings at all (the
 * path Bun, Deno and Workers take), sign-in errors, and the `ip` option.
 */
import { Hono } from 'hono'
import { afterEach, expect, expectTypeOf, test } from 'vitest'
import { createSessionManager, type SessionManager } from '../createSessionManager.js'
import { memoryStore } from '../stores/memory.js'
import type { SessionStore } from '../stores/SessionStore.js'
import type { VerifiedSession } from '../tokens/accessToken.js'
import { createSession, latchMiddleware, requireSession } from './hono.js'

let managers: SessionManager[] = []
afterEach(async () => {
  await Promise.all(managers.map((sessions) => sessions.close()))
  managers = []
})

function setup(store: SessionStore = memoryStore()) {
  const sessions = createSessionManager({ store })
  managers.push(sessions)
  const app = new Hono()
  app.use(latchMiddleware(sessions, { ip: (c) => c.req.header('x-test-ip') ?? null }))
  app.post('/login', async (c) => {
    await createSession(sessions, c, { userId: 'alice', ip: c.req.header('x-test-ip') ?? null })
    return c.json({ ok: true })
  })
  app.get('/me', requireSession(sessions), (c) => c.json(c.var.session))
  return { app, sessions }
}

const cookieHeader = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ')

test('without Node bindings (as on Bun, Deno, Workers): sign-in, guard, refresh, theft', async () => {
  const { app, sessions } = setup()
  const login = await app.request('http://localhost/login', {
    method: 'POST',
    headers: { 'x-test-ip': '203.0.113.7' },
  })
  expect(login.status).toBe(200)
  expect(login.headers.getSetCookie()).toHaveLength(3)
  const cookie = cookieHeader(login)
  const me = await app.request('http://localhost/me', { headers: { cookie } })
  expect(await me.json()).toMatchObject({ userId: 'alice' })
  const refreshed = await app.request('http://localhost/auth/session/refresh', {
    method: 'POST',
    headers: { cookie, 'x-latch-csrf': '1', 'x-test-ip': '203.0.113.7' },
  })
  expect(refreshed.status).toBe(200)
  const [listed] = await sessions.listUserSessions('alice')
  expect(listed?.ip).toBe('203.0.113.7')
  const refused = await app.request('http://localhost/me')
  expect([refused.status, refused.headers.get('x-latch-error')]).toEqual([401, 'try_refresh'])
  expect(refused.headers.get('content-type')).toMatch(/^application\/json/)
})

test('sign-in with the store down: the contract answer, 503 with Retry-After, not a 500', async () => {
  const store = memoryStore()
  store.createSession = () => Promise.reject(new Error('connection refused'))
  const { app } = setup(store)
  const login = await app.request('http://localhost/login', { method: 'POST' })
  expect([login.status, login.headers.get('x-latch-error'), login.headers.get('retry-after')]).toEqual([
    503,
    'store_unavailable',
    expect.stringMatching(/^\d+$/),
  ])
  expect(await login.json()).toMatchObject({ error: 'store_unavailable' })
})

test("a failure that is not Latch's goes to the app's error handler, not answered as Latch", async () => {
  const { app, sessions } = setup()
  // The manager itself underneath (the adapter reads its cache through it), `verify` broken.
  const broken: SessionManager = Object.create(sessions, {
    verify: { value: () => Promise.reject(new Error('a bug')) },
  })
  app.get('/boom', requireSession(broken), (c) => c.text('unreachable'))
  app.onError((error, c) => c.json({ error: 'app', message: error.message }, 500))
  const answer = await app.request('http://localhost/boom', {
    headers: { authorization: 'Bearer a.token.never-seen' },
  })
  expect([answer.status, answer.headers.get('x-latch-error'), await answer.json()]).toEqual([
    500,
    null,
    { error: 'app', message: 'a bug' },
  ])
})

test('c.var.session is typed behind requireSession only (checked by tsc)', async () => {
  const { app, sessions } = setup()
  app.get('/typed', requireSession(sessions), (c) => {
    expectTypeOf(c.var.session).toEqualTypeOf<VerifiedSession>()
    return c.text('ok')
  })
  app.get('/open', (c) => {
    // @ts-expect-error: an unguarded route has no `session` variable
    const session = c.var.session
    return c.json({ typed: session === undefined })
  })
  expect(await (await app.request('http://localhost/open')).json()).toEqual({ typed: true })
})
