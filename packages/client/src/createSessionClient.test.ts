import { HttpResponse, http } from 'msw'
import { describe, expect, it } from 'vitest'
import { createSessionClient } from './createSessionClient'
import { API, cookieJarFetch, latchError, OTHER, recordingFetch } from './test/fakeLatchServer'
import { recordEvents, signedInWorld, useMswServer } from './test/setup'

const server = useMswServer()

describe('refresh on try_refresh', () => {
  it('refreshes exactly once for 50 concurrent failing calls and replays all of them', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    fake.state.validAccess = null // the access token expired
    const responses = await Promise.all(Array.from({ length: 50 }, () => latch.fetch(`${API}/api/me`)))
    expect(fake.state.refreshCalls).toBe(1)
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200))
    const bodies = await Promise.all(responses.map((r) => r.json()))
    expect(new Set(bodies.map((b) => b.gen))).toEqual(new Set([1]))
    // 50 first sends + 50 replays, nothing more.
    expect(fake.state.seen).toHaveLength(100)
    expect(latch.getSnapshot()).toMatchObject({ status: 'authenticated', session: { generation: 1 } })
  })

  it('sends the CSRF header and credentials to the API origin only', async () => {
    const { tab, jar } = signedInWorld(server)
    const sent: Request[] = []
    const latch = tab({ fetch: recordingFetch(sent, cookieJarFetch(jar)) })
    server.use(http.get(`${OTHER}/data`, () => HttpResponse.json({ ok: true })))
    await latch.fetch(`${API}/api/me`)
    await latch.fetch(`${OTHER}/data`, { headers: { 'x-app': '1' } })
    expect(sent[0]!.headers.get('x-latch-csrf')).toBe('1')
    expect(sent[0]!.credentials).toBe('include')
    expect(sent[1]!.headers.get('x-latch-csrf')).toBeNull()
    expect(sent[1]!.headers.get('x-app')).toBe('1')
    expect(sent[1]!.credentials).toBe('same-origin')
  })

  it('does not refresh in a second tab that finds the front token changed inside the lock', async () => {
    const { fake, tab } = signedInWorld(server)
    const tabA = tab()
    const tabB = tab()
    const eventsB = recordEvents(tabB)
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let slowCalls = 0
    // Tab B's call was sent with the old token; its answer arrives after tab A refreshed.
    server.use(
      http.get(`${API}/api/slow`, async () => {
        slowCalls++
        if (slowCalls === 1) {
          await gate
          return latchError(401, 'try_refresh')
        }
        return HttpResponse.json({ gen: fake.state.gen })
      }),
    )
    const slow = tabB.fetch(`${API}/api/slow`)
    fake.state.validAccess = null
    expect((await tabA.fetch(`${API}/api/me`)).status).toBe(200)
    expect(fake.state.refreshCalls).toBe(1)
    release()
    const response = await slow
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ gen: 1 })
    expect(fake.state.refreshCalls).toBe(1)
    expect(tabB.getSnapshot().session?.generation).toBe(1)
    expect(eventsB).toContainEqual({
      event: 'refreshed',
      payload: expect.objectContaining({ origin: 'other_tab' }),
    })
  })

  it('keeps the session on a refresh network error, fails the call with a typed error, retries next time', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    const events = recordEvents(latch)
    fake.state.validAccess = null
    fake.state.refreshMode = 'network'
    await expect(latch.fetch(`${API}/api/me`)).rejects.toMatchObject({
      code: 'network_error',
      name: 'LatchNetworkError',
    })
    expect(latch.getSnapshot().status).toBe('authenticated')
    expect(events.map((e) => e.event)).toEqual(['refreshFailed'])
    fake.state.refreshMode = 'ok'
    expect((await latch.fetch(`${API}/api/me`)).status).toBe(200)
    expect(fake.state.refreshCalls).toBe(2)
  })

  it('keeps the session on 503 store_unavailable and reports the retry delay', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    fake.state.validAccess = null
    fake.state.refreshMode = 'store_unavailable'
    await expect(latch.fetch(`${API}/api/me`)).rejects.toMatchObject({
      code: 'refresh_failed',
      status: 503,
      latchCode: 'store_unavailable',
      retryAfter: 2,
    })
    expect(latch.getSnapshot().status).toBe('authenticated')
  })

  it('does not sign out on a refresh 401 without x-latch-error (a proxy, not Latch)', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    fake.state.validAccess = null
    fake.state.refreshMode = 'bare401'
    await expect(latch.fetch(`${API}/api/me`)).rejects.toMatchObject({ code: 'refresh_failed', status: 401 })
    expect(latch.getSnapshot().status).toBe('authenticated')
  })

  it('signs out in every tab on a refresh 401 and emits, returning the original answer', async () => {
    const { fake, tab } = signedInWorld(server)
    const tabA = tab()
    const tabB = tab()
    const eventsA = recordEvents(tabA)
    const eventsB = recordEvents(tabB)
    fake.state.validAccess = null
    fake.state.refreshMode = 'session_expired'
    const response = await tabA.fetch(`${API}/api/me`)
    expect(response.status).toBe(401)
    expect(response.headers.get('x-latch-error')).toBe('try_refresh')
    // The snapshot says why, in this tab and the other one.
    expect(tabA.getSnapshot()).toEqual({
      status: 'unauthenticated',
      session: null,
      reason: 'session_expired',
    })
    expect(tabB.getSnapshot()).toEqual({
      status: 'unauthenticated',
      session: null,
      reason: 'session_expired',
    })
    expect(eventsA).toEqual([
      { event: 'signedOut', payload: { reason: 'session_expired', origin: 'this_tab' } },
    ])
    expect(eventsB).toEqual([
      { event: 'signedOut', payload: { reason: 'session_expired', origin: 'other_tab' } },
    ])
  })

  it('emits theftDetected in every tab when the refresh reports token theft', async () => {
    const { fake, tab } = signedInWorld(server)
    const tabA = tab()
    const tabB = tab()
    const eventsA = recordEvents(tabA)
    const eventsB = recordEvents(tabB)
    fake.state.validAccess = null
    fake.state.refreshMode = 'token_theft_detected'
    await tabA.fetch(`${API}/api/me`)
    for (const events of [eventsA, eventsB]) {
      expect(events).toContainEqual({ event: 'theftDetected', payload: { sessionId: 'sid-1' } })
    }
  })

  it('stops with refresh_loop when the replay meets try_refresh with the token the refresh produced', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    server.use(http.get(`${API}/api/stuck`, () => latchError(401, 'try_refresh')))
    await expect(latch.fetch(`${API}/api/stuck`)).rejects.toMatchObject({ code: 'refresh_loop' })
    expect(fake.state.refreshCalls).toBe(1)
  })

  it('goes round again when the token moved on since the replay was sent, up to maxReplays', async () => {
    const { fake, tab, storage } = signedInWorld(server)
    const latch = tab({ maxReplays: 2 })
    let calls = 0
    server.use(
      http.get(`${API}/api/racy`, () => {
        calls++
        // Another tab refreshes while each of the first two sends is in flight.
        if (calls <= 2) {
          fake.state.gen += 1
          storage.setItem('latch.front', fake.front())
          return latchError(401, 'try_refresh')
        }
        return HttpResponse.json({ ok: true })
      }),
    )
    expect((await latch.fetch(`${API}/api/racy`)).status).toBe(200)
    expect(fake.state.refreshCalls).toBe(0)
    expect(calls).toBe(3)
  })

  it('passes a 401 without x-latch-error through untouched', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    server.use(
      http.post(`${API}/api/login`, () => HttpResponse.json({ error: 'unauthorized' }, { status: 401 })),
    )
    const response = await latch.fetch(`${API}/api/login`, { method: 'POST', body: '{}' })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ error: 'unauthorized' })
    expect(fake.state.refreshCalls).toBe(0)
    expect(latch.getSnapshot().status).toBe('authenticated')
  })

  it('signs out locally (and returns the answer) on a Latch unauthorized from any call', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    server.use(http.get(`${API}/api/revoked`, () => latchError(401, 'unauthorized')))
    const response = await latch.fetch(`${API}/api/revoked`)
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ error: 'unauthorized' })
    expect(latch.getSnapshot().status).toBe('unauthenticated')
    expect(fake.state.refreshCalls).toBe(0)
  })

  it('rejects the waiting call when its signal aborts, without cancelling the shared refresh', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    fake.state.validAccess = null
    const controller = new AbortController()
    const other = latch.fetch(`${API}/api/me`)
    const aborted = latch.fetch(`${API}/api/me`, { signal: controller.signal })
    controller.abort(new Error('user left'))
    await expect(aborted).rejects.toThrow()
    expect((await other).status).toBe(200)
    expect(fake.state.refreshCalls).toBe(1)
  })
})

