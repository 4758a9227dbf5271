/**
 * Two session managers (two "instances", each with its own store connections) on one Redis and on
 * one Postgres: the stores' cross-instance guarantees as the manager uses them. The separate-
 * process version of these tests lives with the multi-instance suite.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { Browser, fakeClock, managerOn } from '../../test/harness.js'
import {
  databaseUrl,
  dropPostgresSchema,
  dropRedisPrefix,
  redisUrl,
  uniqueName,
} from '../../test/namespaces.js'
import type { SessionManager } from '../createSessionManager.js'
import { postgresStore } from './postgres.js'
import { redisStore } from './redis.js'
import type { SessionStore } from './SessionStore.js'

const redisPrefix = `latch-test:${uniqueName('net')}:`
const schemas: string[] = []
afterAll(async () => {
  await dropRedisPrefix(redisPrefix)
  for (const schema of schemas) await dropPostgresSchema(schema)
})

const backends: [string, () => () => SessionStore][] = [
  [
    'redis',
    () => {
      const keyPrefix = `${redisPrefix}${uniqueName('t')}:`
      return () => redisStore({ url: redisUrl(), keyPrefix })
    },
  ],
  [
    'postgres',
    () => {
      const schema = uniqueName('latch_net')
      schemas.push(schema)
      return () => postgresStore({ connectionString: databaseUrl(), schema, poolOptions: { max: 4 } })
    },
  ],
]

describe.each(backends)('two managers on one %s', (_name, namespace) => {
  const managers: SessionManager[] = []
  const stores: SessionStore[] = []
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close()
    for (const s of stores.splice(0)) await s.close()
  })

  function twoInstances() {
    const open = namespace()
    // Redis expires keys by its own clock, so the managers' clock must be near real time.
    const clock = fakeClock(Date.now())
    const [a, b] = [open(), open()].map((store) => {
      stores.push(store)
      const { sessions } = managerOn(store, clock)
      managers.push(sessions)
      return sessions
    })
    return { a: a!, b: b!, clock }
  }

  it('refreshes across instances: concurrent refreshes with one token rotate once, no theft', async () => {
    const { a, b } = twoInstances()
    const alice = new Browser(a)
    await alice.signIn('alice')
    const tabs = Array.from({ length: 10 }, (_, i) => {
      const tab = alice.fork()
      return i % 2 ? new Browser(b, tab.jar) : tab
    })
    const responses = await Promise.all(tabs.map((t) => t.refresh()))
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200))
    const successors = new Set(
      tabs.map((t) => [...t.jar.cookies].find(([n]) => n.includes('refresh'))?.[1].value),
    )
    expect(successors.size).toBe(1)
    expect((await b.listUserSessions('alice')).length).toBe(1)
  })

  it('a revocation on one instance reaches the other without a store read per request', async () => {
    const { a, b } = twoInstances()
    const alice = new Browser(a)
    await alice.signIn('alice')
    const onB = new Browser(b, alice.jar)
    await expect(onB.verify()).resolves.toMatchObject({ userId: 'alice' })
    const [listed] = await a.listUserSessions('alice')
    expect(await a.revokeSession(listed!.id)).toBe(true)
    await vi.waitFor(() => expect(onB.verify()).rejects.toMatchObject({ code: 'unauthorized' }), {
      timeout: 5000,
    })
  })

  it('instances share one signing key', async () => {
    const { a, b } = twoInstances()
    const [ja, jb] = await Promise.all([a.jwks(), b.jwks()])
    expect(ja.keys.length).toBe(1)
    expect(jb).toEqual(ja)
  })
})
