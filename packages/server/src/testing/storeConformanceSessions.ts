import fc from 'fast-check'
import { expect, it, vi } from 'vitest'
import { currentRotationOf } from '../stores/rotationRule.js'
import type { CurrentRotation, RotationUpdate, SessionRecord } from '../stores/SessionStore.js'
import {
  type ConformanceContext,
  HOUR,
  makeId,
  makeRecord,
  revokeWith,
  rotation,
} from './storeConformanceFixtures.js'

/** Conformance tests of one session's life: create, read, rotate, list, revoke. */
export function sessionConformanceTests(ctx: ConformanceContext): void {
  it('round-trips a session exactly and returns null for an unknown id', async () => {
    const { store } = await ctx.setup()
    const record = makeRecord()
    await store.createSession(record)
    expect(await store.getSession(record.id)).toEqual(record)
    expect(await store.getSession(makeId())).toBeNull()
    const bare = makeRecord({ claims: {}, userAgent: null, ip: null, absoluteExpiresAt: Date.now() + HOUR })
    await store.createSession(bare)
    expect(await store.getSession(bare.id)).toEqual(bare)
  })

  it('round-trips arbitrary claims and text exactly (property)', async () => {
    const { store } = await ctx.setup()
    // NUL cannot occur in HTTP headers or in Postgres text; everything else must survive.
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\0'))
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          userId: text,
          userAgent: fc.option(text),
          ip: fc.option(text),
          // Claims travel as JSON (into every access token too): normalise what JSON cannot
          // represent, such as -0, before asking stores to keep it exactly.
          claims: fc
            .dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }))
            .map((c) => JSON.parse(JSON.stringify(c)) as Record<string, unknown>),
          generation: fc.nat(),
        }),
        async (fields) => {
          const record = makeRecord(fields)
          await store.createSession(record)
          expect(await store.getSession(record.id)).toEqual(record)
          expect((await store.listUserSessions(fields.userId, Date.now())).map((r) => r.id)).toContain(
            record.id,
          )
        },
      ),
      { numRuns: 25 },
    )
  })

  it('rejects a second session with the same id', async () => {
    const { store } = await ctx.setup()
    const record = makeRecord()
    await store.createSession(record)
    await expect(store.createSession({ ...record, userId: 'someone-else' })).rejects.toMatchObject({
      code: 'session_exists',
    })
    expect((await store.getSession(record.id))?.userId).toBe('user-1')
  })

  it('cannot be changed through objects passed in or handed out', async () => {
    const { store } = await ctx.setup()
    const record = makeRecord()
    await store.createSession(record)
    record.userId = 'mallory'
    ;(record.claims as { role: string }).role = 'root'
    const got = (await store.getSession(record.id))!
    expect(got.userId).toBe('user-1')
    expect(got.claims.role).toBe('admin')
    got.currentHash = 'x'
    expect((await store.getSession(record.id))!.currentHash).not.toBe('x')
  })

  it('rotates only when the expected hash is current, and changes only rotation fields', async () => {
    const { store } = await ctx.setup()
    const record = makeRecord()
    await store.createSession(record)
    const update = rotation(record)
    expect(await store.rotateSession(record.id, 'not-the-hash', update)).toBe(false)
    expect(await store.rotateSession(makeId(), record.currentHash, update)).toBe(false)
    expect(await store.getSession(record.id)).toEqual(record)
    const sneaky = { ...update, userId: 'mallory', claims: { role: 'root' } } as RotationUpdate
    expect(await store.rotateSession(record.id, record.currentHash, sneaky)).toBe(true)
    expect(await store.getSession(record.id)).toEqual({ ...record, ...update })
    // The old hash is no longer current.
    expect(await store.rotateSession(record.id, record.currentHash, rotation(record))).toBe(false)
  })

  it('lets exactly one of many concurrent rotations with the same hash win, across instances', async () => {
    const { store, peer } = await ctx.setup()
    const other = await peer()
    const record = makeRecord()
    await store.createSession(record)
    const updates = Array.from({ length: 24 }, () => rotation(record))
    const results = await Promise.all(
      updates.map((u, i) => (i % 2 ? other : store).rotateSession(record.id, record.currentHash, u)),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    const winner = updates[results.indexOf(true)]!
    expect(await other.getSession(record.id)).toEqual({ ...record, ...winner })
  })

  it('rotateIfCurrent (optional): rotates a current, live session in one step, and only that', async (t) => {
    const { store } = await ctx.setup()
    if (!store.rotateIfCurrent) return t.skip()
    const now = Date.now()
    const record = makeRecord({ generation: 4, absoluteExpiresAt: now + 3 * HOUR })
    await store.createSession(record)
    const next = (overrides: Partial<CurrentRotation> = {}): CurrentRotation => {
      const { generation: _, expiresAt, ...fields } = rotation(record)
      return { ...fields, idleExpiresAt: expiresAt, ...overrides }
    }
    // Not current, unknown, idle-expired or past the absolute expiry: nothing changes.
    const missed = await store.rotateIfCurrent(record.id, 'not-the-hash', next(), now)
    expect(missed).toEqual({ before: record, rotated: false })
    expect(await store.rotateIfCurrent(makeId(), record.currentHash, next(), now)).toEqual({
      before: null,
      rotated: false,
    })
    for (const at of [record.absoluteExpiresAt!, now + 5 * HOUR]) {
      expect((await store.rotateIfCurrent(record.id, record.currentHash, next(), at)).rotated).toBe(false)
    }
    expect(await store.getSession(record.id)).toEqual(record)
    const idleOnly = makeRecord({ expiresAt: now + HOUR })
    await store.createSession(idleOnly)
    const late = await store.rotateIfCurrent(idleOnly.id, idleOnly.currentHash, next(), idleOnly.expiresAt)
    expect(late).toEqual({ before: idleOnly, rotated: false })
    // Current and live: generation + 1, the expiry capped by the absolute one, other fields kept.
    const sneaky = { ...next(), userId: 'mallory', claims: { role: 'root' } } as CurrentRotation
    const done = await store.rotateIfCurrent(record.id, record.currentHash, sneaky, now)
    expect(done).toEqual({ before: record, rotated: true })
    const { idleExpiresAt: _, ...written } = sneaky as CurrentRotation & Partial<SessionRecord>
    const after = await store.getSession(record.id)
    expect(after).toEqual({
      ...record,
      ...written,
      userId: record.userId,
      claims: record.claims,
      generation: 5,
      expiresAt: record.absoluteExpiresAt,
    })
    // Uncapped: the idle expiry as given, to the millisecond.
    const idle = now + HOUR + 1
    const again = await store.rotateIfCurrent(
      record.id,
      after!.currentHash,
      next({ idleExpiresAt: idle }),
      now,
    )
    expect([again.rotated, (await store.getSession(record.id))!.expiresAt]).toEqual([true, idle])
    // The old hash is no longer current; the session is as the last rotation left it.
    const stale = await store.rotateIfCurrent(record.id, record.currentHash, next(), now)
    expect(stale.rotated).toBe(false)
    expect(stale.before?.generation).toBe(6)
  })

  it('rotateIfCurrent (optional): agrees with the TypeScript rule (currentRotationOf) case by case', async (t) => {
    const { store } = await ctx.setup()
    if (!store.rotateIfCurrent) return t.skip()
    const now = Date.now()
    // The Lua and SQL versions of the rule must match rotationRule.ts on every combination of:
    // current or not, live or past its idle or absolute expiry, capped or not, bound or not.
    const bindings: [string | null, string | null][] = store.claimNonce
      ? [
          [null, null],
          [null, 'key-a'],
          ['key-a', null],
          ['key-a', 'key-a'],
          ['key-a', 'key-b'],
        ]
      : [[null, null]]
    for (const current of [true, false])
      for (const absolute of [null, now + HOUR])
        for (const at of [now, now + HOUR, now + 2 * HOUR])
          for (const [bound, proven] of bindings) {
            const record = makeRecord({
              expiresAt: now + 2 * HOUR,
              absoluteExpiresAt: absolute,
              binding: bound,
            })
            await store.createSession(record)
            const { generation: _, expiresAt: __, ...fields } = rotation(record)
            const next: CurrentRotation = { ...fields, idleExpiresAt: at + 3 * HOUR, binding: proven }
            const presented = current ? record.currentHash : `${record.currentHash}x`
            const expected = currentRotationOf(record, presented, next, at)
            const label = JSON.stringify({
              current,
              absolute: absolute !== null,
              at: at - now,
              bound,
              proven,
            })
            const result = await store.rotateIfCurrent(record.id, presented, next, at)
            expect(result, label).toEqual({ before: record, rotated: expected !== null })
            expect(await store.getSession(record.id), label).toEqual(
              expected ? { ...record, ...expected } : record,
            )
          }
  })

  it('rotateIfCurrent (optional): one of many concurrent calls with the same hash wins, across instances', async (t) => {
    const { store, peer } = await ctx.setup()
    if (!store.rotateIfCurrent) return t.skip()
    const other = await peer()
    const record = makeRecord()
    await store.createSession(record)
    const now = Date.now()
    const rotations = Array.from({ length: 24 }, () => {
      const { generation: _, expiresAt, ...fields } = rotation(record)
      return { ...fields, idleExpiresAt: expiresAt }
    })
    // The instance that created the session may rotate it in one step; a store that only read it
    // may need more (Redis touches the user index first): both kinds of call race here.
    const results = await Promise.all(
      rotations.map((r, i) =>
        (i % 2 ? other : store).rotateIfCurrent!(record.id, record.currentHash, r, now),
      ),
    )
    expect(results.filter((r) => r.rotated)).toHaveLength(1)
    expect(results.every((r) => r.before !== null)).toBe(true)
    const winner = rotations[results.findIndex((r) => r.rotated)]!
    expect((await other.getSession(record.id))?.currentHash).toBe(winner.currentHash)
    expect((await store.getSession(record.id))?.generation).toBe(record.generation + 1)
  })

  it('lists a user’s live sessions newest first', async () => {
    const { store } = await ctx.setup()
    const now = Date.now()
    const user = `u-${makeId()}`
    const old = makeRecord({ userId: user, createdAt: now - 3 * HOUR })
    const mid = makeRecord({ userId: user, createdAt: now - 2 * HOUR })
    const young = makeRecord({ userId: user, createdAt: now - HOUR })
    const idleExpired = makeRecord({ userId: user, expiresAt: now - HOUR })
    const absExpired = makeRecord({ userId: user, absoluteExpiresAt: now - 1 })
    const stranger = makeRecord({ userId: `${user}-other` })
    for (const r of [mid, idleExpired, old, young, absExpired, stranger]) await store.createSession(r)
    const listed = await store.listUserSessions(user, now)
    expect(listed.map((r) => r.id)).toEqual([young.id, mid.id, old.id])
    expect(listed[0]).toEqual(young)
    expect(await store.listUserSessions(`u-${makeId()}`, now)).toEqual([])
  })

  it('revokes sessions, records revocations only for sessions that existed', async () => {
    const { store } = await ctx.setup()
    const a = makeRecord()
    const b = makeRecord()
    const keep = makeRecord()
    for (const r of [a, b, keep]) await store.createSession(r)
    const make = vi.fn(revokeWith('revoked'))
    const made = await store.revokeSessions([a.id, a.id, makeId(), b.id], make)
    expect(made.map((r) => r.sessionId).sort()).toEqual([a.id, b.id].sort())
    expect(make.mock.calls.map(([r]) => r.id).sort()).toEqual([a.id, b.id].sort())
    expect(make.mock.calls[0]![0]).toEqual(make.mock.calls[0]![0].id === a.id ? a : b)
    expect(await store.getSession(a.id)).toBeNull()
    expect(await store.getSession(b.id)).toBeNull()
    expect(await store.getSession(keep.id)).toEqual(keep)
    const listed = await store.listRevocations(Date.now())
    expect(listed.sort((x, y) => (x.sessionId < y.sessionId ? -1 : 1))).toEqual(
      made.sort((x, y) => (x.sessionId < y.sessionId ? -1 : 1)),
    )
    // Revoking again makes nothing.
    expect(await store.revokeSessions([a.id], make)).toEqual([])
    expect(await store.revokeSessions([], make)).toEqual([])
  })

  it('changes nothing when make() throws', async () => {
    const { store } = await ctx.setup()
    const a = makeRecord()
    const b = makeRecord()
    for (const r of [a, b]) await store.createSession(r)
    let calls = 0
    const failSecond = (record: SessionRecord) => {
      if (++calls === 2) throw new Error('make failed')
      return revokeWith('revoked')(record)
    }
    await expect(store.revokeSessions([a.id, b.id], failSecond)).rejects.toThrow('make failed')
    expect(await store.getSession(a.id)).toEqual(a)
    expect(await store.getSession(b.id)).toEqual(b)
    expect(await store.listRevocations(0)).toEqual([])
  })

  it('revokes all of a user’s sessions except one', async () => {
    const { store } = await ctx.setup()
    const user = `u-${makeId()}`
    const [s1, s2, s3] = [
      makeRecord({ userId: user }),
      makeRecord({ userId: user }),
      makeRecord({ userId: user }),
    ]
    const stranger = makeRecord({ userId: `${user}-x` })
    for (const r of [s1!, s2!, s3!, stranger]) await store.createSession(r)
    const made = await store.revokeUserSessions(user, s2!.id, revokeWith('revoked'))
    expect(made.map((r) => r.sessionId).sort()).toEqual([s1!.id, s3!.id].sort())
    expect(made.every((r) => r.userId === user && r.reason === 'revoked')).toBe(true)
    expect((await store.listUserSessions(user, Date.now())).map((r) => r.id)).toEqual([s2!.id])
    expect(await store.getSession(stranger.id)).toEqual(stranger)
    const all = await store.revokeUserSessions(user, null, revokeWith('theft'))
    expect(all.map((r) => r.sessionId)).toEqual([s2!.id])
    expect(await store.listUserSessions(user, Date.now())).toEqual([])
  })
}
