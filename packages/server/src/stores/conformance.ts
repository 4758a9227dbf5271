/**
 * The store conformance suite: every store runs the same tests (`describeStoreConformance` from
 * its own `*.test.ts`). Test-only: imports vitest, and no entry point imports this file.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  EXPIRED_RETENTION_MS,
  type Revocation,
  type RotationUpdate,
  type SessionRecord,
  type SessionStore,
  type StoredKey,
} from './SessionStore.js'

/** A fresh, empty namespace (key prefix, schema, file) in which instances of one store can be opened. */
export interface ConformanceNamespace {
  /** Opens an instance over this namespace; a second call is "another server" (another connection). */
  open(): Promise<SessionStore>
  /** Drops the namespace after the test (instances are closed by the suite first). */
  cleanup?(): Promise<void>
}

/** What a store does differently, by design. */
export interface ConformanceCapabilities {
  /**
   * Sessions expire by a native TTL (`EXPIRED_RETENTION_MS` past expiry) rather than through
   * `deleteExpired`, which then only removes revocations. Defaults to `false`.
   */
  nativeSessionTtl?: boolean
}

const HOUR = 60 * 60 * 1000

/** Random session id in the refresh-token alphabet. */
export function makeId(): string {
  return randomBytes(16).toString('base64url')
}

/** A valid record with every nullable field filled, so round-trips are exercised fully. */
export function makeRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now()
  return {
    id: makeId(),
    userId: 'user-1',
    createdAt: now,
    lastRefreshedAt: now,
    expiresAt: now + 24 * HOUR,
    absoluteExpiresAt: null,
    generation: 0,
    currentHash: randomBytes(32).toString('base64url'),
    previousHash: null,
    rotatedAt: null,
    successorSealed: null,
    claims: { role: 'admin', nested: { a: [1, 'two', null, true] }, unicode: 'zoë ☃' },
    userAgent: 'Mozilla/5.0 (test)',
    ip: '2001:db8::1',
    ...overrides,
  }
}

function rotation(record: SessionRecord, overrides: Partial<RotationUpdate> = {}): RotationUpdate {
  const now = Date.now()
  return {
    generation: record.generation + 1,
    currentHash: randomBytes(32).toString('base64url'),
    previousHash: record.currentHash,
    rotatedAt: now,
    successorSealed: `sealed.${randomBytes(24).toString('base64url')}`,
    lastRefreshedAt: now,
    expiresAt: now + 48 * HOUR,
    ...overrides,
  }
}

function makeKey(kid: string, createdAt = Date.now()): StoredKey {
  return {
    kid,
    alg: 'EdDSA',
    publicJwk: `{"kty":"OKP","x":"${kid}"}`,
    privateJwk: `{"d":"${kid}"}`,
    createdAt,
  }
}

const revokeWith =
  (reason: Revocation['reason'], revokedAt = Date.now()) =>
  (record: SessionRecord): Revocation => ({
    sessionId: record.id,
    userId: record.userId,
    reason,
    revokedAt,
    expiresAt: revokedAt + 10 * 60 * 1000,
  })

/** Registers the conformance tests for one store. `makeNamespace` is called once per test. */
export function describeStoreConformance(
  name: string,
  makeNamespace: () => Promise<ConformanceNamespace> | ConformanceNamespace,
  capabilities: ConformanceCapabilities = {},
): void {
  describe(`${name} store conformance`, () => {
    const opened: SessionStore[] = []
    const namespaces: ConformanceNamespace[] = []

    async function setup(): Promise<{ store: SessionStore; peer: () => Promise<SessionStore> }> {
      const ns = await makeNamespace()
      namespaces.push(ns)
      const open = async () => {
        const s = await ns.open()
        opened.push(s)
        return s
      }
      return { store: await open(), peer: open }
    }

    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close()
      for (const ns of namespaces.splice(0)) await ns.cleanup?.()
    })

    it('round-trips a session exactly and returns null for an unknown id', async () => {
      const { store } = await setup()
      const record = makeRecord()
      await store.createSession(record)
      expect(await store.getSession(record.id)).toEqual(record)
      expect(await store.getSession(makeId())).toBeNull()
      const bare = makeRecord({ claims: {}, userAgent: null, ip: null, absoluteExpiresAt: Date.now() + HOUR })
      await store.createSession(bare)
      expect(await store.getSession(bare.id)).toEqual(bare)
    })

    it('round-trips arbitrary claims and text exactly (property)', async () => {
      const { store } = await setup()
      // NUL cannot occur in HTTP headers or in Postgres text; everything else must survive.
      const text = fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
        .filter((s) => !s.includes('\0'))
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            userId: text,
            userAgent: fc.option(text),
            ip: fc.option(text),
            claims: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
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
      const { store } = await setup()
      const record = makeRecord()
      await store.createSession(record)
      await expect(store.createSession({ ...record, userId: 'someone-else' })).rejects.toMatchObject({
        code: 'session_exists',
      })
      expect((await store.getSession(record.id))?.userId).toBe('user-1')
    })

    it('cannot be changed through objects passed in or handed out', async () => {
      const { store } = await setup()
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
      const { store } = await setup()
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
      const { store, peer } = await setup()
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

    it('lists a user’s live sessions newest first', async () => {
      const { store } = await setup()
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
      const { store } = await setup()
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
      const { store } = await setup()
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
      const { store } = await setup()
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

    it('lists only revocations that have not expired', async () => {
      const { store } = await setup()
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
      const { store, peer } = await setup()
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
      const { store } = await setup()
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
      const { store, peer } = await setup()
      const instances = [store, await peer(), await peer()]
      const candidates = Array.from({ length: 12 }, (_, i) => makeKey(`start-${i}`))
      const results = await Promise.all(candidates.map((k, i) => instances[i % 3]!.addKey(k, null)))
      expect(results.filter(Boolean)).toHaveLength(1)
      const keys = await instances[1]!.listKeys()
      expect(keys).toEqual([candidates[results.indexOf(true)]])
    })

    it('agrees on one secret per name', async () => {
      const { store, peer } = await setup()
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
      const { store } = await setup()
      const now = Date.now()
      const expired = makeRecord({ expiresAt: now - HOUR })
      await store.createSession(expired)
      expect(await store.getSession(expired.id)).toEqual(expired)
      await store.deleteExpired(now - EXPIRED_RETENTION_MS, now, 100)
      expect(await store.getSession(expired.id)).toEqual(expired)
      if (!capabilities.nativeSessionTtl) {
        await store.deleteExpired(now, now, 100)
        expect(await store.getSession(expired.id)).toBeNull()
      }
    })

    it('deletes expired rows in bounded batches', async () => {
      const { store } = await setup()
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
      if (!capabilities.nativeSessionTtl) {
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
      const { store } = await setup()
      await store.close()
      await store.close()
      await expect(store.getSession(makeId())).rejects.toThrow()
      await expect(store.createSession(makeRecord())).rejects.toThrow()
    })
  })
}
