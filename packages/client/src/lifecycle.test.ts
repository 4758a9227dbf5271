/**
 * DESIGN.md, "Browser client": the lock is an optimisation (a holder that never returns costs a
 * short wait, never a failed call), the commit guard, the page lifecycle (back/forward cache,
 * online) and the reason every sign-out carries.
 */
import { HttpResponse, http } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { LockTimeoutError } from './errors'
import { mayCommit, storedFrontTokenSource } from './frontToken'
import { localStorageLock } from './locks/localStorageLock'
import { processLock } from './locks/processLock'
import { type LockManagerLike, webLocks } from './locks/webLocks'
import { memoryStorage } from './storage'
import { API, cookieJarFetch, frontTokenFor, latchError } from './test/fakeLatchServer'
import { recordEvents, signedInWorld, useMswServer } from './test/setup'

const server = useMswServer()

/** A LockManager whose lock is held forever by another tab: every request waits until aborted. */
function hungLockManager(): LockManagerLike {
  return {
    request: (_name, options) =>
      new Promise((_, reject) =>
        options.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
      ),
  }
}

describe('a lock holder that never returns', () => {
  it('Web Locks: the call waits the acquire timeout, then refreshes once without the lock and answers 200', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab({ lock: webLocks({ locks: hungLockManager(), acquireTimeout: 200 }) })
    fake.state.validAccess = null
    const started = Date.now()
    const responses = await Promise.all(Array.from({ length: 5 }, () => latch.fetch(`${API}/api/me`)))
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    expect(fake.state.refreshCalls).toBe(1)
    // It waited for the lock (not skipped it), and not much longer.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect(latch.getSnapshot().session?.generation).toBe(1)
  })

  it('localStorage lock: a live holder in another tab (heartbeating) does not fail the call either', async () => {
    const { fake, tab, storage } = signedInWorld(server)
    let release!: () => void
    const holder = localStorageLock({ storage })(
      'latch-refresh',
      () => new Promise<void>((r) => (release = r)),
    )
    await new Promise((resolve) => setTimeout(resolve, 60))
    const latch = tab({ lock: localStorageLock({ storage, acquireTimeout: 200 }) })
    fake.state.validAccess = null
    expect((await latch.fetch(`${API}/api/me`)).status).toBe(200)
    expect(fake.state.refreshCalls).toBe(1)
    release()
    await holder
  })

  it('past the wait, a tab that finds the token already refreshed by another tab does not refresh again', async () => {
    const { fake, tab } = signedInWorld(server)
    const timedOut = <R>(_name: string, _fn: () => Promise<R>): Promise<R> =>
      Promise.reject(new LockTimeoutError('latch-refresh', 1))
    const tabA = tab({ lock: timedOut })
    const tabB = tab({ lock: timedOut })
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    // Tab B's call was sent with gen 0; its try_refresh arrives after tab A refreshed.
    server.use(
      http.get(
        `${API}/api/slow`,
        async () => {
          await held
          return latchError(401, 'try_refresh')
        },
        { once: true },
      ),
      http.get(`${API}/api/slow`, () => HttpResponse.json({ gen: fake.state.gen })),
    )
    const slow = tabB.fetch(`${API}/api/slow`)
    fake.state.validAccess = null
    expect((await tabA.fetch(`${API}/api/me`)).status).toBe(200)
    release()
    expect((await slow).status).toBe(200)
    expect(fake.state.refreshCalls).toBe(1)
  })

  it('an error thrown inside the lock (not a lock timeout) is not retried without it', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    fake.state.validAccess = null
    fake.state.refreshMode = 'store_unavailable'
    await expect(latch.fetch(`${API}/api/me`)).rejects.toMatchObject({ code: 'refresh_failed' })
    expect(fake.state.refreshCalls).toBe(1)
  })

  it('sign-in and sign-out go on without a hung lock too', async () => {
    const { tab } = signedInWorld(server)
    const latch = tab({ lock: webLocks({ locks: hungLockManager(), acquireTimeout: 50 }) })
    await latch.signIn(() => latch.fetch(`${API}/login`, { method: 'POST' }))
    expect(latch.getSnapshot().session?.sessionId).toBe('sid-2')
    await latch.signOut()
    expect(latch.getSnapshot()).toMatchObject({ status: 'unauthenticated', reason: 'signout' })
  })
})

describe('the commit guard', () => {
  const s = (sessionId: string, generation: number) => ({
    userId: 'alice',
    sessionId,
    generation,
    accessTokenExpiresAt: 1,
  })
  it('refuses an older generation of the same session, and a refresh answer for a session no longer stored', () => {
    expect(mayCommit(s('S1', 2), s('S1', 1))).toBe(false)
    expect(mayCommit(s('S1', 1), s('S1', 2))).toBe(true)
    expect(mayCommit(s('S1', 1), s('S1', 2), s('S1', 1))).toBe(true)
    // Another tab signed in as S2 (or out) while S1's refresh was in flight.
    expect(mayCommit(s('S2', 0), s('S1', 2), s('S1', 1))).toBe(false)
    expect(mayCommit(null, s('S1', 2), s('S1', 1))).toBe(false)
    // A sign-in answer (no sentWith) replaces whatever session was stored.
    expect(mayCommit(s('S1', 5), s('S2', 0))).toBe(true)
    expect(mayCommit(null, s('S1', 0))).toBe(true)
  })

  it('a refresh answer that lands after a newer one (header mode, no lock) does not overwrite it', async () => {
    const { fake, tab, storage } = signedInWorld(server, { header: true })
    const timedOut = <R>(_name: string, _fn: () => Promise<R>): Promise<R> =>
      Promise.reject(new LockTimeoutError('latch-refresh', 1))
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let calls = 0
    // The first refresh (tab A's) is answered gen 1 but delivered only after tab B refreshed to gen 2.
    const slowFirst: typeof fetch = async (input, init) => {
      const request = new Request(input, init)
      const response = await globalThis.fetch(request)
      if (new URL(request.url).pathname.endsWith('/refresh') && calls++ === 0) await held
      return response
    }
    const tabA = tab({ lock: timedOut, fetch: slowFirst })
    const tabB = tab({ lock: timedOut })
    const answerA = tabA.refresh()
    await vi.waitFor(() => expect(fake.state.gen).toBe(1))
    expect((await tabB.refresh())?.generation).toBe(2)
    release()
    await answerA
    expect(storage.getItem('latch.front')!.split(' ').slice(1)).toEqual(['a2', 'r2'])
    expect(tabA.getSnapshot().session?.generation).toBe(2)
  })

  it('the stored front-token source applies it', () => {
    const storage = memoryStorage()
    const source = storedFrontTokenSource(storage, 'k')
    source.persist(frontTokenFor(3, 1e12))
    source.persist(frontTokenFor(2, 1e12))
    expect(source.read()?.generation).toBe(3)
    source.persist(frontTokenFor(4, 1e12, 'sid-1'), { ...source.read()!, sessionId: 'sid-0' })
    expect(source.read()?.generation).toBe(3)
  })
})

