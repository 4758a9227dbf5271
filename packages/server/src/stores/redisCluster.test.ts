/**
 * The Redis store on a real Redis Cluster (three masters on loopback, started by this file): the
 * store conformance suite, slot placement, and pushes across nodes. The multi-process scenarios
 * (refresh race, a master stopped) are in `multiInstance.test.ts`.
 */
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  dropRedisClusterPrefix,
  keySlot,
  startRedisCluster,
  type TestRedisCluster,
} from '../../test/instance/redisCluster.js'
import { uniqueName } from '../../test/namespaces.js'
import { describeStoreConformance, makeRecord } from '../testing/storeConformance.js'
import { HOUR, rotation } from '../testing/storeConformanceFixtures.js'
import { redisKeys } from './redis/redisKeys.js'
import { redisStore } from './redis.js'
import type { SessionStore } from './SessionStore.js'

let cluster: TestRedisCluster
beforeAll(async () => {
  const started = performance.now()
  cluster = await startRedisCluster()
  console.info(`[redis cluster] 3 masters up in ${Math.round(performance.now() - started)} ms`)
}, 60_000)
afterAll(() => cluster?.destroy())

const nodeUrls = () => cluster.nodes.map((n) => n.url)

const dropPrefix = (prefix: string) => dropRedisClusterPrefix(cluster, prefix)

const revokeAll = (store: SessionStore, id: string) =>
  store.revokeSessions([id], (r) => ({
    sessionId: r.id,
    userId: r.userId,
    reason: 'revoked',
    revokedAt: Date.now(),
    expiresAt: Date.now() + 60_000,
  }))

/** The id of the connection named `name` in subscribe mode on the master at `url`, if any. */
async function subscriberOn(url: string, name: string): Promise<string | undefined> {
  const admin = new Redis(url)
  try {
    const list = (await admin.client('LIST')) as string
    const line = list.split('\n').find((l) => l.includes(`name=${name} `) && / sub=1 /.test(l))
    return /\bid=(\d+)/.exec(line ?? '')?.[1]
  } finally {
    admin.disconnect()
  }
}

describeStoreConformance(
  'redis cluster',
  () => {
    const keyPrefix = `latch-test:${uniqueName('c')}:`
    return {
      open: async () => redisStore({ nodes: nodeUrls(), keyPrefix }),
      cleanup: () => dropPrefix(keyPrefix),
    }
  },
  { nativeSessionTtl: true },
)