describe('session state and sign-in/out', () => {
  it('adopts a sign-in made through fetch and tells the other tabs', async () => {
    const { storage, tab } = signedInWorld(server)
    storage.removeItem('latch.front')
    const tabA = tab()
    const tabB = tab()
    const eventsB = recordEvents(tabB)
    expect(tabA.getSnapshot().status).toBe('unauthenticated')
    const snapshotBefore = tabA.getSnapshot()
    expect(tabA.getSnapshot()).toBe(snapshotBefore) // stable identity while nothing changes
    await tabA.fetch(`${API}/login`, { method: 'POST' })
    expect(tabA.getSnapshot()).toMatchObject({
      status: 'authenticated',
      session: { userId: 'alice', sessionId: 'sid-2' },
    })
    expect(tabB.getSnapshot().status).toBe('authenticated')
    expect(eventsB.map((e) => [e.event, (e.payload as { origin?: string }).origin])).toEqual([
      ['signedIn', 'other_tab'],
    ])
  })

  it('re-reads state on a broadcast instead of trusting it', () => {
    const { bus, tab } = signedInWorld(server)
    const latch = tab()
    bus.postForged({ type: 'signedOut', reason: 'token_theft_detected' })
    bus.postForged({ nonsense: true })
    expect(latch.getSnapshot().status).toBe('authenticated')
  })

  it('signOut ends the session on the server and in every tab', async () => {
    const { tab } = signedInWorld(server)
    const tabA = tab()
    const tabB = tab()
    const eventsB = recordEvents(tabB)
    await tabA.signOut()
    expect(tabA.getSnapshot().status).toBe('unauthenticated')
    expect(tabB.getSnapshot().status).toBe('unauthenticated')
    expect(eventsB).toEqual([{ event: 'signedOut', payload: { reason: 'signout', origin: 'other_tab' } }])
  })

  it('keeps the session when the sign-out request fails', async () => {
    const { tab } = signedInWorld(server)
    const latch = tab()
    server.use(http.post(`${API}/auth/session/signout`, () => HttpResponse.error()))
    await expect(latch.signOut()).rejects.toMatchObject({ code: 'signout_failed' })
    expect(latch.getSnapshot().status).toBe('authenticated')
  })

  it('refresh() resolves the new session, single flight', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    const [a, b] = await Promise.all([latch.refresh(), latch.refresh()])
    expect(a).toMatchObject({ generation: 1 })
    expect(b).toEqual(a)
    expect(fake.state.refreshCalls).toBe(1)
  })
})

