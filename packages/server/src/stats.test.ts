import { afterEach, describe, expect, test } from 'vitest'
import { fakeClock, verifyToken } from '../test/harness.js'
import { createSessionManager, type SessionManager } from './createSessionManager.js'
import { DEFAULT_VERIFY_CACHE_SIZE } from './SessionManagerOptions.js'
import { memoryStore } from './stores/memory.js'

describe('sessions.stats()', () => {
  const managers: SessionManager[] = []
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()))
  })
  const store = memoryStore()
  const clock = fakeClock()
  function manager(options: { verifyCacheSize?: number } = {}) {
    const sessions = createSessionManager({ store, now: clock.now, ...options })
    managers.push(sessions)
    return sessions
  }
  const login = (sessions: SessionManager, userId: string) =>
    sessions.create(new Request('http://localhost/login', { method: 'POST' }), { userId })

  test('counts hits, misses, evictions, revocations and pushes; a fresh object each call', async () => {
    const sessions = manager({ verifyCacheSize: 2 })
    const other = manager() // a second instance on the same store: it receives the pushes
    await Promise.all([sessions.ready, other.ready])
    const empty = sessions.stats()
    expect(empty).toEqual({
      verifyCache: { entries: 0, maxEntries: 2, hits: 0, misses: 0, evictions: 0 },
      revocationList: { entries: 0 },
      pushesReceived: 0,
    })
    expect(other.stats().verifyCache.maxEntries).toBe(DEFAULT_VERIFY_CACHE_SIZE)

    // Issued by `other`: `sessions` has not seen them (a token it issues is cached at issue).
    const a = await login(other, 'a')
    await verifyToken(sessions, a.accessToken) // miss
    await verifyToken(sessions, a.accessToken) // hit
    await verifyToken(sessions, a.accessToken) // hit
    const b = await login(other, 'b')
    const c = await login(other, 'c')
    await verifyToken(sessions, b.accessToken) // miss
    await verifyToken(sessions, c.accessToken) // miss: full, `b` (never hit) is evicted
    expect(sessions.stats().verifyCache).toEqual({
      entries: 2,
      maxEntries: 2,
      hits: 2,
      misses: 3,
      evictions: 1,
    })

    await sessions.revokeSession(a.session.sessionId)
    await expect(verifyToken(sessions, a.accessToken)).rejects.toMatchObject({ code: 'unauthorized' })
    const after = sessions.stats()
    expect(after.verifyCache.hits).toBe(3) // refused from the cache: still a hit, no signature check
    expect(after.revocationList.entries).toBe(1)
    // The revoking instance learns of it directly; the other one through the store's push.
    expect(other.stats()).toMatchObject({ revocationList: { entries: 1 }, pushesReceived: 1 })
    expect(sessions.stats()).not.toBe(sessions.stats())
    expect(empty.verifyCache.hits).toBe(0) // earlier snapshots do not move
  })
})
