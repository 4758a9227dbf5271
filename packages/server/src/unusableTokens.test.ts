/**
 * Issue 11, items 1 and 2: every unusable token gets a code the client can act on (no
 * `bad_request`), through `handle(Request)` / `verify` and through express, and duplicated
 * cookies are healed instead of refused: the first access copy that verifies wins, and a live
 * refresh copy beats a stale leftover, which never trips theft detection.
 */
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { Browser, fakeClock } from '../test/harness.js'
import { createSession, latchMiddleware, requireSession } from './adapters/express.js'
import { createSessionManager, type SessionManager } from './createSessionManager.js'
import { isLatchError } from './errors.js'
import { memoryStore } from './stores/memory.js'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

let sessions: SessionManager
let base: string
let close: () => Promise<void>
const clock = fakeClock()
const onTheftDetected = vi.fn()

beforeAll(async () => {
  sessions = createSessionManager({
    store: memoryStore(),
    now: clock.now,
    reuseGrace: '10s',
    onTheftDetected,
  })
  const app = express()
  app.use(latchMiddleware(sessions))
  app.post('/login', async (req, res) => {
    await createSession(sessions, req, res, { userId: 'alice' })
    res.json({ ok: true })
  })
  app.get('/api/me', requireSession(sessions), (req, res) => res.json({ userId: req.session!.userId }))
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  close = async () => {
    await new Promise((resolve) => server.close(resolve))
    await sessions.close()
  }
})
afterAll(() => close())