describe('header transport', () => {
  it('sends Authorization only to the API origin and refreshes with the refresh token', async () => {
    const { fake, tab, storage } = signedInWorld(server, { header: true })
    const sent: Request[] = []
    const latch = tab({ fetch: recordingFetch(sent, globalThis.fetch) })
    server.use(http.get(`${OTHER}/data`, () => HttpResponse.json({})))
    fake.state.validAccess = null
    expect((await latch.fetch(`${API}/api/me`)).status).toBe(200)
    await latch.fetch(`${OTHER}/data`)
    const [first, refresh, replay, other] = sent
    expect(first!.headers.get('authorization')).toBe('Bearer a0')
    // It says which generation it refreshes from (rule 1b of the contract).
    expect(refresh!.url).toBe(`${API}/auth/session/refresh?generation=0`)
    expect(refresh!.headers.get('authorization')).toBe('Bearer r0')
    expect(refresh!.headers.get('x-latch-transport')).toBe('header')
    expect(replay!.headers.get('authorization')).toBe('Bearer a1')
    expect(replay!.credentials).toBe('same-origin')
    expect(other!.headers.get('authorization')).toBeNull()
    // The tokens sit in the front token's entry, written in one go with it (tokens stored apart
    // by an older client, as this test's setup does, are read only until then).
    expect(storage.getItem('latch.front')!.split(' ')).toEqual([expect.any(String), 'a1', 'r1'])
    expect(latch.getSnapshot().session?.generation).toBe(1)
  })

  it('another tab never sees a new refresh token beside an old front token: one entry holds all three', async () => {
    const { fake, tab, storage } = signedInWorld(server, { header: true })
    const writes: string[] = []
    const setItem = storage.setItem.bind(storage)
    storage.setItem = (key, value) => {
      writes.push(key)
      setItem(key, value)
    }
    fake.state.validAccess = null
    expect((await tab().fetch(`${API}/api/me`)).status).toBe(200)
    expect(writes.filter((key) => !key.includes('lock'))).toEqual(['latch.front'])
  })
})

describe('options and bad input', () => {
  it.each([
    [{ transport: 'carrier-pigeon' }, 'transport', "'cookie' or 'header'"],
    [{ basePath: 'auth' }, 'basePath', 'a path from /'],
    [{ refreshTimeout: -1 }, 'refreshTimeout', 'ms > 0'],
    [{ maxReplays: 0 }, 'maxReplays', '1 to 10'],
    [{ proactiveRefresh: Number.NaN }, 'proactiveRefresh', 'ms >= 0 or false'],
    [{ fetch: 'nope' }, 'fetch', 'a function'],
    [{ storage: {} }, 'storage', 'a Storage'],
    [{ apiBase: 'http://[bad' }, 'apiBase', 'a URL or path'],
    [{ lockName: '' }, 'lockName', 'a non-empty string'],
    [{ syncOnFocus: 'yes' }, 'syncOnFocus', 'a boolean'],
  ])('rejects %o naming the option and what it must be', (options, option, requirement) => {
    expect(() => createSessionClient(options as never)).toThrow(
      expect.objectContaining({ code: 'invalid_option', option }),
    )
    expect(() => createSessionClient(options as never)).toThrow(
      `Invalid option \`${option}\`: must be ${requirement}.`,
    )
  })

  it('rejects an unbuildable request with invalid_request', async () => {
    const latch = createSessionClient({ apiBase: API, proactiveRefresh: false })
    await expect(latch.fetch('http://[::1')).rejects.toMatchObject({ code: 'invalid_request' })
    await expect(latch.fetch(`${API}/x`, { method: 'GET', body: 'not allowed' })).rejects.toMatchObject({
      code: 'invalid_request',
    })
    latch.destroy()
  })
})
