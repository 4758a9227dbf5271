import { Redis } from 'ioredis'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { dropRedisPrefix, redisUrl, uniqueName } from '../../test/namespaces.js'
import { startRedis } from '../../test/services.js'
import { describeStoreConformance, makeRecord } from '../testing/storeConformance.js'
import { redisStore } from './redis.js'
import { EXPIRED_RETENTION_MS, type SessionRecord, type StaleMark } from './SessionStore.js'

const filePrefix = `latch-test:${uniqueName('redis')}:`
afterAll(() => dropRedisPrefix(filePrefix))

describeStoreConformance(
  'redis',
  () => {
    const keyPrefix = `${filePrefix}${uniqueName('t')}:`
    return { open: async () => redisStore({ url: redisUrl(), keyPrefix }) }
  },
  { nativeSessionTtl: true },
)

describe('redisStore', () => {
  it('rejects bad options naming the option', () => {
    expect(() => redisStore({} as never)).toThrow(/`client`, `url` and `nodes`/)
    expect(() => redisStore({ url: 'http://x' })).toThrow(/`url`/)
    expect(() => redisStore({ url: redisUrl(), keyPrefix: 'a{b}' })).toThrow(/`keyPrefix`/)
  })

  it('puts all keys of a session in one hash slot and gives sessions a native TTL past expiry', async () => {
    const keyPrefix = `${filePrefix}${uniqueName('ttl')}:`
    const store = redisStore({ url: redisUrl(), keyPrefix })
    const raw = new Redis(redisUrl())
    const record = makeRecord({ expiresAt: Date.now() + 60_000, absoluteExpiresAt: Date.now() + 30_000 })
    await store.createSession(record)
    const key = `${keyPrefix}session:{${record.id}}`
    const pttl = await raw.pttl(key)
    // Capped by the absolute expiry, plus the retention.
    expect(pttl).toBeGreaterThan(EXPIRED_RETENTION_MS)
    expect(pttl).toBeLessThanOrEqual(EXPIRED_RETENTION_MS + 30_000)
    expect(await raw.ttl(`${keyPrefix}user:${record.userId}`)).toBeGreaterThan(EXPIRED_RETENTION_MS / 1000)
    raw.disconnect()
    await store.close()
  })

  it('reads sessions and stale marks written before claims versions as version 0; the first update makes 1', async () => {
    const keyPrefix = `${filePrefix}${uniqueName('cv')}:`
    const store = redisStore({ url: redisUrl(), keyPrefix })
    const raw = new Redis(redisUrl())
    const now = Date.now()
    const record = makeRecord({ userId: 'u-cv', expiresAt: now + 60_000 })
    await store.createSession(record)
    const key = `${keyPrefix}session:{${record.id}}`
    // As the previous release stored them: no claimsVersion field, a mark without a version.
    await raw.hdel(key, 'claimsVersion')
    const legacy = { sessionId: record.id, userId: 'u-cv', markedAt: now - 1234, expiresAt: now + 60_000 }
    await raw.zadd(`${keyPrefix}{stale}:index`, legacy.expiresAt, record.id)
    await raw.hset(`${keyPrefix}{stale}:data`, record.id, JSON.stringify(legacy))
    expect(await store.getSession(record.id)).toEqual(record)
    expect(await store.listStaleMarks(now)).toEqual([{ ...legacy, version: 0 }])
    // rotateIfCurrent (a Lua script reading every field) takes a missing version as 0 too.
    const rotation = {
      currentHash: 'next-hash',
      previousHash: record.currentHash,
      rotatedAt: now,
      successorSealed: 'sealed',
      lastRefreshedAt: now,
      idleExpiresAt: now + 60_000,
    }
    await store.getSession(record.id) // the store now knows the owner: the one-script path
    const done = await store.rotateIfCurrent!(record.id, record.currentHash, rotation, now)
    expect(done).toMatchObject({ rotated: true, before: { claimsVersion: 0 } })
    await raw.hdel(key, 'claimsVersion')
    const [mark] = await store.updateUserClaims('u-cv', { role: 'new' }, (r) => ({
      sessionId: r.id,
      userId: r.userId,
      version: r.claimsVersion,
      markedAt: now,
      expiresAt: now + 60_000,
    }))
    expect(mark?.version).toBe(1)
    expect(await store.getSession(record.id)).toMatchObject({ claims: { role: 'new' }, claimsVersion: 1 })
    expect(await store.listStaleMarks(now)).toEqual([mark])
    raw.disconnect()
    await store.close()
  })

  it('updateUserClaims covers a session created at the same moment (listed in the index, not yet stored)', async () => {
    const keyPrefix = `${filePrefix}${uniqueName('race')}:`
    const store = redisStore({ url: redisUrl(), keyPrefix })
    const other = redisStore({ url: redisUrl(), keyPrefix })
    const raw = new Redis(redisUrl())
    const pushed: StaleMark[] = []
    await other.subscribeRevocations({
      onRevoked: () => {},
      onResync: () => {},
      onStale: (m) => pushed.push(...m),
    })
    const now = Date.now()
    const stored = makeRecord({ userId: 'u-race', expiresAt: now + 60_000 })
    await store.createSession(stored)
    // A create on another instance, between its index write and its session write.
    const inFlight = makeRecord({ userId: 'u-race', claims: { role: 'old' }, expiresAt: now + 60_000 })
    await raw.zadd(`${keyPrefix}user:u-race`, inFlight.createdAt, inFlight.id)
    const mark = (r: SessionRecord): StaleMark => ({
      sessionId: r.id,
      userId: r.userId,
      version: r.claimsVersion,
      markedAt: now,
      expiresAt: now + 60_000,
    })
    const made = await store.updateUserClaims('u-race', { role: 'new' }, mark)
    // Counted: the stored session; the one in flight gets its mark pushed, naming version 1.
    expect(made.map((m) => m.sessionId)).toEqual([stored.id])
    await vi.waitFor(() =>
      expect(pushed.map((m) => [m.sessionId, m.version]).sort()).toEqual(
        [
          [inFlight.id, 1],
          [stored.id, 1],
        ].sort(),
      ),
    )
    // The create finishes: it stores the update's claims, version 1, so the token it signed
    // with the old claims (version 0) is stale and its first refresh issues the new ones.
    await other.createSession(inFlight)
    expect(await store.getSession(inFlight.id)).toMatchObject({ claims: { role: 'new' }, claimsVersion: 1 })
    expect(await raw.exists(`${keyPrefix}pending-claims:{${inFlight.id}}`)).toBe(0)
    // A create after the update has its own claims: nothing was left for it.
    const later = makeRecord({ userId: 'u-race', claims: { role: 'later' } })
    await other.createSession(later)
    expect(await store.getSession(later.id)).toMatchObject({ claims: { role: 'later' }, claimsVersion: 0 })
    raw.disconnect()
    await other.close()
    await store.close()
  })

  it('rotateIfCurrent in one step: TTL follows the rotation; a record missing a field is corrupt, not absent', async () => {
    const keyPrefix = `${filePrefix}${uniqueName('once')}:`
    const store = redisStore({ url: redisUrl(), keyPrefix })
    const raw = new Redis(redisUrl())
    const now = Date.now()
    const record = makeRecord({ expiresAt: now + 60_000 })
    await store.createSession(record)
    const key = `${keyPrefix}session:{${record.id}}`
    const rotation = {
      currentHash: 'next-hash',
      previousHash: record.currentHash,
      rotatedAt: now,
      successorSealed: 'sealed\nwith "a newline"',
      lastRefreshedAt: now,
      idleExpiresAt: now + 120_000,
    }
    const done = await store.rotateIfCurrent!(record.id, record.currentHash, rotation, now)
    expect(done).toEqual({ before: record, rotated: true })
    expect((await store.getSession(record.id))?.successorSealed).toBe('sealed\nwith "a newline"')
    expect(await raw.pttl(key)).toBeGreaterThan(EXPIRED_RETENTION_MS + 60_000)
    await raw.hdel(key, 'claims')
    await expect(store.rotateIfCurrent!(record.id, 'next-hash', rotation, now)).rejects.toMatchObject({
      code: 'corrupt_record',
    })
    raw.disconnect()
    await store.close()
  })

  it('calls onResync after the subscriber connection is lost, and keeps pushing', async () => {
    const keyPrefix = `${filePrefix}${uniqueName('resync')}:`
    const connectionName = uniqueName('latchsub')
    const client = new Redis(redisUrl(), { connectionName })
    const store = redisStore({ client, keyPrefix })
    const onResync = vi.fn()
    const seen: string[] = []
    await store.subscribeRevocations({ onRevoked: (r) => seen.push(...r.map((x) => x.sessionId)), onResync })
    const admin = new Redis(redisUrl())
    const list = (await admin.client('LIST')) as string
    const subLine = list.split('\n').find((l) => l.includes(`name=${connectionName}`) && / sub=1 /.test(l))
    const id = /\bid=(\d+)/.exec(subLine ?? '')?.[1]
    expect(id).toBeDefined()
    await admin.client('KILL', 'ID', id!)
    await vi.waitFor(() => expect(onResync).toHaveBeenCalledTimes(1), { timeout: 10_000 })
    const record = makeRecord()
    await store.createSession(record)
    await store.revokeSessions([record.id], (r) => ({
      sessionId: r.id,
      userId: r.userId,
      reason: 'revoked',
      revokedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    }))
    await vi.waitFor(() => expect(seen).toEqual([record.id]), { timeout: 10_000 })
    await store.close()
    // A client we were given stays open.
    expect(await client.ping()).toBe('PONG')
    client.disconnect()
    admin.disconnect()
  })

  it('prunes user-index entries of vanished sessions, but not young ones (a create in flight)', async () => {
    const keyPrefix = `${filePrefix}${uniqueName('prune')}:`
    const store = redisStore({ url: redisUrl(), keyPrefix })
    const raw = new Redis(redisUrl())
    const index = `${keyPrefix}user:u1`
    await raw.zadd(index, Date.now(), 'in-flight', Date.now() - 10 * 60 * 1000, 'vanished')
    expect(await store.listUserSessions('u1', Date.now())).toEqual([])
    expect(await raw.zrange(index, '0', '-1')).toEqual(['in-flight'])
    raw.disconnect()
    await store.close()
  })

  it('rejects, rather than hangs, while Redis is unreachable', async () => {
    const store = redisStore({ url: 'redis://127.0.0.1:1', redisOptions: { retryStrategy: () => 50 } })
    await expect(store.getSession('x')).rejects.toThrow()
    await store.close()
  })

  it('rejects during an outage, then works again and resyncs when Redis is back', async () => {
    const cleanups: (() => Promise<void> | void)[] = []
    try {
      const url = await startRedis(cleanups)
      const port = Number(new URL(url).port)
      const store = redisStore({ url, redisOptions: { retryStrategy: () => 50 } })
      const onResync = vi.fn()
      await store.subscribeRevocations({ onRevoked: () => {}, onResync })
      await store.createSession(makeRecord())
      for (const cleanup of cleanups.splice(0)) await cleanup()
      await expect(store.createSession(makeRecord())).rejects.toThrow()
      await startRedis(cleanups, port)
      const record = makeRecord()
      await vi.waitFor(() => store.createSession(record), { timeout: 10_000 })
      expect(await store.getSession(record.id)).toEqual(record)
      await vi.waitFor(() => expect(onResync).toHaveBeenCalledTimes(1), { timeout: 10_000 })
      await store.close()
    } finally {
      for (const cleanup of cleanups) await cleanup()
    }
  })

  it('ignores garbage on its pub/sub channel', async () => {
    const keyPrefix = `${filePrefix}${uniqueName('garbage')}:`
    const store = redisStore({ url: redisUrl(), keyPrefix })
    const onRevoked = vi.fn()
    await store.subscribeRevocations({ onRevoked, onResync: () => {} })
    const raw = new Redis(redisUrl())
    await raw.publish(`${keyPrefix}revocations`, '{not json')
    await raw.publish(`${keyPrefix}revocations`, JSON.stringify([{ sessionId: 1 }]))
    const record = makeRecord()
    await store.createSession(record)
    await store.revokeSessions([record.id], (r) => ({
      sessionId: r.id,
      userId: r.userId,
      reason: 'revoked',
      revokedAt: 1,
      expiresAt: 2,
    }))
    // Pub/sub preserves order: once the real revocation arrives, the garbage has been handled.
    await vi.waitFor(() =>
      expect(onRevoked).toHaveBeenCalledWith([expect.objectContaining({ sessionId: record.id })]),
    )
    expect(onRevoked.mock.calls.flat(2).every((r: any) => typeof r.sessionId === 'string')).toBe(true)
    raw.disconnect()
    await store.close()
  })
})
