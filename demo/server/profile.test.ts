/**
 * The claims and keys routes of the demo (DESIGN "Demo contract"): `GET /api/me` with claims,
 * `PUT /api/me/profile`, and `POST /api/admin/keys/revoke-current` (only with the admin switch),
 * against a real session manager on the memory store, over real HTTP.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSessionManager, memoryStore, type SessionManager } from '@latch/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDemoApp } from './app'
import { memoryNotes } from './notes'

interface Running {
  base: string
  sessions: SessionManager
  close(): Promise<void>
}

async function start(admin: boolean): Promise<Running> {
  const sessions = createSessionManager({ store: memoryStore(), publicClaims: ['name'] })
  await sessions.ready
  const app = createDemoApp({ sessions, notes: memoryNotes(), storeName: 'memory', admin, log: null })
  const server: Server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sessions,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await sessions.close()
    },
  }
}

/** A browser's cookies for one sign-in, updated by refreshes. */
class Jar {
  cookies = new Map<string, string>()
  absorb(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair!.indexOf('=')
      if (/Max-Age=0/i.test(line)) this.cookies.delete(pair!.slice(0, eq))
      else this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1))
    }
  }
  get header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
}

async function signIn(app: Running, username: string, password: string): Promise<Jar> {
  const response = await fetch(`${app.base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
  expect(response.status).toBe(200)
  const jar = new Jar()
  jar.absorb(response)
  return jar
}

const send = (app: Running, jar: Jar, method: string, path: string, body?: unknown, csrf = true) =>
  fetch(`${app.base}${path}`, {
    method,
    headers: {
      cookie: jar.header,
      ...(csrf ? { 'x-latch-csrf': '1' } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })

async function refresh(app: Running, jar: Jar) {
  const response = await send(app, jar, 'POST', '/auth/session/refresh')
  expect(response.status).toBe(200)
  jar.absorb(response)
  return response
}

const frontName = (jar: Jar) =>
  JSON.parse(Buffer.from(decodeURIComponent(jar.cookies.get('latch-front')!), 'base64url').toString()).cl
    ?.name

describe('demo profile: the display name is a public claim, changed on every session of the user', () => {
  let app: Running
  beforeAll(async () => {
    app = await start(false)
  })
  afterAll(() => app.close())

  it('GET /api/me answers the claims; PUT /api/me/profile renames every session after one refresh each', async () => {
    const laptop = await signIn(app, 'alice', 'wonderland')
    const phone = await signIn(app, 'alice', 'wonderland')
    const bob = await signIn(app, 'bob', 'builder')
    expect(await (await send(app, laptop, 'GET', '/api/me')).json()).toMatchObject({
      userId: 'alice',
      claims: { name: 'Alice' },
    })
    expect(frontName(laptop)).toBe('Alice')

    const put = await send(app, laptop, 'PUT', '/api/me/profile', { displayName: '  Alice Liddell  ' })
    expect(put.status).toBe(200)
    expect(await put.json()).toEqual({ displayName: 'Alice Liddell', sessions: 2 })

    for (const jar of [laptop, phone]) {
      const stale = await send(app, jar, 'GET', '/api/me')
      expect([stale.status, stale.headers.get('x-latch-error')]).toEqual([401, 'try_refresh'])
      await refresh(app, jar)
      expect(frontName(jar)).toBe('Alice Liddell')
      expect((await (await send(app, jar, 'GET', '/api/me')).json()).claims).toEqual({
        name: 'Alice Liddell',
      })
    }
    // Bob is not touched, and a new sign-in gets the new name.
    expect((await (await send(app, bob, 'GET', '/api/me')).json()).claims).toEqual({ name: 'Bob' })
    const later = await signIn(app, 'alice', 'wonderland')
    expect(frontName(later)).toBe('Alice Liddell')
  })

  it.each([
    ['missing', {}],
    ['not a string', { displayName: 42 }],
    ['empty after trimming', { displayName: '   ' }],
    ['61 characters', { displayName: 'x'.repeat(61) }],
    ['a control character', { displayName: 'Al\u0007ice' }],
    ['a huge string', { displayName: 'x'.repeat(5000) }],
  ])(
    'refuses a display name that is %s with 400 invalid_display_name, changing nothing',
    async (_what, body) => {
      const jar = await signIn(app, 'bob', 'builder')
      const response = await send(app, jar, 'PUT', '/api/me/profile', body)
      expect(response.status).toBe(400)
      expect(response.headers.get('x-latch-error')).toBeNull()
      expect((await response.json()).error).toBe('invalid_display_name')
      expect((await send(app, jar, 'GET', '/api/me')).status).toBe(200)
    },
  )

  it('accepts 60 characters (counted as characters, not UTF-16 units)', async () => {
    const jar = await signIn(app, 'bob', 'builder')
    const name = '☃'.repeat(59) + '😀'
    const response = await send(app, jar, 'PUT', '/api/me/profile', { displayName: name })
    expect(response.status).toBe(200)
    await refresh(app, jar)
    expect(frontName(jar)).toBe(name)
  })

  it('is protected: no session is try_refresh, no CSRF header is csrf_failed, bad JSON is 400', async () => {
    const anonymous = await fetch(`${app.base}/api/me/profile`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-latch-csrf': '1' },
      body: JSON.stringify({ displayName: 'Mallory' }),
    })
    expect(anonymous.headers.get('x-latch-error')).toBe('try_refresh')
    const jar = await signIn(app, 'bob', 'builder')
    const noCsrf = await send(app, jar, 'PUT', '/api/me/profile', { displayName: 'Mallory' }, false)
    expect([noCsrf.status, noCsrf.headers.get('x-latch-error')]).toEqual([403, 'csrf_failed'])
    const garbage = await send(app, jar, 'PUT', '/api/me/profile', '{"displayName":')
    expect([garbage.status, (await garbage.json()).error]).toEqual([400, 'invalid_json'])
  })

  it('has no admin route without LATCH_DEMO_ADMIN=1: 404', async () => {
    const jar = await signIn(app, 'alice', 'wonderland')
    const response = await send(app, jar, 'POST', '/api/admin/keys/revoke-current')
    expect(response.status).toBe(404)
    expect((await response.json()).error).toBe('not_found')
    expect((await app.sessions.jwks()).keys).toHaveLength(1)
  })
})

describe('demo admin: revoke the current signing key (LATCH_DEMO_ADMIN=1)', () => {
  let app: Running
  beforeAll(async () => {
    app = await start(true)
  })
  afterAll(() => app.close())

  it('answers {revokedKid, currentKid}; tokens of the old key are try_refresh, one refresh mends them', async () => {
    expect((await (await fetch(`${app.base}/api/health`)).json()).admin).toBe(true)
    const jar = await signIn(app, 'alice', 'wonderland')
    const other = await signIn(app, 'bob', 'builder')
    const [old] = (await app.sessions.jwks()).keys
    const response = await send(app, jar, 'POST', '/api/admin/keys/revoke-current')
    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body).toEqual({ revokedKid: old!.kid, currentKid: expect.any(String) })
    expect(body.currentKid).not.toBe(old!.kid)
    const jwks = await (await fetch(`${app.base}/auth/session/jwks.json`)).json()
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([body.currentKid])
    for (const session of [jar, other]) {
      const stale = await send(app, session, 'GET', '/api/me')
      expect(stale.headers.get('x-latch-error')).toBe('try_refresh')
      await refresh(app, session)
      expect((await send(app, session, 'GET', '/api/me')).status).toBe(200)
    }
  })

  it('needs a session and the CSRF header', async () => {
    const anonymous = await fetch(`${app.base}/api/admin/keys/revoke-current`, {
      method: 'POST',
      headers: { 'x-latch-csrf': '1' },
    })
    expect(anonymous.status).toBe(401)
    const jar = await signIn(app, 'bob', 'builder')
    const noCsrf = await send(app, jar, 'POST', '/api/admin/keys/revoke-current', undefined, false)
    expect(noCsrf.status).toBe(403)
  })
})
