/**
 * Many instances, for real: every scenario runs Latch servers as separate Node processes
 * (`testing/instance/server.ts`) on one Redis, on a three-master Redis Cluster and on one
 * Postgres. Shared test servers for the non-destructive scenarios (each under its own key prefix
 * / schema); a dedicated server per store for the outage, which stops and restarts it (on the
 * cluster: one master of this file's own cluster is stopped, last). All clients use header
 * transport.
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
import { type DedicatedServer, dedicatedPostgres, dedicatedRedis } from '../test/instance/dedicatedServers.js'
import {
  dropRedisClusterPrefix,
  keySlot,
  startRedisCluster,
  subscribedNode,
  type TestRedisCluster,
} from '../test/instance/redisCluster.js'
import { databaseUrl, dropPostgresSchema, dropRedisPrefix, redisUrl, uniqueName } from '../test/namespaces.js'

/** This file's Redis Cluster (data kept across a master's stop and start, for the outage). */
let redisCluster: TestRedisCluster

interface StoreKind {
  kind: 'redis' | 'redis-cluster' | 'postgres'
  sharedUrl: () => string
  /** A fresh namespace: a Redis key prefix stem or a Postgres schema. */
  namespace: () => string
  /** Removes a namespace from the shared server. */
  drop: (namespace: string) => Promise<void>
  dedicated: () => Promise<DedicatedServer>
}

const KINDS: StoreKind[] = [
  {
    kind: 'redis',
    sharedUrl: redisUrl,
    namespace: () => `latch-test:${uniqueName('mi')}`,
    drop: (namespace) => dropRedisPrefix(`${namespace}:`),
    dedicated: dedicatedRedis,
  },
  {
    kind: 'redis-cluster',
    sharedUrl: () => redisCluster.urls,
    namespace: () => `latch-test:${uniqueName('mic')}`,
    drop: (namespace) => dropRedisClusterPrefix(redisCluster, `${namespace}:`),
    dedicated: () => Promise.reject(new Error('the cluster outage stops a master of the shared cluster')),
  },
  {
    kind: 'postgres',
    sharedUrl: databaseUrl,
    namespace: () => uniqueName('mi'),
    drop: dropPostgresSchema,
    dedicated: dedicatedPostgres,
  },
]

/** Rounds of the 20-refresh race: at least the first, more until one was decided by the CAS itself. */
const MIN_ROUNDS = 3
const MAX_ROUNDS = 12

/** Store reads that would mean "a store round trip per request" (background key sync and sweeps excluded). */
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

async function stats(instance: Instance): Promise<Record<string, number>> {
  return (await call(instance, 'GET', '/test/stats')).calls
}

let program: Awaited<ReturnType<typeof bundleInstance>>
let clusterStartMs = 0
beforeAll(async () => {
  const started = performance.now()
  ;[program, redisCluster] = await Promise.all([
    bundleInstance(),
    startRedisCluster({ persistent: true }).then((c) => {
      clusterStartMs = Math.round(performance.now() - started)
      return c
    }),
  ])
  console.info(`[multi-instance redis-cluster] 3 masters up in ${clusterStartMs} ms`)
}, 60_000)
afterAll(async () => {
  program?.remove()
  await redisCluster?.destroy()
})

