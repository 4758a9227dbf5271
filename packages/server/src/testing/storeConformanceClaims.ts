import { expect, it, vi } from 'vitest'
import type { KeyRevocation, RevocationSubscriber, SessionRecord, StaleMark } from '../stores/SessionStore.js'
import {
  type ConformanceContext,
  HOUR,
  makeRecord,
  revokeWith,
  rotation,
} from './storeConformanceFixtures.js'

const markWith =
  (markedAt = Date.now()) =>
  (record: SessionRecord): StaleMark => ({
    sessionId: record.id,
    userId: record.userId,
    version: record.claimsVersion,
    markedAt,
    expiresAt: markedAt + 10 * 60 * 1000,
  })

function recorder() {
  const stale: StaleMark[] = []
  const keys: KeyRevocation[] = []
  const subscriber: RevocationSubscriber = {
    onRevoked: () => {},
    onResync: () => {},
    onStale: (m) => stale.push(...m),
    onKeysRevoked: (k) => keys.push(...k),
  }
  return { stale, keys, subscriber }
}

/** Conformance tests of claims updates (stale marks) and key revocation. */
export function claimsConformanceTests(ctx: ConformanceContext): void {
  it('revokes a kid once, for good: listed by every instance, pushed to every subscriber', async () => {
    const { store, peer } = await ctx.setup()
    const other = await peer()
    const here = recorder()
    const there = recorder()
    await store.subscribeRevocations(here.subscriber)
    await other.subscribeRevocations(there.subscriber)
    expect(await store.listRevokedKeys()).toEqual([])
    const revocation = { kid: 'leaked-kid', revokedAt: Date.now() }
    expect(await store.revokeKey(revocation)).toBe(true)
    await vi.waitFor(() => expect(there.keys).toEqual([revocation]), { timeout: 5000 })
    await vi.waitFor(() => expect(here.keys).toEqual([revocation]), { timeout: 5000 })
    // A second revocation of the same kid changes nothing and pushes nothing.
    expect(await other.revokeKey({ kid: 'leaked-kid', revokedAt: Date.now() + 1 })).toBe(false)
    expect(await other.listRevokedKeys()).toEqual([revocation])
    // Kept even when the key itself is deleted, and by the sweep.
    await store.deleteKeys(['leaked-kid'])
    await store.deleteExpired(Date.now() + 100 * HOUR, Date.now() + 100 * HOUR, 100)
    expect(await store.listRevokedKeys()).toEqual([revocation])
    await new Promise((r) => setTimeout(r, 50))
    expect(there.keys).toHaveLength(1)
  })

  it('replaces the claims of sessions and marks them stale, pushed to every instance', async () => {
    const { store, peer } = await ctx.setup()
    const other = await peer()
    const there = recorder()
    await other.subscribeRevocations(there.subscriber)
    const a = makeRecord()
    const b = makeRecord()
    for (const r of [a, b]) await store.createSession(r)
    const claims = { name: 'Zoë', roles: ['admin'], n: 1.5 }
    const made = await store.updateSessionClaims([a.id, a.id, 'unknown-id'], claims, markWith())
    // The store raises the version and the mark names the version it made.
    expect(made).toEqual([markWith(made[0]?.markedAt)({ ...a, claimsVersion: 1 })])
    expect(await other.getSession(a.id)).toEqual({ ...a, claims, claimsVersion: 1 })
    expect(await other.getSession(b.id)).toEqual(b)
    await vi.waitFor(() => expect(there.stale).toEqual(made), { timeout: 5000 })
    expect(await other.listStaleMarks(Date.now())).toEqual(made)
    expect(await store.updateSessionClaims([], claims, markWith())).toEqual([])
    // A later mark of the same session wins.
    const later = await store.updateSessionClaims([a.id], {}, markWith(Date.now() + 1000))
    expect(later.map((m) => m.version)).toEqual([2])
    expect(await store.listStaleMarks(Date.now())).toEqual(later)
    expect(await store.getSession(a.id)).toMatchObject({ claims: {}, claimsVersion: 2 })
  })

  it('rotateSession with an expected claims version refuses once the claims changed (read and rotation atomic)', async () => {
    const { store } = await ctx.setup()
    const a = makeRecord()
    await store.createSession(a)
    await store.updateSessionClaims([a.id], { role: 'new' }, markWith())
    // Read at version 0, then the update: the swap must fail, so the retry reads the new claims.
    expect(await store.rotateSession(a.id, a.currentHash, rotation(a), 0)).toBe(false)
    expect(await store.getSession(a.id)).toMatchObject({ generation: 0, claimsVersion: 1 })
    expect(await store.rotateSession(a.id, a.currentHash, rotation(a), 1)).toBe(true)
    // Without the expectation it is the plain compare-and-swap on the hash.
    const b = makeRecord()
    await store.createSession(b)
    await store.updateSessionClaims([b.id], { role: 'new' }, markWith())
    expect(await store.rotateSession(b.id, b.currentHash, rotation(b))).toBe(true)
    if (!store.rotateIfCurrent) return
    // rotateIfCurrent reads and rotates in one step: what it hands back is the newest claims and version.
    const c = makeRecord()
    await store.createSession(c)
    await store.updateSessionClaims([c.id], { role: 'c' }, markWith())
    const now = Date.now()
    const { before, rotated } = await store.rotateIfCurrent(
      c.id,
      c.currentHash,
      {
        currentHash: 'next-hash',
        previousHash: c.currentHash,
        rotatedAt: now,
        successorSealed: 'sealed',
        lastRefreshedAt: now,
        idleExpiresAt: now + HOUR,
      },
      now,
    )
    expect(rotated).toBe(true)
    expect(before).toMatchObject({ claims: { role: 'c' }, claimsVersion: 1 })
  })

  it("updates every session of a user and no one else's; a throwing make changes nothing", async () => {
    const { store } = await ctx.setup()
    const mine = [makeRecord({ userId: 'u-claims' }), makeRecord({ userId: 'u-claims' })]
    const theirs = makeRecord({ userId: 'u-other' })
    for (const r of [...mine, theirs]) await store.createSession(r)
    await expect(
      store.updateUserClaims('u-claims', { role: 'x' }, () => {
        throw new Error('make failed')
      }),
    ).rejects.toThrow('make failed')
    for (const r of mine) expect((await store.getSession(r.id))?.claims).toEqual(r.claims)
    expect(await store.listStaleMarks(0)).toEqual([])
    const made = await store.updateUserClaims('u-claims', { role: 'editor' }, markWith())
    expect(made.map((m) => m.sessionId).sort()).toEqual(mine.map((r) => r.id).sort())
    for (const r of mine)
      expect(await store.getSession(r.id)).toMatchObject({ claims: { role: 'editor' }, claimsVersion: 1 })
    expect(made.map((m) => m.version)).toEqual([1, 1])
    expect(await store.getSession(theirs.id)).toEqual(theirs)
    expect(await store.updateUserClaims('nobody', { role: 'x' }, markWith())).toEqual([])
    // A revoked session is gone: nothing to update.
    await store.revokeSessions([mine[0]!.id], revokeWith('revoked'))
    expect(await store.updateUserClaims('u-claims', { role: 'y' }, markWith())).toHaveLength(1)
  })

  it('lists live stale marks only, and sweeps lapsed ones in bounded batches', async () => {
    const { store } = await ctx.setup()
    const now = Date.now()
    const old = Array.from({ length: 3 }, () => makeRecord())
    const live = makeRecord()
    for (const r of [...old, live]) await store.createSession(r)
    await store.updateSessionClaims(
      old.map((r) => r.id),
      { v: 1 },
      markWith(now - HOUR),
    )
    const [liveMark] = await store.updateSessionClaims([live.id], { v: 2 }, markWith(now))
    expect(await store.listStaleMarks(now)).toEqual([liveMark])
    expect(await store.listStaleMarks(0)).toHaveLength(4)
    expect(await store.deleteExpired(0, now, 2)).toBe(2)
    expect(await store.deleteExpired(0, now, 100)).toBe(1)
    expect(await store.listStaleMarks(0)).toEqual([liveMark])
    // The sessions themselves stay.
    for (const r of old) expect((await store.getSession(r.id))?.claims).toEqual({ v: 1 })
  })
}
