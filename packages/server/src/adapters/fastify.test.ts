/**
 * What the Fastify binding does beyond the shared contract (conformance.test.ts): registration
 * checks, prefixes, trusted proxies, bodies Latch never reads, and sign-in errors.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { afterEach, describe, expect, expectTypeOf, test } from 'vitest'
import { createSessionManager, type SessionManager } from '../createSessionManager.js'
import { memoryStore } from '../stores/memory.js'
import type { SessionStore } from '../stores/SessionStore.js'
import type { VerifiedSession } from '../tokens/accessToken.js'
import { createSession, latchPlugin, requireSession } from './fastify.js'

let apps: FastifyInstance[] = []
let managers: SessionManager[] = []
afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()))
  await Promise.all(managers.map((sessions) => sessions.close()))
  apps = []
  managers = []
})

function setup(options: { basePath?: string; store?: SessionStore; trustProxy?: boolean } = {}) {
  const sessions = createSessionManager({ store: options.store ?? memoryStore(), basePath: options.basePath })
  const app = Fastify({ trustProxy: options.trustProxy ?? false })
  managers.push(sessions)
  apps.push(app)
  app.post('/login', async (request, reply) => {
    await createSession(sessions, request, reply, { userId: 'alice' })
    return { ok: true }
  })
  app.get('/me', { preHandler: requireSession(sessions) }, async (request) => request.session)
  return { sessions, app }
}

const cookiesOf = (headers: Record<string, unknown>) =>
  ([] as string[]).concat((headers['set-cookie'] as string[]) ?? [])

describe('latchPlugin', () => {
  test('refuses a missing manager and a prefix outside the base path, with what to do', async () => {
    const { sessions, app } = setup()
    await expect(app.register(latchPlugin, {} as never).ready()).rejects.toThrow(
      /needs the `sessions` option/,
    )
    const other = Fastify()
    apps.push(other)
    other.register(async (api) => api.register(latchPlugin, { sessions }), { prefix: '/api' })
    await expect(other.ready()).rejects.toThrow(
      /registered under the prefix \/api, outside the base path \/auth\/session/,
    )
  })

  test('under a prefix that the base path starts with, the routes are served at the base path', async () => {
    const { sessions, app } = setup({ basePath: '/api/auth' })
    await app.register(async (api) => api.register(latchPlugin, { sessions }), { prefix: '/api' })
    const jwks = await app.inject({ method: 'GET', url: '/api/auth/jwks.json' })
    expect([jwks.statusCode, typeof jwks.json().keys]).toEqual([200, 'object'])
  })

  test('a refresh with an empty JSON body or a foreign content type is answered by Latch', async () => {
    const { sessions, app } = setup()
    await app.register(latchPlugin, { sessions })
    for (const contentType of ['application/json', 'application/x-unknown']) {
      const answer = await app.inject({
        method: 'POST',
        url: '/auth/session/refresh',
        headers: { 'content-type': contentType, 'x-latch-csrf': '1' },
      })
      expect([answer.statusCode, answer.headers['x-latch-error']]).toEqual([401, 'unauthorized'])
    }
  })

  test('behind a trusted proxy over HTTPS the cookies are the prefixed, Secure ones', async () => {
    const { sessions, app } = setup({ trustProxy: true })
    await app.register(latchPlugin, { sessions })
    const login = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example' },
    })
    const cookies = cookiesOf(login.headers)
    expect(cookies.find((line) => line.startsWith('__Host-latch-access='))).toMatch(/; Secure/)
    const access = cookies.find((line) => line.startsWith('__Host-latch-access='))!.split(';')[0]!
    const me = await app.inject({
      method: 'GET',
      url: '/me',
      headers: { cookie: access, 'x-forwarded-proto': 'https' },
    })
    expect([me.statusCode, me.json().userId]).toEqual([200, 'alice'])
    // Without the proxy's word the same request is plain HTTP: that cookie name is not read.
    const plain = await app.inject({ method: 'GET', url: '/me', headers: { cookie: access } })
    expect(plain.headers['x-latch-error']).toBe('try_refresh')
  })

  test('sign-in with the store down: 503 with x-latch-error and Retry-After', async () => {
    const store = memoryStore()
    store.createSession = () => Promise.reject(new Error('connection refused'))
    const { sessions, app } = setup({ store })
    await app.register(latchPlugin, { sessions })
    const login = await app.inject({ method: 'POST', url: '/login' })
    expect([login.statusCode, login.headers['x-latch-error'], Number(login.headers['retry-after'])]).toEqual([
      503,
      'store_unavailable',
      expect.any(Number),
    ])
    expect(login.json()).toMatchObject({ code: 'store_unavailable' })
  })

  test('request.session is typed by declaration merging (checked by tsc)', () => {
    expectTypeOf<FastifyRequest['session']>().toEqualTypeOf<VerifiedSession | undefined>()
  })

  test('requireSession without the plugin still sets request.session', async () => {
    const { sessions, app } = setup()
    const login = await app.inject({ method: 'POST', url: '/login' })
    const cookie = cookiesOf(login.headers)
      .map((line) => line.split(';')[0])
      .join('; ')
    const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie } })
    expect([me.statusCode, me.json().userId]).toEqual([200, 'alice'])
    expect(sessions.basePath).toBe('/auth/session')
  })
})
