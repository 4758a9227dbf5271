/**
 * The demo API against a real session manager on the memory store, over real HTTP.
 */

import { request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type PublicJwk, signProof } from '@latch/client/bound'
import { createSessionManager, memoryStore, type SessionManager } from '@latch/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDemoApp } from './app'
import { memoryNotes } from './notes'
import { createStatsRecorder } from './stats'

let server: Server
let sessions: SessionManager
let base: string

beforeAll(async () => {
  sessions = createSessionManager({ store: memoryStore() })
  await sessions.ready
  const app = createDemoApp({
    sessions,
    notes: memoryNotes(),
    storeName: 'memory',
    stats: createStatsRecorder(),
    log: null,
  })
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await sessions.close()
})

/** Signs in and returns the cookie header a browser would send back. */
async function signIn(username: string, password: string, userAgent = 'vitest'): Promise<string> {
  const response = await post('/api/login', { username, password }, { 'user-agent': userAgent })
  expect(response.status).toBe(200)
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ')
}

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

const authed = (cookie: string, extra: Record<string, string> = {}) => ({
  cookie,
  'x-latch-csrf': '1',
  ...extra,
})

describe('demo API', () => {
  it('answers the health check without a session', async () => {
    const response = await fetch(`${base}/api/health`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ ok: true, store: 'memory', admin: false })
  })

  it('signs in a demo user and creates a session', async () => {
    const response = await post('/api/login', { username: 'alice', password: 'wonderland' })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ userId: 'alice' })
    expect(response.headers.get('x-latch-front-token')).toBeTruthy()
    const names = response.headers.getSetCookie().map((cookie) => cookie.split('=')[0])
    expect(names).toEqual(expect.arrayContaining(['latch-access', 'latch-refresh', 'latch-front']))
  })

  it('refuses wrong credentials with the app’s own 401 (no x-latch-error)', async () => {
    const response = await post('/api/login', { username: 'alice', password: 'builder' })
    expect(response.status).toBe(401)
    expect(response.headers.get('x-latch-error')).toBeNull()
    expect((await response.json()).error).toBe('invalid_credentials')
  })

  it.each([
    ['a missing password', { username: 'alice' }, 400, 'bad_request'],
    ['wrong types', { username: ['alice'], password: 1 }, 400, 'bad_request'],
    ['an oversized field', { username: 'alice', password: 'x'.repeat(201) }, 400, 'bad_request'],
    ['a JSON array', '[]', 400, 'bad_request'],
    ['malformed JSON', '{"username":', 400, 'invalid_json'],
    [
      'a huge body',
      JSON.stringify({ username: 'a'.repeat(20_000), password: 'b' }),
      413,
      'payload_too_large',
    ],
  ])('answers %s with a 4xx code, never a 500', async (_case, body, status, code) => {
    const response = await post('/api/login', body)
    expect(response.status).toBe(status)
    expect((await response.json()).error).toBe(code)
  })

  it('answers a sign-in with an unparsable Host 401 unauthorized, and makes no session', async () => {
    const { port } = server.address() as AddressInfo
    const body = JSON.stringify({ username: 'bob', password: 'builder' })
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/api/login',
          method: 'POST',
          headers: {
            host: 'a b',
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk) => (text += chunk))
          res.on('end', () => resolve({ status: res.statusCode!, body: text }))
        },
      )
      request.on('error', reject)
      request.end(body)
    })
    expect([answer.status, JSON.parse(answer.body).error]).toEqual([401, 'unauthorized'])
    expect(await sessions.listUserSessions('bob')).toEqual([])
  })

  it('refuses a form post (not JSON) as bad input', async () => {
    const response = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=alice&password=wonderland',
    })
    expect(response.status).toBe(400)
  })

  it('protects /api/me and answers it with the session', async () => {
    const anonymous = await fetch(`${base}/api/me`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('x-latch-error')).toBe('try_refresh')

    const garbage = await fetch(`${base}/api/me`, { headers: { cookie: 'latch-access=%%%garbage' } })
    expect(garbage.status).toBe(401)

    const cookie = await signIn('bob', 'builder')
    const response = await fetch(`${base}/api/me`, { headers: { cookie } })
    expect(response.status).toBe(200)
    const me = await response.json()
    expect(me).toEqual({ userId: 'bob', sessionId: expect.any(String), claims: { name: 'Bob' } })
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  it('stores notes per user, validating them', async () => {
    const alice = await signIn('alice', 'wonderland')
    const bob = await signIn('bob', 'builder')

    const noCsrf = await post('/api/notes', { text: 'hi' }, { cookie: alice })
    expect(noCsrf.status).toBe(403)
    expect(noCsrf.headers.get('x-latch-error')).toBe('csrf_failed')

    for (const body of [{}, { text: '' }, { text: 42 }, { text: 'x'.repeat(501) }]) {
      const bad = await post('/api/notes', body, authed(alice))
      expect(bad.status).toBe(400)
      expect((await bad.json()).error).toBe('invalid_note')
    }

    const created = await post('/api/notes', { text: '  tea at four  ' }, authed(alice))
    expect(created.status).toBe(201)
    const note = await created.json()
    expect(note).toMatchObject({ id: expect.any(String), text: 'tea at four' })

    const aliceNotes = await (await fetch(`${base}/api/notes`, { headers: { cookie: alice } })).json()
    expect(aliceNotes.map((n: { id: string }) => n.id)).toContain(note.id)
    const bobNotes = await (await fetch(`${base}/api/notes`, { headers: { cookie: bob } })).json()
    expect(bobNotes.map((n: { id: string }) => n.id)).not.toContain(note.id)
  })

  it('binds a sign-in that proves a key, and the device list says so (bound refresh, policy optional)', async () => {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey)
    const jwk = { kty, crv, x, y } as PublicJwk
    const proof = (method: string, url: string) => signProof(pair.privateKey, jwk, method, url, Date.now())
    const response = await post(
      '/api/login',
      { username: 'alice', password: 'wonderland' },
      { dpop: await proof('POST', `${base}/api/login`) },
    )
    expect(response.status).toBe(200)
    const cookie = response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const list = await (await fetch(`${base}/api/sessions`, { headers: { cookie } })).json()
    expect(list.find((device: { current: boolean }) => device.current).bound).toBe(true)
    // The copied cookies alone cannot refresh; with a proof by the key they can.
    const refresh = async (extra: Record<string, string> = {}) =>
      fetch(`${base}/auth/session/refresh`, { method: 'POST', headers: authed(cookie, extra) })
    const copy = await refresh()
    expect([copy.status, copy.headers.get('x-latch-error')]).toEqual([401, 'unauthorized'])
    const owner = await refresh({ dpop: await proof('POST', `${base}/auth/session/refresh`) })
    expect(owner.status).toBe(200)
  })

  it('lists, revokes and keeps devices to their owner', async () => {
    const laptop = await signIn('alice', 'wonderland', 'laptop')
    const phone = await signIn('alice', 'wonderland', 'phone')
    const bob = await signIn('bob', 'builder')
    const list = await (await fetch(`${base}/api/sessions`, { headers: { cookie: laptop } })).json()
    const current = list.find((device: { current: boolean }) => device.current)
    const phoneDevice = list.find((device: { userAgent: string }) => device.userAgent === 'phone')
    expect(current.userAgent).toBe('laptop')
    expect(Object.keys(current).sort()).toEqual([
      'bound',
      'createdAt',
      'current',
      'id',
      'lastRefreshedAt',
      'userAgent',
    ])
    expect(current.bound).toBe(false)

    const foreign = await fetch(`${base}/api/sessions/${phoneDevice.id}`, {
      method: 'DELETE',
      headers: authed(bob),
    })
    expect(foreign.status).toBe(404)
    const junk = await fetch(`${base}/api/sessions/${'%E2%80%AE'.repeat(3)}`, {
      method: 'DELETE',
      headers: authed(bob),
    })
    expect(junk.status).toBe(404)
    expect((await fetch(`${base}/api/me`, { headers: { cookie: phone } })).status).toBe(200)

    const revoked = await fetch(`${base}/api/sessions/${phoneDevice.id}`, {
      method: 'DELETE',
      headers: authed(laptop),
    })
    expect(revoked.status).toBe(204)
    const after = await fetch(`${base}/api/me`, { headers: { cookie: phone } })
    expect(after.status).toBe(401)
    expect(after.headers.get('x-latch-error')).toBe('unauthorized')
  })

  it('signs out every other device of the user', async () => {
    const one = await signIn('bob', 'builder', 'one')
    const two = await signIn('bob', 'builder', 'two')
    const response = await post('/api/sessions/revoke-others', {}, authed(one))
    expect(response.status).toBe(200)
    expect((await response.json()).revoked).toBeGreaterThanOrEqual(1)
    expect((await fetch(`${base}/api/me`, { headers: { cookie: two } })).status).toBe(401)
    expect((await fetch(`${base}/api/me`, { headers: { cookie: one } })).status).toBe(200)
  })

  it('answers unknown API paths with a JSON 404', async () => {
    const response = await fetch(`${base}/api/nope`)
    expect(response.status).toBe(404)
    expect((await response.json()).error).toBe('not_found')
  })

  it('counts requests by route and status in test mode, without tokens', async () => {
    const stats = await (await fetch(`${base}/api/test/stats`)).json()
    expect(stats.requests['POST /api/login']['200']).toBeGreaterThan(0)
    expect(stats.theftDetected).toBe(0)
    expect(JSON.stringify(stats)).not.toMatch(/latch-|eyJ/)
  })
})

describe('without test mode', () => {
  it('has no stats endpoint', async () => {
    const app = createDemoApp({ sessions, notes: memoryNotes(), storeName: 'memory', log: null })
    const plain = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => plain.once('listening', resolve))
    const response = await fetch(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/api/test/stats`)
    expect(response.status).toBe(404)
    plain.closeAllConnections()
    plain.close()
  })
})
