// Bound refresh, standalone: `node bench/bound.mjs` (after `pnpm build`). Prints JSON.
//
// 1. Server CPU per refresh, bound and unbound, in the same process and run: the manager's real
//    refresh endpoint (`sessions.answer`, header transport, as the express adapter calls it) on
//    the memory and SQLite stores. Rounds alternate unbound / bound so drift hits both alike; the
//    median per-refresh CPU (user + system, libuv's crypto threads included) of each is reported.
//    The proofs are made before the timed loop: making them is the browser's cost, not the server's.
// 2. Client bytes (min+gzip, as a user's bundler ships them): `createSessionClient` alone, and
//    `createBoundSessionClient` (which includes it).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSessionManager, memoryStore } from '@latch/server'
import { answerRequest } from '@latch/server/adapter'
import { sqliteStore } from '@latch/server/sqlite'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { bundleSize } from './lib/bundleSize.mjs'
import { median } from './lib/stats.mjs'

const ORIGIN = 'http://api.bench'
const REFRESH = `${ORIGIN}/auth/session/refresh`
const ROUNDS = Number(process.env.BOUND_ROUNDS ?? 7)
const CHAINS = 20
const PER_CHAIN = Number(process.env.BOUND_PER_CHAIN ?? 40)

async function proofKey() {
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  const { kty, crv, x, y } = await exportJWK(publicKey)
  const jwk = { kty, crv, x, y }
  await calculateJwkThumbprint(jwk)
  return (method, url) =>
    new SignJWT({ htm: method, htu: url, iat: Math.floor(Date.now() / 1000), jti: randomUUID() })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .sign(privateKey)
}

function request(url, headers) {
  const map = new Map(Object.entries(headers))
  return { method: 'POST', url, headers: { get: (name) => map.get(name.toLowerCase()) ?? null } }
}

async function signIn(sessions, sign) {
  const headers = { 'x-latch-transport': 'header' }
  if (sign) headers.dpop = await sign('POST', `${ORIGIN}/login`)
  const created = await sessions.create(request(`${ORIGIN}/login`, headers), { userId: `u-${randomUUID()}` })
  if (created.session.bound !== Boolean(sign)) throw new Error('binding did not happen as expected')
  return created.refreshToken
}

/** One round: CHAINS sessions, each refreshed PER_CHAIN times in a row. Resolves CPU µs per refresh. */
async function round(sessions, bound) {
  const chains = []
  for (let i = 0; i < CHAINS; i++) {
    const sign = bound ? await proofKey() : null
    const token = await signIn(sessions, sign)
    const proofs = sign
      ? await Promise.all(Array.from({ length: PER_CHAIN }, () => sign('POST', REFRESH)))
      : []
    chains.push({ token, proofs })
  }
  const cpu = process.cpuUsage()
  await Promise.all(
    chains.map(async (chain) => {
      let token = chain.token
      for (let n = 0; n < PER_CHAIN; n++) {
        const headers = { 'x-latch-transport': 'header', authorization: `Bearer ${token}` }
        if (bound) headers.dpop = chain.proofs[n]
        const answer = await answerRequest(sessions, request(REFRESH, headers))
        if (answer.status !== 200) throw new Error(`refresh answered ${answer.status}`)
        token = answer.headers['x-latch-refresh-token']
      }
    }),
  )
  const used = process.cpuUsage(cpu)
  return (used.user + used.system) / (CHAINS * PER_CHAIN)
}

async function measure(name, store) {
  const sessions = createSessionManager({ store })
  await sessions.ready
  await round(sessions, false) // warm-up of both paths (JIT, key import caches)
  await round(sessions, true)
  const unbound = []
  const bound = []
  for (let i = 0; i < ROUNDS; i++) {
    unbound.push(await round(sessions, false))
    bound.push(await round(sessions, true))
  }
  await sessions.close()
  const u = median(unbound)
  const b = median(bound)
  return {
    store: name,
    refreshesPerRound: CHAINS * PER_CHAIN,
    rounds: ROUNDS,
    unboundCpuUsPerRefresh: Math.round(u),
    boundCpuUsPerRefresh: Math.round(b),
    boundOverUnbound: Number((b / u).toFixed(2)),
    addedCpuUsPerRefresh: Math.round(b - u),
  }
}

const dir = mkdtempSync(join(tmpdir(), 'latch-bound-bench-'))
try {
  const memory = await measure('memory', memoryStore())
  const sqlite = await measure('sqlite', sqliteStore({ path: join(dir, 'bench.db') }))
  const core = await bundleSize("export { createSessionClient } from '@latch/client'")
  const bound = await bundleSize("export { createBoundSessionClient } from '@latch/client/bound'")
  console.log(
    JSON.stringify(
      {
        node: process.version,
        cpu: { memory, sqlite },
        clientBytes: {
          createSessionClient: core,
          createBoundSessionClient: bound,
          boundEntryAddsGzip: bound.gzip - core.gzip,
        },
      },
      null,
      2,
    ),
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
