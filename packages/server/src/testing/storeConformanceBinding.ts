import { randomBytes } from 'node:crypto'
import { expect, it } from 'vitest'
import type { CurrentRotation, SessionRecord } from '../stores/SessionStore.js'
import { type ConformanceContext, HOUR, makeRecord, rotation } from './storeConformanceFixtures.js'

const nonceKey = () => randomBytes(32).toString('base64url')

/**
 * Conformance tests of bound refresh: the session's binding, and proof `jti`s spent once. Binding
 * is in force only with a store that has `claimNonce`, so a store without it skips them all.
 */
export function bindingConformanceTests(ctx: ConformanceContext): void {
  it('claimNonce (optional): keeps a session’s binding, and rotating never changes it', async (t) => {
    const { store, peer } = await ctx.setup()
    if (!store.claimNonce) return t.skip()
    const bound = makeRecord({ binding: nonceKey() })
    await store.createSession(bound)
    expect(await store.getSession(bound.id)).toEqual(bound)
    const update = rotation(bound)
    expect(await store.rotateSession(bound.id, bound.currentHash, update)).toBe(true)
    expect((await (await peer()).getSession(bound.id))?.binding).toBe(bound.binding)
    const [listed] = await store.listUserSessions(bound.userId, Date.now())
    expect(listed?.binding).toBe(bound.binding)
  })

  it('rotateIfCurrent (optional): a bound session rotates only for its key', async (t) => {
    const { store } = await ctx.setup()
    if (!store.rotateIfCurrent || !store.claimNonce) return t.skip()
    const now = Date.now()
    const thumbprint = nonceKey()
    const bound = makeRecord({ binding: thumbprint })
    const unbound = makeRecord()
    await store.createSession(bound)
    await store.createSession(unbound)
    const next = (record: SessionRecord, binding: string | null): CurrentRotation => {
      const { generation: _, expiresAt, ...fields } = rotation(record)
      return { ...fields, idleExpiresAt: expiresAt, binding }
    }
    for (const other of [null, nonceKey()]) {
      const refused = await store.rotateIfCurrent(bound.id, bound.currentHash, next(bound, other), now)
      expect(refused).toEqual({ before: bound, rotated: false })
    }
    const done = await store.rotateIfCurrent(bound.id, bound.currentHash, next(bound, thumbprint), now)
    expect(done).toEqual({ before: bound, rotated: true })
    expect(await store.getSession(bound.id)).toMatchObject({ generation: 1, binding: thumbprint })
    // An unbound session rotates with or without a proven key, and stays unbound.
    const free = await store.rotateIfCurrent(unbound.id, unbound.currentHash, next(unbound, thumbprint), now)
    expect(free.rotated).toBe(true)
    expect((await store.getSession(unbound.id))?.binding).toBeNull()
  })

  it('claimNonce (optional): a key is accepted once until it expires, then again', async (t) => {
    const { store } = await ctx.setup()
    if (!store.claimNonce) return t.skip()
    const now = Date.now()
    const key = nonceKey()
    expect(await store.claimNonce(key, now + HOUR, now)).toBe(true)
    expect(await store.claimNonce(key, now + HOUR, now + 1000)).toBe(false)
    expect(await store.claimNonce(nonceKey(), now + HOUR, now)).toBe(true)
    // Expired (a short life, waited out on the real clock for stores with native TTLs).
    const short = nonceKey()
    expect(await store.claimNonce(short, Date.now() + 50, Date.now())).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 120))
    expect(await store.claimNonce(short, Date.now() + HOUR, Date.now())).toBe(true)
    expect(await store.claimNonce(short, Date.now() + HOUR, Date.now())).toBe(false)
  })

  it('claimNonce (optional): of many concurrent claims of one key across instances, one wins', async (t) => {
    const { store, peer } = await ctx.setup()
    if (!store.claimNonce) return t.skip()
    const other = await peer()
    const key = nonceKey()
    const now = Date.now()
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 ? other : store).claimNonce!(key, now + HOUR, now)),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
  })

  it('claimNonce (optional): deleteExpired forgets expired keys (stores without native TTLs)', async (t) => {
    const { store } = await ctx.setup()
    if (!store.claimNonce || ctx.capabilities.nativeSessionTtl) return t.skip()
    const now = Date.now()
    const key = nonceKey()
    expect(await store.claimNonce(key, now - 1, now - 2)).toBe(true)
    expect(await store.deleteExpired(now - 10 * HOUR, now, 100)).toBeGreaterThanOrEqual(1)
  })
}
