/**
 * Bound refresh across real server processes (`testing/instance/server.ts`) on one Redis and on
 * one Postgres: a proof's `jti` spent on instance A is refused on instance B within the window,
 * and a copied token without the key is refused by both without disturbing the owner. Requests
 * carry one `Host` (`api.test`), as behind a load balancer, so a proof names the same URL on both.
 */
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { bundleInstance, Cluster, type Instance } from '../../test/instance/cluster.js'
import {
  databaseUrl,
  dropPostgresSchema,
  dropRedisPrefix,
  redisUrl,
  uniqueName,
} from '../../test/namespaces.js'
import { type ProofKey, proofKey } from '../../test/testProof.js'

const HOST = 'api.test'
const REFRESH = `http://${HOST}/auth/session/refresh`
const LOGIN = `http://${HOST}/test/login`

interface Answer {
  status: number
  error: string | null
  refreshToken: string | null
}

/** POSTs to `instance` with `Host: api.test` (fetch may not set Host). */
function post(instance: Instance, path: string, headers: Record<string, string>, body = ''): Promise<Answer> {
  const { port } = new URL(instance.url)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { host: HOST, ...headers }, timeout: 15_000 },
      (res) => {
        res.resume()
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            error: (res.headers['x-latch-error'] as string | undefined) ?? null,
            refreshToken: (res.headers['x-latch-refresh-token'] as string | undefined) ?? null,
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const refresh = (instance: Instance, token: string, proof?: string) =>
  post(instance, '/auth/session/refresh', {
    'x-latch-transport': 'header',
    authorization: `Bearer ${token}`,
    ...(proof ? { dpop: proof } : {}),
  })

async function signIn(instance: Instance, key: ProofKey): Promise<string> {
  const answer = await post(
    instance,
    '/test/login',
    { 'content-type': 'application/json', dpop: await key.proof('POST', LOGIN) },
    JSON.stringify({ userId: 'alice' }),
  )
  expect(answer.status).toBe(200)
  return answer.refreshToken!
}

const KINDS = [
  {
    kind: 'redis',
    url: redisUrl,
    namespace: () => `latch-test:${uniqueName('bind')}`,
    drop: (ns: string) => dropRedisPrefix(`${ns}:`),
  },
  { kind: 'postgres', url: databaseUrl, namespace: () => uniqueName('bind'), drop: dropPostgresSchema },
] as const

let program: Awaited<ReturnType<typeof bundleInstance>>
beforeAll(async () => {
  program = await bundleInstance()
}, 60_000)
afterAll(() => program?.remove())

describe.each(KINDS)('$kind: bound refresh on two server processes', (store) => {
  let cluster: Cluster
  let a: Instance
  let b: Instance
  const namespace = store.namespace()

  beforeAll(async () => {
    cluster = new Cluster(program.path)
    const env = { LATCH_STORE: store.kind, LATCH_STORE_URL: store.url(), LATCH_NAMESPACE: namespace }
    ;[a, b] = await Promise.all([cluster.start('A', env), cluster.start('B', env)])
  }, 60_000)

  afterAll(async () => {
    await cluster?.killAll()
    await store.drop(namespace).catch(() => {})
  }, 30_000)

  test('a proof spent on one instance is refused on the other; the owner goes on with fresh proofs', async () => {
    const key = await proofKey()
    const token = await signIn(a, key)
    const proof = await key.proof('POST', REFRESH)
    const first = await refresh(a, token, proof)
    expect(first.status).toBe(200)
    // Replayed at once on the other instance, with the successor token (a thief who saw it all).
    const replayed = await refresh(b, first.refreshToken!, proof)
    expect(replayed).toMatchObject({ status: 401, error: 'unauthorized', refreshToken: null })
    // And the same proof sent to both at the same moment with the current token: at most one rotates.
    const racing = await key.proof('POST', REFRESH)
    const both = await Promise.all([
      refresh(a, first.refreshToken!, racing),
      refresh(b, first.refreshToken!, racing),
    ])
    expect(both.map((r) => r.status).sort()).toEqual([200, 401])
    const next = both.find((r) => r.status === 200)!.refreshToken!
    expect((await refresh(b, next, await key.proof('POST', REFRESH))).status).toBe(200)
  })

  test('a copied token without the key is refused on every instance and leaves the session alone', async () => {
    const key = await proofKey()
    const token = await signIn(b, key)
    for (const instance of [a, b]) {
      expect(await refresh(instance, token)).toMatchObject({ status: 401, error: 'unauthorized' })
      const other = await proofKey()
      expect(await refresh(instance, token, await other.proof('POST', REFRESH))).toMatchObject({
        status: 401,
      })
    }
    expect((await refresh(a, token, await key.proof('POST', REFRESH))).status).toBe(200)
  })
})
