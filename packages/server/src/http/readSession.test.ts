import { afterEach, describe, expect, test, vi } from 'vitest'
import { Browser, fakeClock, managerOn } from '../../test/harness.js'
import { isLatchError } from '../errors.js'
import { memoryStore } from '../stores/memory.js'
import type { SessionStore } from '../stores/SessionStore.js'
import type { ReadSessionResult } from './readSession.js'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

function setup(options: Parameters<typeof managerOn>[2] = {}) {
  const store = memoryStore()
  const clock = fakeClock()
  const { sessions } = managerOn(store, clock, { clockTolerance: '0s', ...options })
  closers.push(async () => {
    await sessions.close()
    await store.close()
  })
  return { sessions, clock, store: store as SessionStore, browser: new Browser(sessions) }
}

/** What a protected route answers for the same headers: the code `verify` rejects with, or `ok`. */
async function verifyCode(
  sessions: ReturnType<typeof setup>['sessions'],
  headers: Record<string, string>,
): Promise<string> {
  try {
    await sessions.verify(new Request('http://localhost/page', { headers }))
    return 'ok'
  } catch (error) {
    if (isLatchError(error)) return error.code
    throw error
  }
}

/** The status readSession must give for a protected route's answer, when the client knows a session. */
const statusFor = (code: string): ReadSessionResult['status'] =>
  code === 'ok'
    ? 'authenticated'
    : ['unauthorized', 'session_expired', 'token_theft_detected'].includes(code)
      ? 'unauthenticated'
      : 'refresh'

