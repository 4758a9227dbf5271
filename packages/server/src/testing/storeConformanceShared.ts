import { expect, it, vi } from 'vitest'
import { EXPIRED_RETENTION_MS, type Revocation } from '../stores/SessionStore.js'
import {
  type ConformanceContext,
  HOUR,
  makeId,
  makeKey,
  makeRecord,
  revokeWith,
} from './storeConformanceFixtures.js'

/** Conformance tests of state shared between instances: revocation list and push, keys, secrets, sweep, close. */
export function sharedConformanceTests(ctx: ConformanceContext): void {
  it('lists only revocations that have not expired', async () => {
    const { store } = await ctx.setup()
    const now = Date.now()
    const a = makeRecord()
    const b = makeRecord()
    for (const r of [a, b]) await store.createSession(r)
    await store.revokeSessions([a.id], revokeWith('signout', now - 20 * 60 * 1000))
    const [live] = await store.revokeSessions([b.id], revokeWith('signout', now))
    expect(await store.listRevocations(now)).toEqual([live])
    expect((await store.listRevocations(now - HOUR)).length).toBe(2)
  })

  it('pushes revocations to every subscriber, on every instance, until unsubscribed', async () => {
    const { store, peer } = await ctx.setup()
    const other = await peer()
    const seenA: Revocation[] = []
    const seenB: Revocation[] = []
    const sub = (seen: Revocation[]) => ({
      onRevoked: (r: Revocation[]) => seen.push(...r),
      onResync: () => {},
    })
    const stopA = await store.subscribeRevocations(sub(seenA))
    await other.subscribeRevocations(sub(seenB))
    const first = makeRecord()
    await store.createSession(first)
    const [made] = await store.revokeSessions([first.id], revokeWith('signout'))
    await vi.waitFor(() => expect(seenB).toEqual([made]), { timeout: 5000 })
    await vi.waitFor(() => expect(seenA).toEqual([made]), { timeout: 5000 })
    await stopA()
    await stopA()
    const second = makeRecord()
    await other.createSession(second)
    const [made2] = await other.revokeUserSessions(second.userId, null, revokeWith('theft'))
    await vi.waitFor(() => expect(seenB.map((r) => r.sessionId)).toContain(second.id), { timeout: 5000 })
    expect(made2?.sessionId).toBe(second.id)
    expect(seenA).toEqual([made])
  })

  it('inserts keys by compare-and-swap on the newest kid, lists oldest first, deletes', async () => {
    const { store } = await ctx.setup()
    expect(await store.listKeys()).toEqual([])
    const k1 = makeKey('k1', 1000)
    const k2 = makeKey('k2', 2000)
    expect(await store.addKey(k1, null)).toBe(true)
    expect(await store.addKey(k2, null)).toBe(false)
    expect(await store.addKey(k2, 'nope')).toBe(false)
    expect(await store.addKey(k2, 'k1')).toBe(true)
    const k3 = { ...makeKey('k3', 3000), publicJwk: null }
    expect(await store.addKey(k3, 'k2')).toBe(true)
    expect(await store.listKeys()).toEqual([k1, k2, k3])
    await store.deleteKeys(['k1', 'unknown'])
    expect(await store.listKeys()).toEqual([k2, k3])
    await store.deleteKeys([])
    expect(await store.addKey(makeKey('k4'), 'k2')).toBe(false)
  })

  it('agrees on one key when many instances start at once', async () => {
    const { store, peer } = await ctx.setup()
    const instances = [store, await peer(), await peer()]
    const candidates = Array.from({ length: 12 }, (_, i) => makeKey(`start-${i}`))
    const results = await Promise.all(candidates.map((k, i) => instances[i % 3]!.addKey(k, null)))
    expect(results.filter(Boolean)).toHaveLength(1)
    const keys = await instances[1]!.listKeys()
    expect(keys).toEqual([candidates[results.indexOf(true)]])
  })

  it('agrees on one secret per name', async () => {
    const { store, peer } = await ctx.setup()
    const other = await peer()
    const values = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? other : store).getOrCreateSecret('mac', `candidate-${i}`),
      ),
    )
    expect(new Set(values).size).toBe(1)
    expect(values[0]).toMatch(/^candidate-\d+$/)
    expect(await store.getOrCreateSecret('mac', 'late')).toBe(values[0])
    expect(await store.getOrCreateSecret('other', 'o')).toBe('o')
  })

  it('keeps expired sessions readable until they are swept', async () => {
    const { store } = await ctx.setup()
    const now = Date.now()
    const expired = makeRecord({ expiresAt: now - HOUR })
    await store.createSession(expired)
    expect(await store.getSession(expired.id)).toEqual(expired)
    await store.deleteExpired(now - EXPIRED_RETENTION_MS, now, 100)
    expect(await store.getSession(expired.id)).toEqual(expired)
    if (!ctx.capabilities.nativeSessionTtl) {
      await store.deleteExpired(now, now, 100)
      expect(await store.getSession(expired.id)).toBeNull()
    }
  })

  it('deletes expired rows in bounded batches', async () => {
    const { store } = await ctx.setup()
    const now = Date.now()
    const live = makeRecord()
    await store.createSession(live)
    const victims = Array.from({ length: 5 }, () => makeRecord())
    for (const r of victims) await store.createSession(r)
    await store.revokeSessions(
      victims.map((r) => r.id),
      revokeWith('revoked', now - HOUR),
    )
    const liveRev = makeRecord()
    await store.createSession(liveRev)
    await store.revokeSessions([liveRev.id], revokeWith('revoked', now))
    expect(await store.deleteExpired(now - EXPIRED_RETENTION_MS, now, 2)).toBe(2)
    expect(await store.listRevocations(0)).toHaveLength(4)
    expect(await store.deleteExpired(now - EXPIRED_RETENTION_MS, now, 100)).toBe(3)
    expect((await store.listRevocations(0)).map((r) => r.sessionId)).toEqual([liveRev.id])
    expect(await store.deleteExpired(now - EXPIRED_RETENTION_MS, now, 100)).toBe(0)
    if (!ctx.capabilities.nativeSessionTtl) {
      const stale = Array.from({ length: 3 }, () =>
        makeRecord({ expiresAt: now + HOUR, absoluteExpiresAt: now - 2 * HOUR }),
      )
      for (const r of stale) await store.createSession(r)
      expect(await store.deleteExpired(now - HOUR, 0, 2)).toBe(2)
      expect(await store.deleteExpired(now - HOUR, 0, 2)).toBe(1)
      for (const r of stale) expect(await store.getSession(r.id)).toBeNull()
    }
    expect(await store.getSession(live.id)).toEqual(live)
  })

  it('rejects use after close, and closes twice without error', async () => {
    const { store } = await ctx.setup()
    await store.close()
    await store.close()
    await expect(store.getSession(makeId())).rejects.toThrow()
    await expect(store.createSession(makeRecord())).rejects.toThrow()
  })
}
