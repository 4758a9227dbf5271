import { afterEach, describe, expect, test, vi } from 'vitest'
import { Browser, fakeClock, managerOn, STORES, verifyToken } from '../test/harness.js'
import { isLatchError } from './errors.js'
import type { SessionStore } from './stores/SessionStore.js'

const code = (response: Response) => response.headers.get('x-latch-error')
const front = async (response: Response) =>
  ((await response.json()) as { session: { gen: number; sid: string } }).session
async function rejection(promise: Promise<unknown>) {
  try {
    await promise
  } catch (error) {
    if (isLatchError(error)) return error.code
    throw error
  }
  throw new Error('expected a rejection')
}

describe.each(STORES)('session flows on %s', (_name, makeStore) => {
  let cleanup: (() => Promise<void>) | null = null
  let closeManager: (() => Promise<void>) | null = null
  afterEach(async () => {
    await closeManager?.()
    await cleanup?.()
  })

  function setup(options: Parameters<typeof managerOn>[2] = {}) {
    const made = makeStore()
    cleanup = made.cleanup
    const clock = fakeClock()
    const onTheftDetected = vi.fn()
    const { sessions } = managerOn(made.store, clock, { onTheftDetected, ...options })
    closeManager = () => sessions.close()
    return {
      sessions,
      clock,
      store: made.store as SessionStore,
      onTheftDetected,
      browser: new Browser(sessions),
    }
  }

  test('create, verify, rotate: a new refresh token and generation each time', async () => {
    const { browser } = setup()
    await browser.signIn('alice', { role: 'admin' })
    const verified = await browser.verify()
    expect(verified).toMatchObject({ userId: 'alice', claims: { role: 'admin' } })
    const first = browser.jar.get('latch-refresh')
    const response = await browser.refresh()
    expect(response.status).toBe(200)
    expect(await front(response)).toMatchObject({ sid: verified.sessionId, gen: 1 })
    expect(browser.jar.get('latch-refresh')).not.toBe(first)
    expect((await front(await browser.refresh())).gen).toBe(2)
    expect((await browser.verify()).claims).toEqual({ role: 'admin' })
  })

  test('theft, victim first: the thief replays the rotated-out token after the grace', async () => {
    const { browser, clock, onTheftDetected } = setup()
    const { session } = await browser.signIn('alice')
    const thief = browser.fork()
    expect((await browser.refresh()).status).toBe(200)
    const victimTab = browser.fork() // keeps its access token after the answers below clear cookies
    clock.advance(11_000)
    const stolen = await thief.refresh()
    expect([stolen.status, code(stolen)]).toEqual([401, 'token_theft_detected'])
    expect(stolen.headers.get('x-latch-front-token')).toBe('remove')
    const victim = await browser.refresh()
    expect(code(victim)).toBe('token_theft_detected')
    expect(await rejection(victimTab.verify())).toBe('token_theft_detected')
    await vi.waitFor(() => expect(onTheftDetected).toHaveBeenCalledTimes(1))
    expect(onTheftDetected.mock.calls[0]![0]).toMatchObject({ sessionId: session.sessionId, userId: 'alice' })
  })

  test('theft, thief first: the victim reusing its old token revokes the session', async () => {
    const { browser, clock } = setup()
    await browser.signIn('alice')
    const thief = browser.fork()
    expect((await thief.refresh()).status).toBe(200)
    const thiefTab = thief.fork()
    clock.advance(60_000)
    expect(code(await browser.refresh())).toBe('token_theft_detected')
    expect(code(await thief.refresh())).toBe('token_theft_detected')
    expect(await rejection(thiefTab.verify())).toBe('token_theft_detected')
  })

  test('reuse of an older generation is theft even inside the grace', async () => {
    const { browser } = setup()
    await browser.signIn('alice')
    const generation0 = browser.fork()
    await browser.refresh()
    await browser.refresh()
    expect(code(await generation0.refresh())).toBe('token_theft_detected')
  })

  test('a made-up token naming a real session is unauthorized and revokes nothing', async () => {
    const { browser, store, onTheftDetected } = setup()
    const { session } = await browser.signIn('alice')
    const forger = browser.fork()
    const fake = `${session.sessionId}.${'A'.repeat(64)}`
    forger.jar.cookies.set('latch-refresh', { value: fake, path: '/auth/session' })
    expect(code(await forger.refresh())).toBe('unauthorized')
    expect(code(await forger.signOut())).toBe(null) // sign-out stays idempotent, but revokes nothing
    expect(await store.getSession(session.sessionId)).not.toBeNull()
    expect((await browser.refresh()).status).toBe(200)
    expect(onTheftDetected).not.toHaveBeenCalled()
  })

  test('grace: the predecessor gets the same successor, not a new branch', async () => {
    const { browser, clock } = setup()
    await browser.signIn('alice')
    const lostResponse = browser.fork()
    const first = await browser.refresh()
    clock.advance(5_000)
    const again = await lostResponse.refresh()
    expect(again.status).toBe(200)
    expect(lostResponse.jar.get('latch-refresh')).toBe(browser.jar.get('latch-refresh'))
    expect((await front(again)).gen).toBe((await front(first)).gen)
    // Both copies carry on as one session: the shared successor rotates once, no alarm.
    expect((await lostResponse.refresh()).status).toBe(200)
  })

  test('grace expiry: the predecessor after the grace is theft', async () => {
    const { browser, clock } = setup({ reuseGrace: '2s' })
    await browser.signIn('alice')
    const late = browser.fork()
    await browser.refresh()
    clock.advance(2_001)
    expect(code(await late.refresh())).toBe('token_theft_detected')
  })

  test('concurrent refreshes with one token: exactly one rotation, no theft', async () => {
    const { browser, store, onTheftDetected } = setup()
    const { session } = await browser.signIn('alice')
    const tabs = Array.from({ length: 6 }, () => browser.fork())
    const responses = await Promise.all(tabs.map((tab) => tab.refresh()))
    expect(responses.map((r) => r.status)).toEqual(Array(6).fill(200))
    expect(new Set(tabs.map((tab) => tab.jar.get('latch-refresh'))).size).toBe(1)
    expect((await store.getSession(session.sessionId))!.generation).toBe(1)
    expect(onTheftDetected).not.toHaveBeenCalled()
  })

  test('sign-out then replay: the old refresh and access tokens are refused', async () => {
    const { browser } = setup()
    await browser.signIn('alice')
    const copy = browser.fork()
    const apiTab = browser.fork()
    const out = await browser.signOut()
    expect(out.status).toBe(200)
    expect(await out.json()).toEqual({ ok: true })
    expect(out.headers.getSetCookie().every((c) => c.includes('Max-Age=0'))).toBe(true)
    expect(browser.jar.cookies.size).toBe(0)
    expect(code(await copy.refresh())).toBe('unauthorized')
    expect(await rejection(apiTab.verify())).toBe('unauthorized')
    expect((await browser.signOut()).status).toBe(200) // idempotent
  })

  test('revoke all of a user sessions, or all others', async () => {
    const { sessions } = setup()
    const phone = new Browser(sessions)
    const laptop = new Browser(sessions)
    const tablet = new Browser(sessions)
    const current = (await laptop.signIn('alice')).session.sessionId
    await phone.signIn('alice')
    await tablet.signIn('alice')
    const listed = await sessions.listUserSessions('alice', current)
    expect(listed).toHaveLength(3)
    expect(listed.filter((s) => s.current).map((s) => s.id)).toEqual([current])
    expect(await sessions.revokeUserSessions('alice', { except: current })).toBe(2)
    expect(await rejection(phone.verify())).toBe('unauthorized')
    expect((await laptop.verify()).sessionId).toBe(current)
    expect(await sessions.revokeUserSessions('alice')).toBe(1)
    expect(await rejection(laptop.verify())).toBe('unauthorized')
    expect(code(await laptop.refresh())).toBe('unauthorized')
    expect(await sessions.listUserSessions('alice')).toEqual([])
  })

  test('access token expiry asks for a refresh; the refreshed token works', async () => {
    const { browser, clock } = setup({ accessTokenTtl: '10m', clockTolerance: '5s' })
    await browser.signIn('alice')
    await browser.verify()
    clock.advance(10 * 60_000 + 6_000)
    expect(await rejection(browser.verify())).toBe('try_refresh')
    expect((await browser.refresh()).status).toBe(200)
    expect((await browser.verify()).userId).toBe('alice')
  })

  test('idle timeout slides on refresh and ends an idle session', async () => {
    const { browser, clock } = setup({ sessionTtl: '1h' })
    await browser.signIn('alice')
    clock.advance(50 * 60_000)
    expect((await browser.refresh()).status).toBe(200)
    clock.advance(50 * 60_000) // 100 minutes after sign-in, 50 after the refresh: still alive
    expect((await browser.refresh()).status).toBe(200)
    clock.advance(61 * 60_000)
    const expired = await browser.refresh()
    expect([expired.status, code(expired)]).toEqual([401, 'session_expired'])
  })

  test('absolute timeout caps an active session', async () => {
    const { browser, clock } = setup({ sessionTtl: '1h', absoluteSessionTtl: '2h' })
    await browser.signIn('alice')
    let last: Response | null = null
    for (let i = 0; i < 3; i++) {
      clock.advance(35 * 60_000)
      last = await browser.refresh()
      expect(last.status).toBe(200)
    }
    // 105 minutes in: the cookies live only until the absolute expiry (15 min), not a full idle hour.
    expect(last!.headers.getSetCookie().every((c) => c.includes('Max-Age=900'))).toBe(true)
    clock.advance(16 * 60_000)
    expect(code(await browser.refresh())).toBe('session_expired')
  })

  test('CSRF: cookie refresh, sign-out and unsafe API calls need x-latch-csrf', async () => {
    const { browser } = setup()
    await browser.signIn('alice')
    const refused = await browser.refresh({ csrf: false })
    expect([refused.status, code(refused)]).toEqual([403, 'csrf_failed'])
    expect(refused.headers.get('x-latch-front-token')).toBeNull() // the session is kept
    const unsafe = browser.sessions.verify(browser.request('/api/notes', { method: 'POST', csrf: false }))
    expect(await rejection(unsafe)).toBe('csrf_failed')
    expect(
      (await browser.sessions.verify(browser.request('/api/me', { method: 'GET', csrf: false }))).userId,
    ).toBe('alice')
    expect((await browser.refresh()).status).toBe(200)
  })

  test('header mode: tokens in headers, Bearer auth, no cookies, no CSRF', async () => {
    const { sessions } = setup()
    const login = new Request('http://localhost/login', {
      method: 'POST',
      headers: { 'x-latch-transport': 'header' },
    })
    const created = await sessions.create(login, { userId: 'bob' })
    expect(created.headers.getSetCookie()).toEqual([])
    const access = created.headers.get('x-latch-access-token')!
    const refresh = created.headers.get('x-latch-refresh-token')!
    expect(created.headers.get('x-latch-front-token')).toBeTruthy()
    const api = new Request('http://localhost/api/notes', {
      method: 'POST',
      headers: { authorization: `Bearer ${access}` },
    })
    expect((await sessions.verify(api)).userId).toBe('bob')
    const response = (await sessions.handle(
      new Request('http://localhost/auth/session/refresh', {
        method: 'POST',
        headers: { 'x-latch-transport': 'header', authorization: `Bearer ${refresh}` },
      }),
    ))!
    expect(response.status).toBe(200)
    expect(response.headers.getSetCookie()).toEqual([])
    const next = response.headers.get('x-latch-refresh-token')!
    expect(next).not.toBe(refresh)
    const bearer = (token: string) =>
      new Request('http://localhost/auth/session/signout', {
        method: 'POST',
        headers: { 'x-latch-transport': 'header', authorization: `Bearer ${token}` },
      })
    expect((await sessions.handle(bearer(next)))!.status).toBe(200)
    expect(await rejection(sessions.verify(api))).toBe('unauthorized')
  })

  test('key rotation across the retire window: old tokens verify until they expire, then the key leaves', async () => {
    const { sessions, browser, clock } = setup({ keySyncInterval: '1m', accessTokenTtl: '10m' })
    await browser.signIn('alice')
    const oldTab = browser.fork()
    const [oldKey] = (await sessions.jwks()).keys
    await sessions.rotateKeys()
    const keys = (await sessions.jwks()).keys
    expect(keys.map((k) => k.kid)).toEqual([oldKey!.kid, expect.any(String)])
    expect(keys.every((k) => !('d' in k))).toBe(true)
    clock.advance(2 * 60_000) // the activation delay: the new key signs from now on
    await browser.refresh()
    const header = JSON.parse(
      atob(browser.jar.get('latch-access')!.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/')),
    )
    expect(header.kid).toBe(keys[1]!.kid)
    expect((await oldTab.verify()).userId).toBe('alice') // signed by the old key, not expired yet
    clock.advance(10 * 60_000 + 6_000)
    await sessions.rotateKeys() // any sync drops keys whose tokens have all expired
    expect((await sessions.jwks()).keys.map((k) => k.kid)).not.toContain(oldKey!.kid)
    expect(await rejection(oldTab.verify())).toBe('try_refresh')
  })

  test('a key another instance added but this one has not read yet: try_refresh, then a rate-limited reload', async () => {
    const { store, clock, browser } = setup({ keySyncInterval: '1m' })
    // A second instance on the same store that re-reads keys only hourly (a misconfiguration, or
    // clocks apart): it must not sign users out when the first starts signing with a new key.
    const lagging = managerOn(store, clock, { keySyncInterval: '1h' })
    await lagging.sessions.ready
    await browser.sessions.rotateKeys()
    clock.advance(2 * 60_000) // the first instance's activation delay
    await browser.signIn('alice')
    const listKeys = vi.spyOn(store, 'listKeys')
    const fromOther = (await browser.verify()).sessionId
    const request = () => lagging.sessions.verify(browser.request('/api/me'))
    expect(await rejection(request())).toBe('try_refresh')
    await vi.waitFor(async () => expect((await request()).sessionId).toBe(fromOther))
    expect(listKeys).toHaveBeenCalledTimes(1)
    // Made-up kids cannot drive store reads: one reload per 5 s at most.
    const [, payload, signature] = browser.jar.get('latch-access')!.split('.')
    const header = btoa(JSON.stringify({ alg: 'EdDSA', kid: 'made-up', typ: 'latch+jwt' })).replace(/=+$/, '')
    const forged = `${header}.${payload}.${signature}`
    expect(await rejection(verifyToken(lagging.sessions, forged))).toBe('try_refresh')
    expect(await rejection(verifyToken(lagging.sessions, forged))).toBe('try_refresh')
    expect(listKeys).toHaveBeenCalledTimes(1)
    clock.advance(5_000)
    expect(await rejection(verifyToken(lagging.sessions, forged))).toBe('try_refresh')
    await vi.waitFor(() => expect(listKeys).toHaveBeenCalledTimes(2))
    await lagging.sessions.close()
  })

  test('store down during refresh: 503 with Retry-After, nobody signed out', async () => {
    const { browser, store } = setup()
    await browser.signIn('alice')
    const down: { mockRestore(): void }[] = [
      vi.spyOn(store, 'getSession').mockRejectedValue(new Error('connection refused')),
    ]
    // A store with the one-step rotation is read through it instead.
    if (store.rotateIfCurrent)
      down.push(vi.spyOn(store, 'rotateIfCurrent').mockRejectedValue(new Error('connection refused')))
    const response = await browser.refresh()
    expect([response.status, code(response), response.headers.get('retry-after')]).toEqual([
      503,
      'store_unavailable',
      '5',
    ])
    expect(response.headers.getSetCookie()).toEqual([])
    expect((await browser.verify()).userId).toBe('alice') // verification never touches the store
    for (const spy of down) spy.mockRestore()
    expect((await browser.refresh()).status).toBe(200)
  })
})