/** An express request with raw headers (repeated names stay separate headers on the wire). */
function rawCall(method: string, path: string, headers: [string, string][]) {
  return new Promise<{ status: number; code: string | null; setCookie: string[] }>((resolve, reject) => {
    const host: [string, string] = ['host', new URL(base).host]
    const req = httpRequest(`${base}${path}`, { method, headers: [host, ...headers].flat() }, (res) => {
      res.resume()
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          code: (res.headers['x-latch-error'] as string | undefined) ?? null,
          setCookie: res.headers['set-cookie'] ?? [],
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

/** The code `verify` rejects with (through `handle`'s sibling, the Web `Request` path), or `ok`. */
async function verifyOutcome(headers: [string, string][]): Promise<string> {
  try {
    const session = await sessions.verify(new Request('http://localhost/api/me', { headers }))
    return `ok:${session.userId}`
  } catch (error) {
    if (!isLatchError(error)) throw error
    return error.code
  }
}

/** Both paths agree: express `requireSession` and `verify` on a Web `Request`. */
async function protectedOutcome(headers: [string, string][]) {
  const web = await verifyOutcome(headers)
  const viaExpress = await rawCall('GET', '/api/me', headers)
  const expressOutcome = viaExpress.status === 200 ? 'ok:alice' : viaExpress.code
  expect(viaExpress.status === 200 || viaExpress.status === 401).toBe(true)
  return { web, express: expressOutcome }
}

/** A refresh through `handle(Request)` and through express. */
async function refreshBoth(headers: [string, string][]) {
  const withCsrf: [string, string][] = [...headers, ['x-latch-csrf', '1']]
  const response = (await sessions.handle(
    new Request('http://localhost/auth/session/refresh', { method: 'POST', headers: withCsrf }),
  ))!
  const viaExpress = await rawCall('POST', '/auth/session/refresh', withCsrf)
  return { web: [response.status, response.headers.get('x-latch-error')], express: viaExpress }
}

describe('unusable access tokens → 401 try_refresh (handle/verify and express)', () => {
  let token: string
  beforeAll(async () => {
    token = (await new Browser(sessions).signIn('alice')).accessToken
  })

  test('control: the genuine token passes on both paths', async () => {
    expect(await protectedOutcome([['cookie', `latch-access=${token}`]])).toEqual({
      web: 'ok:alice',
      express: 'ok:alice',
    })
  })

  test.each([
    ['missing', []],
    ['an 8 KB token', [['cookie', `latch-access=${'a'.repeat(8192)}`]]],
    ['an 8 KB Bearer token', [['authorization', `Bearer ${'a'.repeat(8192)}`]]],
    [
      'a 10 KB kid',
      [
        [
          'cookie',
          `latch-access=${b64({ alg: 'EdDSA', kid: 'k'.repeat(10_240), typ: 'latch+jwt' })}.e30.AAAA`,
        ],
      ],
    ],
    [
      'an unknown kid',
      [['cookie', `latch-access=${b64({ alg: 'EdDSA', kid: 'nope', typ: 'latch+jwt' })}.e30.AAAA`]],
    ],
    [
      'a JSON-serialised JWS as Bearer',
      [['authorization', 'Bearer {"protected":"e30","payload":"e30","signature":"AA"}']],
    ],
    [
      'a JSON-serialised JWS with spaces',
      [['authorization', 'Bearer { "protected": "e30", "payload": "e30" }']],
    ],
    ['an empty Bearer', [['authorization', 'Bearer']]],
    [
      'a duplicated cookie, both unusable (one header)',
      [['cookie', 'latch-access=x.y.z; latch-access=a.b.c']],
    ],
    [
      'a duplicated cookie, both unusable (two headers)',
      [
        ['cookie', 'latch-access=x.y.z'],
        ['cookie', 'latch-access=a.b.c'],
      ],
    ],
    [
      'an oversized Cookie header (15 KB, under Node’s own 16 KB header limit)',
      [['cookie', `junk=${'a'.repeat(15_000)}; latch-access=${'a'.repeat(100)}`]],
    ],
  ] as [string, [string, string][]][])('%s', async (_name, headers) => {
    expect(await protectedOutcome(headers)).toEqual({ web: 'try_refresh', express: 'try_refresh' })
  })

  test('an expired token', async () => {
    const browser = new Browser(sessions)
    const { accessToken } = await browser.signIn('alice')
    clock.advance(11 * 60_000)
    expect(await protectedOutcome([['cookie', `latch-access=${accessToken}`]])).toEqual({
      web: 'try_refresh',
      express: 'try_refresh',
    })
    clock.advance(-11 * 60_000)
  })
})

describe('duplicate access cookies: the first copy that verifies wins', () => {
  let token: string
  let revoked: string
  beforeAll(async () => {
    token = (await new Browser(sessions).signIn('alice')).accessToken
    const gone = await new Browser(sessions).signIn('alice')
    revoked = gone.accessToken
    await sessions.revokeSession(gone.session.sessionId)
  })

  test.each([
    ['stray copy first, one header', () => [['cookie', `latch-access=stale.copy.x; latch-access=${token}`]]],
    ['stray copy last, one header', () => [['cookie', `latch-access=${token}; latch-access=stale.copy.x`]]],
    [
      'two Cookie headers',
      () => [
        ['cookie', 'latch-access=stale.copy.x'],
        ['cookie', `latch-access=${token}`],
      ],
    ],
    [
      'an oversized stray copy',
      () => [['cookie', `latch-access=${'a'.repeat(5000)}; latch-access=${token}`]],
    ],
    ['a revoked session’s copy first', () => [['cookie', `latch-access=${revoked}; latch-access=${token}`]]],
  ] as [string, () => [string, string][]][])('%s (built once the tokens exist)', async (_name, headers) => {
    // Twice: the second round goes through the verify cache (the synchronous hit path).
    for (let round = 0; round < 2; round++) {
      expect(await protectedOutcome(headers())).toEqual({ web: 'ok:alice', express: 'ok:alice' })
    }
  })

  test('only the first three copies are considered', async () => {
    const strays = Array.from({ length: 3 }, (_, i) => `latch-access=stray.${i}.x`).join('; ')
    expect(await protectedOutcome([['cookie', `${strays}; latch-access=${token}`]])).toEqual({
      web: 'try_refresh',
      express: 'try_refresh',
    })
  })

  test('a revoked copy alone is still `unauthorized`; with an unusable copy, `try_refresh` (refresh may heal it)', async () => {
    expect(await protectedOutcome([['cookie', `latch-access=${revoked}`]])).toEqual({
      web: 'unauthorized',
      express: 'unauthorized',
    })
    expect(await protectedOutcome([['cookie', `latch-access=${revoked}; latch-access=x.y.z`]])).toEqual({
      web: 'try_refresh',
      express: 'try_refresh',
    })
  })
})

describe('unusable refresh tokens → 401 unauthorized, never theft', () => {
  test.each([
    ['a 10 KB refresh cookie', [['cookie', `latch-refresh=${'a'.repeat(10_240)}`]]],
    ['a duplicated garbage cookie (one header)', [['cookie', 'latch-refresh=a; latch-refresh=b']]],
    [
      'a duplicated garbage cookie (two headers)',
      [
        ['cookie', 'latch-refresh=a'],
        ['cookie', 'latch-refresh=b'],
      ],
    ],
    ['an oversized Cookie header (15 KB)', [['cookie', `junk=${'a'.repeat(15_000)}`]]],
    ['no cookie', []],
    [
      'a JSON-serialised JWS in header transport',
      [
        ['x-latch-transport', 'header'],
        ['authorization', 'Bearer {"a": 1}'],
      ],
    ],
    ['an unknown transport', [['x-latch-transport', 'carrier-pigeon']]],
  ] as [string, [string, string][]][])('%s', async (_name, headers) => {
    onTheftDetected.mockClear()
    const { web, express: viaExpress } = await refreshBoth(headers)
    expect(web).toEqual([401, 'unauthorized'])
    expect([viaExpress.status, viaExpress.code]).toEqual([401, 'unauthorized'])
    expect(onTheftDetected).not.toHaveBeenCalled()
  })

  test('a Cookie header over the 16 KB bound is not read (the Web path; Node itself refuses it before express with 431)', async () => {
    const header = `latch-refresh=x; junk=${'a'.repeat(20_000)}`
    const refreshed = (await sessions.handle(
      new Request('http://localhost/auth/session/refresh', {
        method: 'POST',
        headers: { cookie: header, 'x-latch-csrf': '1' },
      }),
    ))!
    expect([refreshed.status, refreshed.headers.get('x-latch-error')]).toEqual([401, 'unauthorized'])
    expect(await verifyOutcome([['cookie', header.replace('refresh', 'access')]])).toBe('try_refresh')
  })

  test('sign-out with an unusable token is still a 200 (idempotent)', async () => {
    const response = (await sessions.handle(
      new Request('http://localhost/auth/session/signout', {
        method: 'POST',
        headers: { cookie: `latch-refresh=${'a'.repeat(10_240)}`, 'x-latch-csrf': '1' },
      }),
    ))!
    expect(response.status).toBe(200)
  })
})

describe('duplicate refresh cookies: a live copy wins, a stale leftover never trips theft', () => {
  /** A signed-in browser whose refresh token has rotated past the grace: returns [stale, live]. */
  async function staleAndLive() {
    const browser = new Browser(sessions)
    const created = await browser.signIn('alice')
    const stale = created.refreshToken
    expect((await browser.refresh()).status).toBe(200)
    clock.advance(11_000) // past the reuse grace: `stale` alone would now be theft
    return { browser, stale, live: browser.jar.get('latch-refresh')!, sessionId: created.session.sessionId }
  }

  test.each(['stale first', 'live first', 'two headers'])(
    'stale leftover refresh copy + live copy → refresh succeeds, no theft (%s)',
    async (order) => {
      onTheftDetected.mockClear()
      const { stale, live, sessionId, browser } = await staleAndLive()
      const headers: [string, string][] =
        order === 'stale first'
          ? [['cookie', `latch-refresh=${stale}; latch-refresh=${live}`]]
          : order === 'live first'
            ? [['cookie', `latch-refresh=${live}; latch-refresh=${stale}`]]
            : [
                ['cookie', `latch-refresh=${stale}`],
                ['cookie', `latch-refresh=${live}`],
              ]
      const response = (await sessions.handle(
        new Request('http://localhost/auth/session/refresh', {
          method: 'POST',
          headers: [...headers, ['x-latch-csrf', '1']],
        }),
      ))!
      expect(response.status).toBe(200)
      expect(onTheftDetected).not.toHaveBeenCalled()
      // The session is alive: its new access token verifies.
      browser.jar.absorb(response.headers)
      expect((await browser.verify()).sessionId).toBe(sessionId)
      // The same through express, with the copies the browser now holds plus the leftover.
      const viaExpress = await rawCall('POST', '/auth/session/refresh', [
        ['cookie', `latch-refresh=${stale}; latch-refresh=${browser.jar.get('latch-refresh')}`],
        ['x-latch-csrf', '1'],
      ])
      expect(viaExpress.status).toBe(200)
      expect(onTheftDetected).not.toHaveBeenCalled()
    },
  )

  test('an in-grace copy is used too (the same successor), beside a garbage copy', async () => {
    const browser = new Browser(sessions)
    const created = await browser.signIn('alice')
    const first = await browser.refresh()
    const successor = browser.jar.get('latch-refresh')
    const again = (await sessions.handle(
      new Request('http://localhost/auth/session/refresh', {
        method: 'POST',
        headers: {
          cookie: `latch-refresh=garbage; latch-refresh=${created.refreshToken}`,
          'x-latch-csrf': '1',
        },
      }),
    ))!
    expect([first.status, again.status]).toEqual([200, 200])
    expect(again.headers.getSetCookie().join('\n')).toContain(`latch-refresh=${successor};`)
  })

  test('rule 3 still holds: the stale copy alone (or with garbage) is theft', async () => {
    onTheftDetected.mockClear()
    const { stale, browser } = await staleAndLive()
    const response = (await sessions.handle(
      new Request('http://localhost/auth/session/refresh', {
        method: 'POST',
        headers: { cookie: `latch-refresh=junk; latch-refresh=${stale}`, 'x-latch-csrf': '1' },
      }),
    ))!
    expect([response.status, response.headers.get('x-latch-error')]).toEqual([401, 'token_theft_detected'])
    expect(onTheftDetected).toHaveBeenCalledTimes(1)
    await expect(browser.verify()).rejects.toMatchObject({ code: 'token_theft_detected' })
  })

  test('sign-out with a stale leftover and the live copy ends the session as a sign-out, not a theft', async () => {
    onTheftDetected.mockClear()
    const { stale, live, browser } = await staleAndLive()
    const response = (await sessions.handle(
      new Request('http://localhost/auth/session/signout', {
        method: 'POST',
        headers: { cookie: `latch-refresh=${stale}; latch-refresh=${live}`, 'x-latch-csrf': '1' },
      }),
    ))!
    expect(response.status).toBe(200)
    expect(onTheftDetected).not.toHaveBeenCalled()
    await expect(browser.verify()).rejects.toMatchObject({ code: 'unauthorized' })
  })

  test('a leftover of another, older session does not end the live one', async () => {
    onTheftDetected.mockClear()
    const old = await staleAndLive()
    const current = new Browser(sessions)
    const created = await current.signIn('alice')
    const response = (await sessions.handle(
      new Request('http://localhost/auth/session/refresh', {
        method: 'POST',
        headers: {
          cookie: `latch-refresh=${old.stale}; latch-refresh=${created.refreshToken}`,
          'x-latch-csrf': '1',
        },
      }),
    ))!
    expect(response.status).toBe(200)
    expect(onTheftDetected).not.toHaveBeenCalled()
    // Judging the copies had no side effect on the old session either.
    expect((await old.browser.verify()).sessionId).toBe(old.sessionId)
  })
})

describe('answers that set session cookies expire the copies the server can name', () => {
  test('on HTTPS: the unprefixed names', async () => {
    const created = await sessions.create(new Request('https://app.example/login', { method: 'POST' }), {
      userId: 'alice',
    })
    const cookies = created.headers.getSetCookie()
    expect(cookies.slice(0, 3).map((c) => c.split('=')[0])).toEqual([
      '__Host-latch-access',
      '__Secure-latch-refresh',
      '__Host-latch-front',
    ])
    expect(cookies.slice(3)).toEqual([
      'latch-access=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax',
      'latch-refresh=; Path=/auth/session; Max-Age=0; HttpOnly; Secure; SameSite=Lax',
      'latch-front=; Path=/; Max-Age=0; Secure; SameSite=Lax',
    ])
  })

  test('configured legacy locations, on refresh and sign-out answers too', async () => {
    const legacy = createSessionManager({
      store: memoryStore(),
      legacyCookies: [{ path: '/auth' }, { domain: 'example.com' }],
    })
    const browser = new Browser(legacy)
    const created = await browser.signIn('alice')
    const expected = [
      'latch-access=; Path=/auth; Max-Age=0; HttpOnly; SameSite=Lax',
      'latch-refresh=; Path=/auth; Max-Age=0; HttpOnly; SameSite=Lax',
      'latch-front=; Path=/auth; Max-Age=0; SameSite=Lax',
      'latch-access=; Path=/; Max-Age=0; Domain=example.com; HttpOnly; SameSite=Lax',
      'latch-refresh=; Path=/auth/session; Max-Age=0; Domain=example.com; HttpOnly; SameSite=Lax',
      'latch-front=; Path=/; Max-Age=0; Domain=example.com; SameSite=Lax',
    ]
    expect(created.headers.getSetCookie().slice(3)).toEqual(expected)
    const refreshed = await browser.refresh()
    expect(refreshed.headers.getSetCookie().slice(3)).toEqual(expected)
    const signedOut = await browser.signOut()
    expect(signedOut.headers.getSetCookie().slice(3)).toEqual(expected)
    // The live cookies survived their own answer (the jar applied them in order).
    expect(browser.jar.get('latch-refresh')).toBeUndefined()
    await legacy.close()
  })

  test('the `legacyCookies` option is validated', () => {
    for (const legacyCookies of [
      'x',
      [{}],
      [{ path: 'auth' }],
      [{ path: '/' }],
      [{ path: '/auth/session' }],
      [{ domain: 'exa mple.com' }],
      [{ domain: 'a;b' }],
      Array.from({ length: 9 }, () => ({ path: '/old' })),
    ]) {
      expect(() => createSessionManager({ store: memoryStore(), legacyCookies } as never)).toThrow(
        /legacyCookies/,
      )
    }
  })
})
