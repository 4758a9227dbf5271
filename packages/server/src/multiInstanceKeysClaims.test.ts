/**
 * Key revocation and claims updates across real server processes (`testing/instance/server.ts`)
 * on one real Redis, a three-master Redis Cluster and one real Postgres: the change made on instance A is pushed, B refuses
 * the old access tokens (`try_refresh`) within a second without a store read per request, one
 * refresh mends every session (new kid / new claims), nobody is signed out, and an instance
 * started afterwards refuses the old tokens at once. All clients use header transport.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  bundleInstance,
  Cluster,
  call,
  type Instance,
  kidOf,
  login,
  me,
  pollUntil,
  refresh,
} from '../test/instance/cluster.js'
import {
  dropRedisClusterPrefix,
  startRedisCluster,
  type TestRedisCluster,
} from '../test/instance/redisCluster.js'
import { databaseUrl, dropPostgresSchema, dropRedisPrefix, redisUrl, uniqueName } from '../test/namespaces.js'

let redisCluster: TestRedisCluster

const KINDS = [
  {
    kind: 'redis',
    url: redisUrl,
    namespace: () => `latch-test:${uniqueName('kc')}`,
    drop: (ns: string) => dropRedisPrefix(`${ns}:`),
  },
  {
    kind: 'redis-cluster',
    url: () => redisCluster.urls,
    namespace: () => `latch-test:${uniqueName('kc')}`,
    drop: (ns: string) => dropRedisClusterPrefix(redisCluster, `${ns}:`),
  },
  { kind: 'postgres', url: databaseUrl, namespace: () => uniqueName('kc'), drop: dropPostgresSchema },
] as const

/** Store calls a key revocation legitimately causes in the background (the ring re-reads the keys). */
const BACKGROUND = new Set([
  'listKeys',
  'listRevokedKeys',
  'addKey',
  'addKey.won',
  'addKey.lost',
  'deleteKeys',
  'deleteExpired',
])

function perRequestCalls(before: Record<string, number>, after: Record<string, number>) {
  const delta: Record<string, number> = {}
  for (const [name, n] of Object.entries(after)) {
    if (!BACKGROUND.has(name) && n !== (before[name] ?? 0)) delta[name] = n - (before[name] ?? 0)
  }
  return delta
}

const stats = async (instance: Instance): Promise<Record<string, number>> =>
  (await call(instance, 'GET', '/test/stats')).calls

/** Polls `instance` with `token` until it is refused; resolves the answer and the time since `start`. */
async function refusedWithin(instance: Instance, token: string, start: number) {
  let polls = 0
  const refused = await pollUntil(
    async () => {
      polls++
      const answer = await me(instance, token)
      return answer.status === 200 ? undefined : answer
    },
    { timeoutMs: 5000, intervalMs: 5, what: `${instance.name} to refuse the old token` },
  )
  return { refused, ms: Math.round(performance.now() - start), polls }
}

let program: Awaited<ReturnType<typeof bundleInstance>>
beforeAll(async () => {
  ;[program, redisCluster] = await Promise.all([bundleInstance(), startRedisCluster()])
}, 60_000)
afterAll(async () => {
  program?.remove()
  await redisCluster?.destroy()
})

