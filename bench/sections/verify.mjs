// Section 2: the cost of `verify`, with tinybench, in its own process. Cache hit and miss per
// signing algorithm, the same with a 10 000-entry revocation list, and two reference points: a
// raw jose verify (what a miss cannot beat) and a SHA-256 plus Map lookup (what a hit cannot beat).
import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { importJWK, jwtVerify, SignJWT } from 'jose'
import { Bench } from 'tinybench'
import { runAsChild } from '../lib/child.mjs'
import { bearerRequest, createHeaderSession, createLatch } from '../lib/latch.mjs'

const REVOKED = 10_000

async function measure(tasks, { timeMs, warmupMs }) {
  const bench = new Bench({ time: timeMs, warmupTime: warmupMs, iterations: 64, throws: true })
  for (const [name, fn] of tasks) bench.add(name, fn)
  await bench.run()
  return bench.tasks.map((task) => {
    const r = task.result
    // tinybench reports milliseconds; the report wants nanoseconds.
    return {
      name: task.name,
      meanNs: r.latency.mean * 1e6,
      p50Ns: r.latency.p50 * 1e6,
      p99Ns: r.latency.p99 * 1e6,
      opsPerSec: r.throughput.mean,
      samples: r.latency.samplesCount,
    }
  })
}

/** A manager with `algorithm`, `revoked` other sessions revoked, and a live token to verify. */
async function fixture(algorithm, { cache, revoked = 0 }) {
  const latch = await createLatch({ algorithm, ...(cache ? {} : { verifyCacheSize: 0 }) })
  const { sessions } = latch
  for (let i = 0; i < revoked; i++) {
    const { sessionId } = await createHeaderSession(sessions, `revoked-user-${i}`)
    await sessions.revokeSession(sessionId)
  }
  const { accessToken } = await createHeaderSession(sessions, 'alice')
  const request = bearerRequest(accessToken)
  const check = await sessions.verify(request)
  if (check.userId !== 'alice') throw new Error('verify returned the wrong session')
  // The revocation list must really be in force: a revoked session's token is refused, cached or not.
  if (revoked > 0) {
    const victim = await createHeaderSession(sessions, 'mallory')
    await sessions.verify(bearerRequest(victim.accessToken))
    await sessions.revokeSession(victim.sessionId)
    const refused = await sessions.verify(bearerRequest(victim.accessToken)).then(
      () => false,
      (err) => err?.code === 'unauthorized',
    )
    if (!refused) throw new Error('a revoked session was still accepted')
  }
  return { ...latch, request, accessToken }
}

/** `requireSession(sessions)` called directly with the fields the adapter reads from express's `req`. */
async function expressGuard(fixture) {
  const { requireSession } = await import('@latch/server/express')
  const { sessions } = fixture
  const created = await sessions.create(new Request('http://127.0.0.1/login', { method: 'POST' }), {
    userId: 'alice',
  })
  const cookie = created.headers
    .getSetCookie()
    .map((line) => line.split(';', 1)[0])
    .join('; ')
  const headers = { cookie, host: '127.0.0.1', accept: '*/*', 'user-agent': 'latch-bench/1.0' }
  const cookieRequestLike = {
    method: 'GET',
    url: 'http://127.0.0.1/api/me',
    headers: { get: (name) => headers[name.toLowerCase()] ?? null },
  }
  const guard = requireSession(sessions)
  const res = {
    status() {
      throw new Error('the guard refused a valid session')
    },
  }
  const middleware = () =>
    new Promise((resolve, reject) => {
      const req = { method: 'GET', protocol: 'http', originalUrl: '/api/me', headers }
      req.res = { ...res, locals: {} }
      guard(req, req.res, (err) => (err ? reject(err) : resolve(req.session)))
    })
  // The same on one keep-alive connection (a socket object the requests share): the adapter
  // remembers the token's key per connection, so it hashes once.
  const socket = { encrypted: false }
  const onConnection = () =>
    new Promise((resolve, reject) => {
      const req = { method: 'GET', originalUrl: '/api/me', headers, socket }
      req.res = { ...res, locals: {} }
      guard(req, req.res, (err) => (err ? reject(err) : resolve(req.session)))
    })
  for (const run of [middleware, onConnection])
    if ((await run())?.userId !== 'alice') throw new Error('requireSession did not set the session')
  return { middleware, onConnection, cookieRequestLike }
}