describe('a message that arrives before the change it announces', () => {
  it('is followed within a second even without a storage event (a cookie reaching WebKit windows late)', async () => {
    const { tab, storage, bus } = signedInWorld(server)
    const tabB = tab()
    // The other tab's sign-out: its message arrives first, the front token goes 100 ms later,
    // and nothing tells tab B (memory storage fires no events, like a cookie).
    bus.factory().post({ type: 'signedOut', reason: 'signout' })
    expect(tabB.getSnapshot().status).toBe('authenticated')
    await new Promise((resolve) => setTimeout(resolve, 100))
    storage.removeItem('latch.front')
    await vi.waitFor(
      () => expect(tabB.getSnapshot()).toMatchObject({ status: 'unauthenticated', reason: 'signout' }),
      {
        timeout: 1500,
      },
    )
  })
})

describe('every sign-out says why', () => {
  it('carries the reason on the snapshot, here and in the other tabs', async () => {
    const { fake, tab } = signedInWorld(server)
    const tabA = tab()
    const tabB = tab()
    expect(tabA.getSnapshot()).toMatchObject({ status: 'authenticated' })
    fake.state.validAccess = null
    fake.state.refreshMode = 'token_theft_detected'
    await tabA.fetch(`${API}/api/me`)
    for (const t of [tabA, tabB])
      expect(t.getSnapshot()).toEqual({
        status: 'unauthenticated',
        session: null,
        reason: 'token_theft_detected',
      })
  })

  it('has no reason when there never was a session', () => {
    const { tab, storage } = signedInWorld(server)
    storage.removeItem('latch.front')
    expect(tab().getSnapshot()).toEqual({ status: 'unauthenticated', session: null })
  })
})

describe('the page lifecycle', () => {
  /** A window that is an EventTarget, so the test can fire pagehide, pageshow and online. */
  function fakeWindow() {
    const win = new EventTarget()
    vi.stubGlobal('window', win)
    const fire = (type: string, fields: object = {}) =>
      win.dispatchEvent(Object.assign(new Event(type), fields))
    return fire
  }

  it('closes the channel on pagehide (nothing to evict the cached page) and re-reads on pageshow', async () => {
    const fire = fakeWindow()
    const { tab, storage } = signedInWorld(server)
    const tabA = tab()
    const tabB = tab()
    const eventsB = recordEvents(tabB)
    fire('pagehide', { persisted: true })
    // Tab A signs out while B sits in the back/forward cache: B hears nothing (its channel is closed).
    await tabA.signOut()
    expect(storage.getItem('latch.front')).toBeNull()
    expect(tabB.getSnapshot().status).toBe('authenticated')
    expect(eventsB).toEqual([])
    fire('pageshow', { persisted: true })
    expect(tabB.getSnapshot()).toMatchObject({ status: 'unauthenticated', reason: 'other_tab' })
    // Reopened: the next message reaches it.
    storage.setItem('latch.front', frontTokenFor(0, Date.now() + 60_000, 'sid-9'))
    tabA.sync()
    expect(tabB.getSnapshot().session?.sessionId).toBe('sid-9')
  })

  it('offline: the call fails network_error and keeps the session; after online the first call works', async () => {
    const fire = fakeWindow()
    const { fake, tab, jar } = signedInWorld(server)
    let online = false
    const inner = cookieJarFetch(jar)
    const latch = tab({
      fetch: (input, init) =>
        online ? inner(input, init) : Promise.reject(new TypeError('Failed to fetch')),
    })
    fake.state.validAccess = null
    await expect(latch.fetch(`${API}/api/me`)).rejects.toMatchObject({ code: 'network_error' })
    expect(latch.getSnapshot().status).toBe('authenticated')
    online = true
    fire('online')
    expect((await latch.fetch(`${API}/api/me`)).status).toBe(200)
    expect(fake.state.refreshCalls).toBe(1)
  })

  it('an aborted call stays an AbortError, not a network error', async () => {
    const { tab } = signedInWorld(server)
    server.use(http.get(`${API}/api/hang`, () => new Promise(() => {})))
    const latch = tab()
    await expect(latch.fetch(`${API}/api/hang`, { signal: AbortSignal.timeout(20) })).rejects.toMatchObject({
      name: 'TimeoutError',
    })
  })
})

// processLock is the default in Node; kept imported so the file documents what the others replace.
void processLock