describe.each(KINDS)('$kind: several server processes on one store', (store) => {
  let clusterOf: Cluster
  const namespaces: string[] = []
  const figures: Record<string, unknown> = {}
  let a: Instance
  let b: Instance
  let namespace: string

  // On the cluster, each instance gets the node list starting at another node, so the instances'
  // subscribers sit on different nodes (the subscriber takes the first node that answers).
  let rotation = 0
  const envFor = (ns: string, url = store.sharedUrl(), firstNode = rotation++): Record<string, string> => {
    const nodes = url.split(',')
    const ordered = nodes.map((_, i) => nodes[(firstNode + i) % nodes.length]!)
    return {
      LATCH_STORE: store.kind,
      LATCH_STORE_URL: store.kind === 'redis-cluster' ? ordered.join(',') : url,
      LATCH_NAMESPACE: ns,
    }
  }
  const freshNamespace = () => {
    const ns = store.namespace()
    namespaces.push(ns)
    return ns
  }

  beforeAll(async () => {
    clusterOf = new Cluster(program.path)
    namespace = freshNamespace()
    ;[a, b] = await Promise.all([
      clusterOf.start('A', envFor(namespace)),
      clusterOf.start('B', envFor(namespace)),
    ])
  }, 60_000)

  afterAll(async () => {
    await clusterOf?.killAll()
    await Promise.all(namespaces.map((ns) => store.drop(ns).catch(() => {})))
    console.info(`[multi-instance ${store.kind}] ${JSON.stringify(figures)}`)
  }, 30_000)

  test('20 concurrent refreshes with one token across instances rotate once; every caller gets the same successor', async () => {
    // Open the connections first, so the 20 refreshes of a round reach the instances together.
    await Promise.all([a, b].flatMap((i) => Array.from({ length: 10 }, () => stats(i))))
    const casLost: number[] = []
    // Whether two requests meet at the compare-and-swap itself (rather than one reading the record
    // after the other's rotation) depends on timing: play rounds until one did (most do). On a
    // store with the one-step `rotateIfCurrent`, every request that did not rotate met it there.
    for (let round = 0; round < MIN_ROUNDS || (round < MAX_ROUNDS && !casLost.some((n) => n > 0)); round++) {
      const user = await login(round % 2 === 0 ? a : b, `race-user-${round}`)
      const before = await Promise.all([stats(a), stats(b)])

      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => refresh(i % 2 === 0 ? a : b, user.refreshToken!)),
      )

      expect(answers.map((r) => [r.status, r.error])).toEqual(Array(20).fill([200, null]))
      const successors = new Set(answers.map((r) => r.refreshToken))
      expect(successors.size).toBe(1)
      const [successor] = successors
      expect(successor).not.toBe(user.refreshToken)
      expect(answers.map((r) => r.front?.gen)).toEqual(Array(20).fill(1))
      // Exactly one compare-and-swap won, over both processes.
      const after = await Promise.all([stats(a), stats(b)])
      const delta = (name: string) =>
        after.reduce((n, s, i) => n + (s[name] ?? 0) - (before[i]![name] ?? 0), 0)
      expect(delta('rotateSession.won') + delta('rotateIfCurrent.won')).toBe(1)
      casLost.push(delta('rotateSession.lost') + delta('rotateIfCurrent.lost'))
      // The store holds generation 1 with that successor current: refreshing with it gives 2.
      const next = await refresh(round % 2 === 0 ? b : a, successor!)
      expect([next.status, next.front?.gen]).toEqual([200, 2])
      // No theft: the session lives, and the access tokens handed out verify on both instances.
      for (const answer of [answers[0]!, answers[1]!, next]) {
        expect((await me(a, answer.accessToken!)).status).toBe(200)
        expect((await me(b, answer.accessToken!)).status).toBe(200)
      }
    }
    figures.raceCasLostPerRound = casLost
    expect(casLost.some((n) => n > 0)).toBe(true)
  }, 60_000)

  test('revoke on A: B refuses the access token within a second, with no store read per request', async () => {
    if (store.kind === 'redis-cluster') {
      // The push must cross nodes: A's and B's subscribers listen on different masters.
      const [onA, onB] = await Promise.all([
        subscribedNode(redisCluster, 'latch-A'),
        subscribedNode(redisCluster, 'latch-B'),
      ])
      expect(onA).toBeDefined()
      expect(onB).toBeDefined()
      expect(onA!.port).not.toBe(onB!.port)
    }
    const session = await login(a, 'revoke-user')
    const before = await stats(b)
    // B verifies (and caches) the token before the revocation, and another one it never saw.
    for (let i = 0; i < 5; i++) expect((await me(b, session.accessToken!)).status).toBe(200)
    const other = await login(a, 'revoke-bystander')
    expect((await me(b, other.accessToken!)).status).toBe(200)

    const start = performance.now()
    expect(await call(a, 'POST', `/test/revoke/${session.sessionId}`)).toEqual({ revoked: true })
    let requests = 0
    const refused = await pollUntil(
      async () => {
        requests++
        const answer = await me(b, session.accessToken!)
        return answer.status === 200 ? undefined : answer
      },
      { timeoutMs: 5000, intervalMs: 5, what: 'B to refuse the revoked session' },
    )
    const elapsed = performance.now() - start
    figures.revocationPropagationMs = Math.round(elapsed)
    figures.revocationPolls = requests

    expect([refused.status, refused.error]).toEqual([401, 'unauthorized'])
    expect(elapsed).toBeLessThan(1000)
    // B answered every request from memory: the JWT and its pushed revocation list.
    expect(perRequestCalls(before, await stats(b))).toEqual({})
    expect((await me(b, other.accessToken!)).status).toBe(200)
    expect((await me(a, session.accessToken!)).status).toBe(401)
    expect((await refresh(b, session.refreshToken!)).error).toBe('unauthorized')

    // An instance started after the revocation loads the list at start.
    const c = await clusterOf.start('C', envFor(namespace))
    expect(await me(c, session.accessToken!)).toMatchObject({ status: 401, error: 'unauthorized' })
    await clusterOf.kill(c)
  }, 60_000)

  // On the cluster the key ring is one slot like any single Redis (the conformance suite runs the
  // same compare-and-swap race there); this 15 s scenario would add nothing cluster-specific.
  if (store.kind !== 'redis-cluster') {
    test('instances starting at once agree on one signing key; a rotation by one is seen by the others', async () => {
      const ns = freshNamespace()
      const trio = await clusterOf.startTogether(['K1', 'K2', 'K3'], envFor(ns))
      try {
        const jwks = await Promise.all(trio.map((i) => call(i, 'GET', '/auth/session/jwks.json')))
        expect(jwks[0].keys).toHaveLength(1)
        expect(jwks[1]).toEqual(jwks[0])
        expect(jwks[2]).toEqual(jwks[0])
        const counts = await Promise.all(trio.map(stats))
        expect(counts.reduce((n, s) => n + (s['addKey.won'] ?? 0), 0)).toBe(1)
        // A token from any instance verifies on every other.
        const sessions = await Promise.all(trio.map((i, n) => login(i, `key-user-${n}`)))
        for (const session of sessions) {
          expect(kidOf(session.accessToken!)).toBe(jwks[0].keys[0].kid)
          for (const instance of trio) expect((await me(instance, session.accessToken!)).status).toBe(200)
        }

        const [x, y, z] = trio as [Instance, Instance, Instance]
        const oldKid = jwks[0].keys[0].kid as string
        await call(x, 'POST', '/test/rotate-keys')
        // X signs with the new key only after the activation delay (2 × the 1 s sync interval),
        // by when Y and Z have read it from the store.
        const rotated = await pollUntil(
          async () => {
            const session = await login(x, 'key-user-rotated')
            return kidOf(session.accessToken!) === oldKid ? undefined : session
          },
          { timeoutMs: 15_000, intervalMs: 100, what: 'X to sign with the new key' },
        )
        for (const instance of [y, z]) {
          expect((await me(instance, rotated.accessToken!)).status).toBe(200)
          // Tokens of the old key keep verifying until they expire.
          expect((await me(instance, sessions[0]!.accessToken!)).status).toBe(200)
          // And the others sign with the new key too.
          expect(kidOf((await login(instance, 'key-user-after')).accessToken!)).toBe(
            kidOf(rotated.accessToken!),
          )
          expect((await call(instance, 'GET', '/auth/session/jwks.json')).keys).toHaveLength(2)
        }
      } finally {
        await Promise.all(trio.map((i) => clusterOf.kill(i)))
      }
    }, 60_000)
  }

  test('kill -9 of an instance during a refresh storm loses no session', async () => {
    const clients = await Promise.all(
      Array.from({ length: 24 }, async (_, n) => {
        const session = await login(n % 2 === 0 ? a : b, `storm-user-${n}`)
        return { token: session.refreshToken!, gen: 0 }
      }),
    )
    let bAlive = true
    let stop = false
    let done = 0
    let networkErrors = 0
    let bFrozen = false
    let sentToFrozenB = 0
    let inFlightToB = 0
    let killed: Promise<void> | null = null
    const unexpected: string[] = []
    const killAfter = clients.length * 3
    const stopAfter = clients.length * 7

    // Freeze B wherever it is (perhaps between its store write and its answer), let more requests
    // reach it, then kill -9: none of those can have been answered by B.
    const killMidStorm = async () => {
      b.child.kill('SIGSTOP')
      bFrozen = true
      const frozenAt = Date.now()
      // On a loaded machine most loops may already be waiting on B when it freezes, so few new
      // requests reach it: requests still unanswered 2 s into the freeze count as well.
      const stuck = () => sentToFrozenB >= 3 || (Date.now() - frozenAt > 2000 && inFlightToB >= 3)
      try {
        await pollUntil(async () => (stuck() ? true : undefined), {
          timeoutMs: 10_000,
          intervalMs: 2,
          what: 'requests to reach the frozen instance',
        })
      } finally {
        // Even when the wait fails: a frozen B would hold its loops forever.
        bAlive = false
        b.child.kill('SIGKILL')
      }
    }
    const loop = async (client: (typeof clients)[number], n: number) => {
      for (let round = 0; !stop; round++) {
        const target = bAlive && (n + round) % 2 === 1 ? b : a
        let answer: Awaited<ReturnType<typeof refresh>>
        if (target === b && bFrozen) sentToFrozenB++
        if (target === b) inFlightToB++
        try {
          answer = await refresh(target, client.token).finally(() => {
            if (target === b) inFlightToB--
          })
        } catch {
          if (target !== b) throw new Error('the surviving instance failed a request')
          // The load balancer's retry: the same token, on the survivor. If B rotated before it
          // died, this is the grace answer with the successor B had issued.
          networkErrors++
          answer = await refresh(a, client.token)
        }
        if (answer.status !== 200 || answer.front!.gen !== client.gen + 1) {
          unexpected.push(
            `${target.name} ${answer.status} ${answer.error} gen ${answer.front?.gen} after ${client.gen}`,
          )
          return
        }
        client.token = answer.refreshToken!
        client.gen = answer.front!.gen
        if (++done === killAfter) {
          killed = killMidStorm()
          killed.catch(() => {}) // awaited (and reported) after the storm
        }
        if (done >= stopAfter && !bAlive) stop = true
      }
    }
    // Any failure ends the whole storm, so no loop keeps hammering an instance after the test.
    await Promise.all(
      clients.map((client, n) =>
        loop(client, n).finally(() => {
          if (unexpected.length > 0) stop = true
        }),
      ),
    ).catch((error) => {
      stop = true
      throw error
    })
    await killed
    await b.exited
    figures.stormRefreshes = done
    figures.stormRequestsLostWithB = networkErrors

    expect(unexpected).toEqual([])
    // B died with requests in flight, so the storm really was interrupted.
    expect(networkErrors).toBeGreaterThanOrEqual(Math.max(sentToFrozenB, 3))
    // Every session still refreshes on the survivor with its latest token, and its token verifies.
    for (const client of clients) {
      const answer = await refresh(a, client.token)
      expect([answer.status, answer.front?.gen]).toEqual([200, client.gen + 1])
      expect((await me(a, answer.accessToken!)).status).toBe(200)
    }
  }, 90_000)

  if (store.kind === 'redis-cluster') {
    test('one master stopped: its sessions refresh 503, the others refresh, nobody is signed out, all recover', async () => {
      await clusterMasterDown(clusterOf, freshNamespace(), envFor, figures)
    }, 120_000)
    return
  }

  test('store outage: verification keeps working, refresh is 503 with Retry-After, the same token works after', async () => {
    const server = await store.dedicated()
    const ns = store.kind === 'redis' ? 'latch' : 'latch_outage'
    const instances: Instance[] = []
    try {
      const [p, q] = await Promise.all([
        clusterOf.start('P', envFor(ns, server.url)),
        clusterOf.start('Q', envFor(ns, server.url)),
      ])
      instances.push(p, q)
      const s1 = await login(p, 'outage-user-1')
      const s2 = await login(q, 'outage-user-2')
      expect((await me(q, s1.accessToken!)).status).toBe(200)

      await server.stop()
      const outageStart = performance.now()
      // Verification needs no store: a token seen before (cached) and one never seen by this instance.
      expect((await me(q, s1.accessToken!)).status).toBe(200)
      expect((await me(p, s2.accessToken!)).status).toBe(200)
      for (const [instance, session] of [
        [p, s1],
        [q, s2],
      ] as const) {
        const down = await refresh(instance, session.refreshToken!)
        expect([down.status, down.error]).toEqual([503, 'store_unavailable'])
        expect(Number(down.retryAfter)).toBeGreaterThan(0)
        expect(down.refreshToken).toBeNull()
      }
      figures.outageDetectedMs = Math.round(performance.now() - outageStart)

      await server.start()
      const restartedAt = performance.now()
      // The instances reconnect by themselves; the very token refused during the outage works.
      const back = await pollUntil(
        async () => {
          const answer = await refresh(q, s1.refreshToken!)
          return answer.status === 503 ? undefined : answer
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'refresh to work again after the restart' },
      )
      figures.refreshBackAfterRestartMs = Math.round(performance.now() - restartedAt)
      expect([back.status, back.front?.gen]).toEqual([200, 1])
      const back2 = await refresh(p, s2.refreshToken!)
      expect([back2.status, back2.front?.gen]).toEqual([200, 1])
      expect((await me(p, back.accessToken!)).status).toBe(200)

      // The revocation push is back too (re-subscribed, or reloaded on resync).
      await call(p, 'POST', `/test/revoke/${s2.sessionId}`)
      const refusedAfter = await pollUntil(
        async () => {
          const answer = await me(q, back2.accessToken!)
          return answer.status === 200 ? undefined : answer
        },
        { timeoutMs: 10_000, intervalMs: 20, what: 'Q to refuse a session revoked on P after the outage' },
      )
      expect(refusedAfter.error).toBe('unauthorized')
    } finally {
      await Promise.all(instances.map((i) => clusterOf.kill(i)))
      await server.destroy()
    }
  }, 120_000)
})

