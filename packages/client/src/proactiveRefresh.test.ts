import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSessionClient } from './createSessionClient'
import { processLock } from './locks/processLock'
import { proactiveDelay } from './proactiveRefresh'
import { memoryStorage } from './storage'
import { API, broadcastBus, frontTokenFor } from './test/fakeLatchServer'

// Fake only the timers the scheduler uses; the clock is injected and the network is a plain
// function (msw and fake timers do not mix well).
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
})
afterEach(() => {
  vi.useRealTimers()
})

function world() {
  let now = 1_000_000_000_000
  let gen = 0
  const refreshes: number[] = []
  const storage = memoryStorage()
  storage.setItem('latch.front', frontTokenFor(0, now + 60_000))
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const url = new Request(input).url
    // Each refresh names the generation it refreshes from.
    if (url !== `${API}/auth/session/refresh?generation=${gen}`) throw new Error(`unexpected ${url}`)
    gen++
    refreshes.push(now)
    return new Response('{}', { headers: { 'x-latch-front-token': frontTokenFor(gen, now + 60_000) } })
  }) as unknown as typeof globalThis.fetch
  const lock = processLock()
  const bus = broadcastBus()
  const tab = () =>
    createSessionClient({
      apiBase: API,
      storage,
      lock,
      fetch,
      broadcast: bus.factory,
      now: () => now,
      proactiveRefresh: 10_000,
    })
  const advance = async (ms: number) => {
    now += ms
    await vi.advanceTimersByTimeAsync(ms)
  }
  return {
    tab,
    advance,
    refreshes,
    get gen() {
      return gen
    },
  }
}

describe('proactive refresh', () => {
  it('refreshes lead-time before expiry, then again for the new token', async () => {
    const w = world()
    const latch = w.tab()
    await w.advance(49_000)
    expect(w.refreshes).toHaveLength(0)
    await w.advance(1_000)
    expect(w.refreshes).toHaveLength(1)
    expect(latch.getSnapshot().session?.generation).toBe(1)
    await w.advance(50_000)
    expect(w.refreshes).toHaveLength(2)
    latch.destroy()
  })

  it('is done by one tab only; the others adopt the new token', async () => {
    const w = world()
    const tabs = [w.tab(), w.tab(), w.tab()]
    await w.advance(50_000)
    expect(w.refreshes).toHaveLength(1)
    for (const tab of tabs) expect(tab.getSnapshot().session?.generation).toBe(1)
    for (const tab of tabs) tab.destroy()
  })

  it('stops after destroy', async () => {
    const w = world()
    w.tab().destroy()
    await w.advance(120_000)
    expect(w.refreshes).toHaveLength(0)
  })
})

describe('proactiveDelay', () => {
  const session = (expiresIn: number) => ({
    userId: 'u',
    sessionId: 's',
    generation: 0,
    accessTokenExpiresAt: 1000 + expiresIn,
  })
  it('never waits less than half the remaining life, so a long lead cannot cause a storm', () => {
    expect(proactiveDelay(session(60_000), 1000, 30_000)).toBe(30_000)
    expect(proactiveDelay(session(5_000), 1000, 30_000)).toBe(2_500)
    expect(proactiveDelay(session(600_000), 1000, 30_000)).toBe(570_000)
  })
  it('does not schedule for a token that already looks expired (clock skew)', () => {
    expect(proactiveDelay(session(0), 1000, 30_000)).toBeNull()
    expect(proactiveDelay(session(-5), 1000, 30_000)).toBeNull()
  })
})