describe('readSession', () => {
  test('authenticated: the verified session and the front token the browser will read', async () => {
    const { sessions, browser } = setup()
    const created = await browser.signIn('alice', { name: 'Alice' })
    const result = await sessions.readSession({ cookie: `theme=dark; ${browser.jar.header('/')}` })
    expect(result.status).toBe('authenticated')
    expect(result.session).toMatchObject({
      userId: 'alice',
      sessionId: created.session.sessionId,
      claims: { name: 'Alice' },
    })
    expect(result.frontToken).toBe(browser.jar.get('latch-front'))
  })

  test('authenticated from a Bearer access token (header transport)', async () => {
    const { sessions } = setup()
    const created = await sessions.create(new Request('http://localhost/login', { method: 'POST' }), {
      userId: 'bob',
      transport: 'header',
    })
    const result = await sessions.readSession({ authorization: `Bearer ${created.accessToken}` })
    expect(result).toMatchObject({ status: 'authenticated', session: { userId: 'bob' }, frontToken: null })
  })

  test('unauthenticated: no cookies, other cookies only, or no input at all', async () => {
    const { sessions } = setup()
    for (const input of [{}, { cookie: '' }, { cookie: 'theme=dark; lang=en' }, { cookie: null }]) {
      expect(await sessions.readSession(input)).toEqual({
        status: 'unauthenticated',
        session: null,
        frontToken: null,
      })
    }
    const untyped = sessions.readSession as (input: unknown) => Promise<ReadSessionResult>
    for (const input of [undefined, null]) {
      expect((await untyped(input)).status).toBe('unauthenticated')
    }
    // Input of the wrong shape is a programming error (misuse.test.ts has the messages): read as
    // "no cookies", it would sign every user out without a word.
    for (const input of [42, 'cookie', { cookie: 7 }, { authorization: ['x'] }, { https: 'yes' }]) {
      await expect(untyped(input)).rejects.toThrow(TypeError)
    }
  })

  test('refresh: the access token expired while the session lives on', async () => {
    const { sessions, browser, clock } = setup({ accessTokenTtl: '1m' })
    await browser.signIn('alice')
    const cookie = browser.jar.header('/')
    expect((await sessions.readSession({ cookie })).status).toBe('authenticated')
    clock.advance(61_000)
    expect(await sessions.readSession({ cookie })).toEqual({
      status: 'refresh',
      session: null,
      frontToken: null,
    })
    // After the client refreshed, the next page request is signed in again.
    expect((await browser.refresh()).status).toBe(200)
    expect((await sessions.readSession({ cookie: browser.jar.header('/') })).status).toBe('authenticated')
  })

  test('refresh: an expired Bearer token', async () => {
    const { sessions, clock } = setup({ accessTokenTtl: '1m' })
    const created = await sessions.create(new Request('http://localhost/login', { method: 'POST' }), {
      userId: 'bob',
      transport: 'header',
    })
    clock.advance(61_000)
    const result = await sessions.readSession({ authorization: `Bearer ${created.accessToken}` })
    expect(result.status).toBe('refresh')
  })

  test('refresh: a token signed by a key this instance does not know', async () => {
    const { sessions } = setup()
    const other = setup()
    await other.browser.signIn('alice')
    const cookie = other.browser.jar.header('/')
    expect(await verifyCode(sessions, { cookie })).toBe('try_refresh')
    expect((await sessions.readSession({ cookie })).status).toBe('refresh')
  })

  test('refresh: only the front token is left (the client knows of a session and will refresh)', async () => {
    const { sessions, browser } = setup()
    await browser.signIn('alice')
    const cookie = `latch-front=${browser.jar.get('latch-front')}`
    expect((await sessions.readSession({ cookie })).status).toBe('refresh')
  })

  test('unauthenticated when the browser client knows no session: an expired token without a front token', async () => {
    const { sessions, browser, clock } = setup({ accessTokenTtl: '1m' })
    await browser.signIn('alice')
    clock.advance(61_000)
    const cookie = `latch-access=${browser.jar.get('latch-access')}`
    expect((await sessions.readSession({ cookie })).status).toBe('unauthenticated')
  })

  test('unauthenticated: a revoked session, before its access token expires', async () => {
    const { sessions, browser } = setup()
    const created = await browser.signIn('alice')
    const cookie = browser.jar.header('/')
    await sessions.revokeSession(created.session.sessionId)
    expect((await sessions.readSession({ cookie })).status).toBe('unauthenticated')
  })

  test('unauthenticated: a session revoked for theft', async () => {
    const { sessions, browser, clock } = setup()
    await browser.signIn('alice')
    const thief = browser.fork()
    const victimTab = browser.fork()
    expect((await browser.refresh()).status).toBe(200)
    clock.advance(11_000)
    expect((await thief.refresh()).headers.get('x-latch-error')).toBe('token_theft_detected')
    expect(await verifyCode(sessions, { cookie: victimTab.jar.header('/') })).toBe('token_theft_detected')
    expect((await sessions.readSession({ cookie: victimTab.jar.header('/') })).status).toBe('unauthenticated')
  })

  test('garbage never throws, never authenticates, and says what a protected route would say', async () => {
    const { sessions, browser } = setup()
    await browser.signIn('alice')
    const access = browser.jar.get('latch-access')!
    const front = `latch-front=${browser.jar.get('latch-front')}`
    const [header, payload] = access.split('.')
    const garbage = [
      'latch-access=garbage',
      'latch-access=a.b.c',
      `latch-access=${'A'.repeat(10_000)}`,
      `latch-access=${header}.${payload}.${'A'.repeat(86)}`, // forged signature
      `latch-access=${Buffer.from('{"alg":"none","typ":"latch+jwt"}').toString('base64url')}.${payload}.`,
      `latch-access=${encodeURIComponent(JSON.stringify({ protected: header, payload, signature: 'x' }))}`,
      'latch-access=garbage; latch-access=x.y.z', // a duplicated cookie, no copy usable
      `latch-access="${access}`,
      'latch-access=\u00ff\u00fe\u0001',
      `x=${'y'.repeat(20_000)}; latch-access=${access}`, // an oversized header
    ]
    for (const cookie of garbage) {
      for (const withFront of [true, false]) {
        const header = withFront ? `${cookie}; ${front}` : cookie
        const result = await sessions.readSession({ cookie: header })
        const code = await verifyCode(sessions, { cookie: header })
        expect(result.status, cookie.slice(0, 80)).not.toBe('authenticated')
        expect(result.session).toBeNull()
        const expected = withFront ? statusFor(code) : 'unauthenticated'
        expect(result.status, `${cookie.slice(0, 80)} (${code})`).toBe(expected)
      }
    }
    // Issue 11: a duplicated cookie is read copy by copy; the first copy that verifies wins.
    expect(
      (await sessions.readSession({ cookie: `latch-access=garbage; latch-access=${access}` })).status,
    ).toBe('authenticated')
    for (const authorization of ['Bearer', 'Bearer a b', 'Bearer a,b', `Bearer ${'x'.repeat(9000)}`]) {
      const result = await sessions.readSession({ authorization })
      const code = await verifyCode(sessions, { authorization })
      expect(result.status, authorization.slice(0, 40)).toBe(statusFor(code))
      expect(result.status).not.toBe('authenticated')
    }
    // Not even a ByteString (a Request could not carry it; a framework's header object might).
    for (const cookie of ['latch-access=\ud800\u0000; latch-front=x', 'latch-access=\u{1f600}']) {
      expect((await sessions.readSession({ cookie })).status).not.toBe('authenticated')
    }
    // A front token alone is a hint, never proof: forged or garbage, it gives no session.
    expect((await sessions.readSession({ cookie: 'latch-front=%%%' })).status).toBe('refresh')
  })

  test('HTTPS cookie names: found by themselves, and unprefixed copies ignored when https is set', async () => {
    const { sessions } = setup()
    const browser = new Browser(sessions, undefined, 'https://app.example')
    await browser.signIn('alice')
    const cookie = browser.jar.header('/')
    expect(cookie).toContain('__Host-latch-access=')
    expect((await sessions.readSession({ cookie })).status).toBe('authenticated')
    expect((await sessions.readSession({ cookie, https: true })).status).toBe('authenticated')
    // Plain names on an HTTPS site could have been set by a sibling subdomain: not read.
    const unprefixed = cookie.replaceAll('__Host-', '')
    expect((await sessions.readSession({ cookie: unprefixed, https: true })).status).toBe('unauthenticated')
    // Without the option nothing tells them from a plain-HTTP development setup: hence the option.
    expect((await sessions.readSession({ cookie: unprefixed })).status).toBe('authenticated')
    expect((await sessions.readSession({ cookie, https: false })).status).toBe('unauthenticated')
  })

  test('reads no store and writes nothing, whatever the outcome', async () => {
    const { sessions, browser, store, clock } = setup({ accessTokenTtl: '1m' })
    await browser.signIn('alice')
    await sessions.ready
    const calls = Object.entries(store)
      .concat(Object.entries(Object.getPrototypeOf(store)))
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => vi.spyOn(store as unknown as Record<string, () => unknown>, name))
    expect(calls.length).toBeGreaterThan(5)
    const cookie = browser.jar.header('/')
    await sessions.readSession({ cookie })
    await sessions.readSession({ cookie: 'latch-access=garbage; latch-front=x' })
    await sessions.readSession({})
    clock.advance(61_000)
    await sessions.readSession({ cookie })
    for (const spy of calls) expect(spy, spy.getMockName()).not.toHaveBeenCalled()
  })

  test('rejects when the manager cannot start (store down): a failure, not an answer about the session', async () => {
    const store = memoryStore()
    vi.spyOn(store, 'getOrCreateSecret').mockRejectedValue(new Error('connection refused'))
    const { sessions } = managerOn(store)
    closers.push(() => sessions.close())
    await expect(sessions.readSession({ cookie: 'latch-access=a.b.c; latch-front=x' })).rejects.toMatchObject(
      {
        code: 'store_unavailable',
      },
    )
    // Without a token there is nothing to verify and nothing to wait for.
    expect((await sessions.readSession({})).status).toBe('unauthenticated')
  })
})