describe('redisStore on a Redis Cluster', () => {
  it('rejects bad `nodes` naming the option', () => {
    expect(() => redisStore({ nodes: [] })).toThrow(/`nodes`/)
    expect(() => redisStore({ nodes: ['http://127.0.0.1:1'] })).toThrow(/`nodes`/)
    expect(() => redisStore({ nodes: 'redis://127.0.0.1:1' as never })).toThrow(/`nodes`/)
    expect(() => redisStore({ nodes: ['redis://127.0.0.1:1'], url: 'redis://127.0.0.1:1' })).toThrow(
      /exactly one of/,
    )
  })

  it('keeps every key of a session in its own slot, and the shared keys on their fixed tags', async () => {
    const keyPrefix = `latch-test:${uniqueName('slots')}:`
    const store = redisStore({ nodes: nodeUrls(), keyPrefix })
    const raw = new Redis(cluster.nodes[0]!.url)
    try {
      const record = makeRecord()
      await store.createSession(record)
      const keys = redisKeys(keyPrefix)
      const slot = async (key: string) => Number(await raw.cluster('KEYSLOT', key))
      // The session's hash is placed by its id alone, whatever the prefix.
      expect(await slot(keys.session(record.id))).toBe(await slot(`{${record.id}}`))
      // Keys used together by one script share a slot.
      expect(await slot(keys.revocationIndex)).toBe(await slot(keys.revocationData))
      expect(await slot(keys.keyOrder)).toBe(await slot(keys.keyData))
      // The fixed slots docs/many-instances.md names, whatever the prefix.
      expect([await slot(keys.keyOrder), await slot(keys.secrets), await slot(keys.revocationIndex)]).toEqual(
        [2915, 8731, 10721],
      )
      // Sessions spread over the masters: 30 sessions on one master would mean a bad tag.
      const ids = Array.from({ length: 30 }, () => makeRecord().id)
      const masters = new Set(
        await Promise.all(ids.map(async (id) => cluster.nodeOfSlot(await slot(keys.session(id))).port)),
      )
      expect(masters.size).toBe(3)
    } finally {
      raw.disconnect()
      await store.close()
      await dropPrefix(keyPrefix)
    }
  })

  it('pushes a revocation to a store subscribed on another node; resyncs and keeps pushing after its node connection is lost', async () => {
    const keyPrefix = `latch-test:${uniqueName('push')}:`
    const [n1, n2, n3] = cluster.nodes as [
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0],
    ]
    // The subscriber takes the first node of the list: A listens on n1, B on n2.
    const a = redisStore({
      nodes: [n1.url, n2.url, n3.url],
      keyPrefix,
      redisOptions: { connectionName: 'latch-push-a' },
    })
    const b = redisStore({
      nodes: [n2.url, n3.url, n1.url],
      keyPrefix,
      redisOptions: { connectionName: 'latch-push-b' },
    })
    try {
      const seenA: string[] = []
      const seenB: string[] = []
      const onResyncB = vi.fn()
      await a.subscribeRevocations({
        onRevoked: (r) => seenA.push(...r.map((x) => x.sessionId)),
        onResync: () => {},
      })
      await b.subscribeRevocations({
        onRevoked: (r) => seenB.push(...r.map((x) => x.sessionId)),
        onResync: onResyncB,
      })
      expect(await subscriberOn(n1.url, 'latch-push-a')).toBeDefined()
      const bOnN2 = await subscriberOn(n2.url, 'latch-push-b')
      expect(bOnN2).toBeDefined()

      // Sessions on every master, revoked through A (whose PUBLISH goes to any node).
      const records = Array.from({ length: 6 }, () => makeRecord())
      for (const record of records) await a.createSession(record)
      for (const record of records) await revokeAll(a, record.id)
      // Each PUBLISH may go through another node, so pushes arrive in any order: compare as sets.
      const ids = records.map((r) => r.id).sort()
      await vi.waitFor(() => expect([...seenB].sort()).toEqual(ids), { timeout: 5000 })
      await vi.waitFor(() => expect([...seenA].sort()).toEqual(ids), { timeout: 5000 })

      // B's node connection dies: it moves to the next node (n3), resyncs, and hears the next push.
      const admin = new Redis(n2.url)
      await admin.client('KILL', 'ID', bOnN2!)
      admin.disconnect()
      await vi.waitFor(() => expect(onResyncB).toHaveBeenCalledTimes(1), { timeout: 10_000 })
      expect(await subscriberOn(n3.url, 'latch-push-b')).toBeDefined()
      const later = makeRecord()
      await a.createSession(later)
      await revokeAll(a, later.id)
      await vi.waitFor(() => expect([...seenB].sort()).toEqual([...ids, later.id].sort()), { timeout: 5000 })
    } finally {
      await a.close()
      await b.close()
      await dropPrefix(keyPrefix)
    }
  }, 30_000)

  it('accepts an application-owned Cluster client and leaves it open', async () => {
    const keyPrefix = `latch-test:${uniqueName('own')}:`
    const client = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })))
    try {
      const store = redisStore({ client, keyPrefix })
      const seen: string[] = []
      await store.subscribeRevocations({
        onRevoked: (r) => seen.push(...r.map((x) => x.sessionId)),
        onResync: () => {},
      })
      const record = makeRecord()
      await store.createSession(record)
      expect(await store.getSession(record.id)).toEqual(record)
      await revokeAll(store, record.id)
      await vi.waitFor(() => expect(seen).toEqual([record.id]), { timeout: 5000 })
      await store.close()
      expect(await client.ping()).toBe('PONG')
    } finally {
      client.disconnect()
      await dropPrefix(keyPrefix)
    }
  })

  // Last in this file: it stops a master for good.
  it('a rotation whose user index is on a stopped master fails before the compare-and-swap; a store that wrote the index needs no index command', async () => {
    const keyPrefix = `latch-test:${uniqueName('order')}:`
    const victim = cluster.nodes[2]!
    const onVictim = async (key: string) => cluster.nodeOfSlot(await keySlot(cluster, key)) === victim
    let userId = ''
    for (let n = 0; userId === ''; n++) if (await onVictim(`${keyPrefix}user:u${n}`)) userId = `u${n}`
    let record = makeRecord({ userId })
    while (await onVictim(`${keyPrefix}session:{${record.id}}`)) record = makeRecord({ userId })
    const writer = redisStore({ nodes: nodeUrls(), keyPrefix })
    const reader = redisStore({ nodes: nodeUrls(), keyPrefix })
    try {
      await writer.createSession(record)
      // The reader learns the owner from its read, not how long the index lives.
      expect(await reader.getSession(record.id)).toEqual(record)
      await cluster.stop(victim)
      await expect(reader.rotateSession(record.id, record.currentHash, rotation(record))).rejects.toThrow()
      // Nothing was rotated: the presented token is still current, so the client's retry works.
      expect(await reader.getSession(record.id)).toEqual(record)
      // The writer set the index's TTL with slack: this rotation needs only the session's master.
      expect(
        await writer.rotateSession(
          record.id,
          record.currentHash,
          rotation(record, { expiresAt: record.expiresAt + HOUR }),
        ),
      ).toBe(true)
    } finally {
      await writer.close()
      await reader.close()
    }
  }, 30_000)
})