/**
 * The Redis Cluster outage: stop the master holding the key ring's slot (so background key syncs
 * fail too) while P's subscriber listens on it. Sessions whose hash lives on that master answer
 * refresh 503 (and work again, with the very token refused, once it is back); every other session
 * refreshes; every access token keeps verifying on both instances; pushes work after.
 */
async function clusterMasterDown(
  clusterOf: Cluster,
  ns: string,
  envFor: (ns: string, url?: string, firstNode?: number) => Record<string, string>,
  figures: Record<string, unknown>,
): Promise<void> {
  const victim = redisCluster.nodeOfSlot(await keySlot(redisCluster, `${ns}:{keys}:order`))
  const victimIndex = redisCluster.nodes.indexOf(victim)
  const instances: Instance[] = []
  try {
    const [p, q] = await Promise.all([
      clusterOf.start('P', envFor(ns, redisCluster.urls, victimIndex)),
      clusterOf.start('Q', envFor(ns, redisCluster.urls, victimIndex + 1)),
    ])
    instances.push(p, q)
    expect((await subscribedNode(redisCluster, 'latch-P'))?.port).toBe(victim.port)

    // Sessions over every master, each refreshed later on the instance that created it.
    const sessions = await Promise.all(
      Array.from({ length: 18 }, async (_, n) => {
        const instance = n % 2 === 0 ? p : q
        const session = await login(instance, `down-user-${n}`)
        const slot = await keySlot(redisCluster, `${ns}:session:{${session.sessionId}}`)
        return { instance, session, onVictim: redisCluster.nodeOfSlot(slot) === victim }
      }),
    )
    const down = sessions.filter((s) => s.onVictim)
    const up = sessions.filter((s) => !s.onVictim)
    // 18 random session ids miss one of three masters with probability (2/3)^18 < 0.1 %.
    expect(down.length).toBeGreaterThan(0)
    expect(up.length).toBeGreaterThan(0)

    await redisCluster.stop(victim)
    const stoppedAt = performance.now()
    const answers = await Promise.all(sessions.map((s) => refresh(s.instance, s.session.refreshToken!)))
    figures.clusterDownRefreshesMs = Math.round(performance.now() - stoppedAt)
    for (const [i, s] of sessions.entries()) {
      const answer = answers[i]!
      if (s.onVictim) {
        expect([answer.status, answer.error, answer.refreshToken]).toEqual([503, 'store_unavailable', null])
        expect(Number(answer.retryAfter)).toBeGreaterThan(0)
      } else {
        expect([answer.status, answer.front?.gen]).toEqual([200, 1])
      }
    }
    // Nobody is signed out: every access token, old and new, verifies on both instances.
    const tokens = [
      ...sessions.map((s) => s.session.accessToken!),
      ...answers.filter((a) => a.status === 200).map((a) => a.accessToken!),
    ]
    for (const token of tokens) {
      expect((await me(p, token)).status).toBe(200)
      expect((await me(q, token)).status).toBe(200)
    }
    // The surviving sessions keep refreshing while the master is down (key syncs failing meanwhile).
    await new Promise((r) => setTimeout(r, 1200))
    const upAgain = await Promise.all(
      up.map((s, i) =>
        refresh(s.instance, answers[sessions.indexOf(s)]!.refreshToken!).then((a) => [i, a] as const),
      ),
    )
    for (const [, answer] of upAgain) expect([answer.status, answer.front?.gen]).toEqual([200, 2])

    await redisCluster.start(victim)
    const restartedAt = performance.now()
    // The very tokens refused during the outage work once the master is back.
    for (const s of down) {
      const back = await pollUntil(
        async () => {
          const answer = await refresh(s.instance, s.session.refreshToken!)
          return answer.status === 503 ? undefined : answer
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'refresh to work again after the master is back' },
      )
      expect([back.status, back.front?.gen]).toEqual([200, 1])
      expect((await me(p, back.accessToken!)).status).toBe(200)
    }
    figures.clusterRecoveredMs = Math.round(performance.now() - restartedAt)

    // P's subscriber moved off the stopped master (and resynced): a revocation on Q reaches P.
    const target = up[0]!
    const [, latest] = upAgain[0]!
    await call(q, 'POST', `/test/revoke/${target.session.sessionId}`)
    const refused = await pollUntil(
      async () => {
        const answer = await me(p, latest.accessToken!)
        return answer.status === 200 ? undefined : answer
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'P to refuse a session revoked on Q after the outage' },
    )
    expect(refused.error).toBe('unauthorized')
  } finally {
    await Promise.all(instances.map((i) => clusterOf.kill(i)))
  }
}
