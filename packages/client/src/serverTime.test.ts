/**
 * Expiry is judged in server time (DESIGN.md, "The page lifecycle"): a browser clock far off the
 * server's neither loops, nor signs out, nor loses the proactive refresh, once one answer's `Date`
 * header taught the client the offset.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSessionClient } from './createSessionClient'
import { processLock } from './locks/processLock'
import { memoryStorage } from './storage'
import { API, broadcastBus, frontTokenFor } from './test/fakeLatchServer'

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
})
afterEach(() => {
  vi.useRealTimers()
})

const TTL = 60_000
const HOUR = 3_600_000

/** A server on `serverNow`, a browser clock `skew` ms off it, one tab. */
function world(skew: number, options: { date?: boolean } = {}) {
  let serverNow = 1_000_000_000_000
  let gen = 0
  const refreshes: number[] = []
  const storage = memoryStorage()
  storage.setItem('latch.front', frontTokenFor(0, serverNow + TTL))
  let expiresAt = serverNow + TTL
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const url = new Request(input).url
    // The API: the access token of the last refresh, until it expires (server time).
    if (url === `${API}/api/me`)
      return serverNow < expiresAt
        ? new Response('{}')
        : new Response('{}', { status: 401, headers: { 'x-latch-error': 'try_refresh' } })
    if (url !== `${API}/auth/session/refresh?generation=${gen}`) throw new Error(`unexpected ${url}`)
    expiresAt = serverNow + TTL
    gen++
    refreshes.push(serverNow)
    const headers: Record<string, string> = { 'x-latch-front-token': frontTokenFor(gen, serverNow + TTL) }
    if (options.date !== false) headers.date = new Date(serverNow).toUTCString()
    return new Response('{}', { headers })
  }) as unknown as typeof globalThis.fetch
  const latch = createSessionClient({
    apiBase: API,
    storage,
    lock: processLock(),
    fetch,
    broadcast: broadcastBus().factory,
    now: () => serverNow + skew,
    proactiveRefresh: 10_000,
  })
  // In 100 ms steps, so the clocks move with the timers.
  const advance = async (ms: number) => {
    for (let step = 0; step < ms; step += 100) {
      serverNow += 100
      await vi.advanceTimersByTimeAsync(100)
    }
  }
  /** A sleeping laptop: the clocks jump by `ms` and no timer runs meanwhile. */
  const sleep = (ms: number) => {
    serverNow += ms
  }
  return { latch, advance, sleep, refreshes }
}

describe('server time', () => {
  it.each([
    ['10 min ahead', 10 * 60_000],
    ['10 min behind', -10 * 60_000],
    ['24 h ahead', 24 * HOUR],
    ['24 h behind', -24 * HOUR],
  ])(
    'keeps the proactive refresh with a browser clock %s, after one refresh taught the offset',
    async (_, skew) => {
      const w = world(skew)
      // The first refresh (here at sign-in time, in the app at the first try_refresh) brings `Date`.
      await w.latch.refresh()
      expect(w.refreshes).toHaveLength(1)
      // From then on every token is refreshed lead-time before its expiry, in server time: 10 s
      // early (give or take the half second `Date` cannot say), so each lasts about 50 s; five
      // expiries, five refreshes, no loop and no sign-out.
      await w.advance(5 * 50_000 + 1000)
      expect(w.refreshes).toHaveLength(6)
      for (const [i, at] of w.refreshes.slice(1).entries()) {
        expect(at - w.refreshes[i]!).toBeGreaterThanOrEqual(49_000)
        expect(at - w.refreshes[i]!).toBeLessThanOrEqual(50_000)
      }
      expect(w.latch.getSnapshot()).toMatchObject({ status: 'authenticated', session: { generation: 6 } })
      w.latch.destroy()
    },
  )

  it('without a readable Date (a cross-origin API that does not expose it) uses the browser clock, as before', async () => {
    // 10 min ahead and no offset: every token looks expired, so no proactive refresh (and no loop).
    const w = world(10 * 60_000, { date: false })
    await w.latch.refresh()
    await w.advance(5 * 50_000)
    expect(w.refreshes).toHaveLength(1)
    expect(w.latch.getSnapshot().status).toBe('authenticated')
    w.latch.destroy()
  })
})

describe('a tab that wakes after its token expired', () => {
  it('refreshes once, not once per missed timer, however many calls it makes at once', async () => {
    const w = world(0)
    // Asleep for an hour: the proactive timer (due at 50 s) and 72 expiries went by unseen.
    w.sleep(3_600_000)
    // On waking the one overdue timer fires (timers catch up, the clocks do not move again)...
    await vi.advanceTimersByTimeAsync(50_000)
    expect(w.refreshes).toHaveLength(1)
    // ...and a burst of calls right after, and the next 40 s, need no other refresh.
    const statuses = (
      await Promise.all(Array.from({ length: 10 }, () => w.latch.fetch(`${API}/api/me`)))
    ).map((r) => r.status)
    expect(statuses).toEqual(Array(10).fill(200))
    await w.advance(40_000)
    expect(w.refreshes).toHaveLength(1)
    expect(w.latch.getSnapshot()).toMatchObject({ status: 'authenticated', session: { generation: 1 } })
    w.latch.destroy()
  })

  it('that has no timer left makes one refresh for a burst of calls that meet the expired token', async () => {
    const w = world(0)
    w.sleep(3_600_000)
    const calls = Promise.all(Array.from({ length: 10 }, () => w.latch.fetch(`${API}/api/me`)))
    await w.advance(1000)
    expect((await calls).map((r) => r.status)).toEqual(Array(10).fill(200))
    expect(w.refreshes).toHaveLength(1)
    w.latch.destroy()
  })
})