describe.each(KINDS)('$kind: key revocation and claims updates across server processes', (store) => {
  let cluster: Cluster
  let a: Instance
  let b: Instance
  const namespace = store.namespace()
  const figures: Record<string, unknown> = {}
  const env = () => ({ LATCH_STORE: store.kind, LATCH_STORE_URL: store.url(), LATCH_NAMESPACE: namespace })

  beforeAll(async () => {
    cluster = new Cluster(program.path)
    ;[a, b] = await Promise.all([cluster.start('A', env()), cluster.start('B', env())])
  }, 60_000)

  afterAll(async () => {
    await cluster?.killAll()
    await store.drop(namespace).catch(() => {})
    console.info(`[multi-instance keys/claims ${store.kind}] ${JSON.stringify(figures)}`)
  }, 30_000)

  test('a key revoked on A: its tokens are try_refresh on B within a second, one refresh each gives the new kid, nobody signed out', async () => {
    const users = await Promise.all(
      Array.from({ length: 6 }, (_, n) => login(n % 2 ? a : b, `key-user-${n}`)),
    )
    const oldKid = kidOf(users[0]!.accessToken!)
    for (const user of users) {
      expect(kidOf(user.accessToken!)).toBe(oldKid)
      expect((await me(b, user.accessToken!)).status).toBe(200) // in B's verify cache
    }
    const before = await stats(b)

    const start = performance.now()
    const revoked = await call(a, 'POST', '/test/revoke-current-key')
    expect(revoked.revokedKid).toBe(oldKid)
    expect(revoked.currentKid).not.toBe(oldKid)
    const { refused, ms, polls } = await refusedWithin(b, users[0]!.accessToken!, start)
    figures.keyRevocationPropagationMs = ms
    figures.keyRevocationPolls = polls
    expect([refused.status, refused.error]).toEqual([401, 'try_refresh'])
    expect(ms).toBeLessThan(1000)
    // B answered from memory: the pushed key revocation, not a store read per request.
    expect(perRequestCalls(before, await stats(b))).toEqual({})

    for (const [n, user] of users.entries()) {
      for (const instance of [a, b]) expect((await me(instance, user.accessToken!)).error).toBe('try_refresh')
      const next = await refresh(n % 2 ? b : a, user.refreshToken!)
      expect([next.status, next.error]).toEqual([200, null]) // nobody signed out
      expect(kidOf(next.accessToken!)).toBe(revoked.currentKid)
      for (const instance of [a, b]) expect((await me(instance, next.accessToken!)).status).toBe(200)
    }
    for (const instance of [a, b]) {
      const { keys } = await call(instance, 'GET', '/auth/session/jwks.json')
      expect(keys.map((k: { kid: string }) => k.kid)).toEqual([revoked.currentKid])
    }

    // An instance started after the revocation refuses the kid at once and signs with the new key.
    const c = await cluster.start('C', env())
    expect(await me(c, users[0]!.accessToken!)).toMatchObject({ status: 401, error: 'try_refresh' })
    expect((await call(c, 'GET', '/auth/session/jwks.json')).keys.map((k: { kid: string }) => k.kid)).toEqual(
      [revoked.currentKid],
    )
    expect(kidOf((await login(c, 'key-user-late')).accessToken!)).toBe(revoked.currentKid)
    await cluster.kill(c)
  }, 60_000)

  test("a claims update on A: the user's tokens are try_refresh on B within a second, one refresh issues the new claims", async () => {
    const laptop = await login(a, 'claims-user')
    const phone = await login(b, 'claims-user')
    const bystander = await login(a, 'claims-bystander')
    for (const session of [laptop, phone, bystander])
      expect((await me(b, session.accessToken!)).status).toBe(200)
    expect(laptop.front?.cl).toEqual({ name: 'claims-user' })
    const before = await stats(b)

    const start = performance.now()
    expect(await call(a, 'POST', '/test/user-claims/claims-user/Renamed')).toEqual({ updated: 2 })
    const { refused, ms, polls } = await refusedWithin(b, laptop.accessToken!, start)
    figures.staleMarkPropagationMs = ms
    figures.staleMarkPolls = polls
    expect([refused.status, refused.error]).toEqual([401, 'try_refresh'])
    expect(ms).toBeLessThan(1000)
    expect(perRequestCalls(before, await stats(b))).toEqual({})
    expect((await me(b, phone.accessToken!)).error).toBe('try_refresh')
    expect((await me(b, bystander.accessToken!)).status).toBe(200)

    for (const [session, on] of [
      [laptop, b],
      [phone, a],
    ] as const) {
      const next = await refresh(on, session.refreshToken!)
      expect([next.status, next.error]).toEqual([200, null])
      expect(next.front?.cl).toEqual({ name: 'Renamed' })
      for (const instance of [a, b]) {
        const answer = await me(instance, next.accessToken!)
        expect([answer.status, answer.body?.claims]).toEqual([200, { name: 'Renamed' }])
      }
    }

    const c = await cluster.start('C', env())
    expect(await me(c, laptop.accessToken!)).toMatchObject({ status: 401, error: 'try_refresh' })
    expect((await me(c, bystander.accessToken!)).status).toBe(200)
    await cluster.kill(c)
  }, 60_000)
})
