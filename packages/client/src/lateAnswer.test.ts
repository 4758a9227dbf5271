/**
 * DESIGN.md, "A late answer never ends a newer session": a session-ending answer to a call sent
 * with session S1 is ignored when the front token already names S2, and `signIn` takes the
 * cross-tab lock so a refresh or sign-out of S1 in flight finishes before S2's sign-in starts.
 */
import { http } from 'msw'
import { describe, expect, it } from 'vitest'
import { API, frontTokenFor, latchError } from './test/fakeLatchServer'
import { signedInWorld, useMswServer } from './test/setup'
import type { SessionClient, SessionEvents } from './types'

const server = useMswServer()

/** A gate: `wait` resolves once `open` is called. */
function gate() {
  let open!: () => void
  const wait = new Promise<void>((resolve) => {
    open = resolve
  })
  return { wait, open }
}

/** `/api/slow` answers `code` once the gate opens (the call was sent with S1 before that). */
function slowEnding(code: string) {
  const { wait, open } = gate()
  server.use(
    http.get(`${API}/api/slow`, async () => {
      await wait
      return latchError(401, code)
    }),
  )
  return open
}

const lateAnswers = (client: SessionClient) => {
  const log: SessionEvents['lateAnswer'][] = []
  client.on('lateAnswer', (payload) => log.push(payload))
  return log
}

const signInFn = (client: SessionClient) => () => client.fetch(`${API}/login`, { method: 'POST' })

describe('a late answer never ends a newer session', () => {
  it.each(['unauthorized', 'session_expired', 'token_theft_detected'])(
    '%s for a call sent with S1 is ignored once another tab signed in as S2',
    async (code) => {
      const { tab, storage } = signedInWorld(server)
      const tabA = tab()
      const tabB = tab()
      const ignored = lateAnswers(tabB)
      const theft: unknown[] = []
      tabB.on('theftDetected', (payload) => theft.push(payload))
      const open = slowEnding(code)
      const call = tabB.fetch(`${API}/api/slow`)
      await tabA.signIn(signInFn(tabA))
      expect(tabA.getSnapshot().session?.sessionId).toBe('sid-2')
      open()
      const response = await call
      // The caller still gets the answer; the session is untouched in every tab.
      expect([response.status, response.headers.get('x-latch-error')]).toEqual([401, code])
      for (const client of [tabA, tabB]) {
        expect(client.getSnapshot()).toMatchObject({
          status: 'authenticated',
          session: { sessionId: 'sid-2' },
        })
      }
      expect(storage.getItem('latch.front')).not.toBeNull()
      expect(ignored).toEqual([{ reason: code, sessionId: 'sid-1' }])
      expect(theft).toEqual([])
    },
  )

  it('is ignored too when the new sign-in happened in this very tab while the call was in flight', async () => {
    const { tab } = signedInWorld(server)
    const latch = tab()
    const ignored = lateAnswers(latch)
    const open = slowEnding('unauthorized')
    const call = latch.fetch(`${API}/api/slow`)
    await latch.signIn(signInFn(latch))
    open()
    await call
    expect(latch.getSnapshot()).toMatchObject({ status: 'authenticated', session: { sessionId: 'sid-2' } })
    expect(ignored).toEqual([{ reason: 'unauthorized', sessionId: 'sid-1' }])
  })

  it('control: with no newer session, the same answer signs every tab out', async () => {
    const { tab } = signedInWorld(server)
    const tabA = tab()
    const tabB = tab()
    const ignored = lateAnswers(tabB)
    const open = slowEnding('unauthorized')
    const call = tabB.fetch(`${API}/api/slow`)
    open()
    await call
    expect(tabA.getSnapshot().status).toBe('unauthenticated')
    expect(tabB.getSnapshot().status).toBe('unauthenticated')
    expect(ignored).toEqual([])
  })

  it('a refresh of S1 answered session_expired after S2 appeared (header mode) keeps S2 and its tokens', async () => {
    const { fake, tab, storage } = signedInWorld(server, { header: true })
    const latch = tab()
    const ignored = lateAnswers(latch)
    const { wait, open } = gate()
    server.use(
      http.post(`${API}/auth/session/refresh`, async () => {
        await wait
        return latchError(401, 'session_expired', { 'x-latch-front-token': 'remove' })
      }),
    )
    fake.state.validAccess = null
    const call = latch.fetch(`${API}/api/me`)
    await expect.poll(() => fake.state.seen.length).toBe(1)
    // Another tab signed in by the app's own means (no lock): S2's tokens are in the shared storage.
    storage.setItem('latch.front', frontTokenFor(0, Date.now() + 60_000, 'sid-2'))
    storage.setItem('latch.access', 'a-s2')
    storage.setItem('latch.refresh', 'r-s2')
    open()
    const response = await call
    expect(response.status).toBe(401)
    expect(latch.getSnapshot()).toMatchObject({ status: 'authenticated', session: { sessionId: 'sid-2' } })
    expect([storage.getItem('latch.access'), storage.getItem('latch.refresh')]).toEqual(['a-s2', 'r-s2'])
    expect(ignored).toEqual([{ reason: 'session_expired', sessionId: 'sid-1' }])
  })
})

describe('signIn', () => {
  it('waits for a refresh in flight in another tab (same lock), then reads the new session', async () => {
    const { fake, tab } = signedInWorld(server)
    const tabA = tab()
    const tabB = tab()
    const { wait, open } = gate()
    const order: string[] = []
    server.use(
      http.post(`${API}/auth/session/refresh`, async () => {
        order.push('refresh started')
        await wait
        order.push('refresh answered')
        return latchError(401, 'unauthorized', { 'x-latch-front-token': 'remove' })
      }),
    )
    fake.state.validAccess = null
    const refreshing = tabA.fetch(`${API}/api/me`)
    await expect.poll(() => order).toEqual(['refresh started'])
    const signedIn = tabB.signIn(async () => {
      order.push('sign-in started')
      return signInFn(tabB)()
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(order).toEqual(['refresh started'])
    open()
    await refreshing
    const response = await signedIn
    expect(response.status).toBe(200)
    expect(order).toEqual(['refresh started', 'refresh answered', 'sign-in started'])
    // The old session's refresh answer landed before the new cookies: nothing cleared them.
    for (const client of [tabA, tabB]) {
      await expect
        .poll(() => client.getSnapshot())
        .toMatchObject({ status: 'authenticated', session: { sessionId: 'sid-2' } })
    }
  })

  it('resolves what the sign-in call resolves, and releases the lock when it rejects', async () => {
    const { tab } = signedInWorld(server)
    const latch = tab()
    await expect(latch.signIn(async () => 42)).resolves.toBe(42)
    await expect(latch.signIn(() => Promise.reject(new Error('wrong password')))).rejects.toThrow(
      'wrong password',
    )
    // The lock is free again: a refresh can take it.
    await expect(latch.refresh()).resolves.toMatchObject({ sessionId: 'sid-1' })
  })
})