async function referencePoints() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const jwt = await new SignJWT({ sid: 'x'.repeat(22) })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'latch+jwt', kid: 'k1' })
    .setSubject('alice')
    .setIssuer('latch')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(privateKey)
  const hmacKey = await importJWK({ kty: 'oct', k: Buffer.alloc(32, 7).toString('base64url') }, 'HS256')
  const hs = await new SignJWT({ sid: 'x'.repeat(22) })
    .setProtectedHeader({ alg: 'HS256', typ: 'latch+jwt' })
    .setSubject('alice')
    .setIssuer('latch')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(hmacKey)
  const map = new Map([[createHash('sha256').update(jwt).digest('base64url'), { userId: 'alice' }]])
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'k1', typ: 'latch+jwt' })).toString(
    'base64url',
  )
  const now = Math.floor(Date.now() / 1000)
  return [
    [
      'reference: jose SignJWT EdDSA (async WebCrypto; the signer before node:crypto)',
      () =>
        new SignJWT({ sid: 'x'.repeat(22) })
          .setProtectedHeader({ alg: 'EdDSA', typ: 'latch+jwt', kid: 'k1' })
          .setSubject('alice')
          .setIssuer('latch')
          .setIssuedAt(now)
          .setExpirationTime(now + 600)
          .sign(privateKey),
    ],
    [
      'reference: node:crypto sign Ed25519, sync, same JWS (what create and refresh sign with)',
      () => {
        const payload = Buffer.from(
          JSON.stringify({ sid: 'x'.repeat(22), sub: 'alice', iss: 'latch', iat: now, exp: now + 600 }),
        ).toString('base64url')
        const input = `${header}.${payload}`
        return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`
      },
    ],
    [
      'reference: SHA-256 + Map.get (the floor of a hit)',
      () => map.get(createHash('sha256').update(jwt).digest('base64url')),
    ],
    [
      'reference: jose jwtVerify EdDSA, key imported once',
      () => jwtVerify(jwt, publicKey, { algorithms: ['EdDSA'] }),
    ],
    [
      'reference: jose jwtVerify HS256, key imported once',
      () => jwtVerify(hs, hmacKey, { algorithms: ['HS256'] }),
    ],
  ]
}

runAsChild(async ({ timeMs = 700, warmupMs = 200, algorithms = ['EdDSA', 'ES256'] }) => {
  const fixtures = []
  const tasks = []
  try {
    for (const algorithm of algorithms) {
      const hit = await fixture(algorithm, { cache: true })
      const miss = await fixture(algorithm, { cache: false })
      fixtures.push(hit, miss)
      tasks.push([`${algorithm}: cache hit`, () => hit.sessions.verify(hit.request)])
      tasks.push([`${algorithm}: cache miss (verifyCacheSize: 0)`, () => miss.sessions.verify(miss.request)])
    }
    const revokedHit = await fixture('EdDSA', { cache: true, revoked: REVOKED })
    const revokedMiss = await fixture('EdDSA', { cache: false, revoked: REVOKED })
    fixtures.push(revokedHit, revokedMiss)
    tasks.push([
      `EdDSA: cache hit, ${REVOKED} revoked sessions listed`,
      () => revokedHit.sessions.verify(revokedHit.request),
    ])
    tasks.push([
      `EdDSA: cache miss, ${REVOKED} revoked sessions listed`,
      () => revokedMiss.sessions.verify(revokedMiss.request),
    ])
    const hit = fixtures[0]
    // What the express guard does per request on a hit, without express around it: cookie mode
    // (as a browser sends it) through `requireSession`'s middleware function with a minimal request.
    const { middleware, onConnection, cookieRequestLike } = await expressGuard(hit)
    tasks.push(['EdDSA: verify(cookie request), cache hit', () => hit.sessions.verify(cookieRequestLike)])
    tasks.push(['EdDSA: requireSession middleware alone, cookie, cache hit', () => middleware()])
    tasks.push([
      'EdDSA: requireSession middleware alone, cookie, cache hit, same keep-alive connection',
      () => onConnection(),
    ])
    tasks.push(...(await referencePoints()))
    const results = await measure(tasks, { timeMs, warmupMs })
    return {
      results,
      revoked: REVOKED,
      hs256: 'not offered: SigningAlgorithm is asymmetric only (EdDSA, ES256, ES384, PS256, RS256)',
    }
  } finally {
    for (const f of fixtures) await f.close()
  }
})
