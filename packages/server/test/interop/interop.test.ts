/**
 * Interop: Latch access tokens verified by other services' libraries against a live server's
 * JWKS endpoint over HTTP, for every algorithm Latch signs with: right after issue (in the same
 * second: PyJWT refuses a fractional `iat` then), after a refresh, after a key rotation, and
 * after a key revocation (the replacement verifies; the revoked key's token is refused by each
 * verifier once its JWKS cache refreshes). The results write the matrix in the server README;
 * a test checks the README matches (`LATCH_WRITE_INTEROP=1` rewrites it).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createSessionManager, type SessionManager } from '../../src/createSessionManager.js'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../src/SessionManagerOptions.js'
import { memoryStore } from '../../src/stores/memory.js'
import { ACCESS_TOKEN_TYPE } from '../../src/tokens/accessToken.js'
import { Browser } from '../harness.js'
import {
  CACHE_DEFAULTS,
  type Expectation,
  joseVerifier,
  jsonwebtokenVerifier,
  type Outcome,
  PyJwtVerifiers,
  type Verifier,
} from './verifiers.js'

const ISSUER = 'https://auth.example.test'
const AUDIENCE = 'https://api.example.test'
/** JWKS cache of every verifier in this test (ms): short, so a revoked key is seen soon. */
const CACHE_MS = 700
/** Key sync interval: a rotated key signs after twice this. */
const KEY_SYNC_MS = 150
const VERIFIERS = ['jose', 'jsonwebtoken + jwks-rsa', 'PyJWT'] as const
/** What a library does not implement: jsonwebtoken 9 has no EdDSA. */
const UNSUPPORTED: Record<string, readonly string[]> = { 'jsonwebtoken + jwks-rsa': ['EdDSA'] }
const README = new URL('../../README.md', import.meta.url)

const PHASES = ['issue', 'refresh', 'rotation', 'revocation'] as const
type Phase = (typeof PHASES)[number] | 'revoked refused'
/** verifier → algorithm → phase → outcome. */
const results = new Map<string, Map<string, Map<Phase, Outcome>>>()
function record(verifier: string, alg: string, phase: Phase, outcome: Outcome) {
  const byAlg = results.get(verifier) ?? new Map()
  results.set(verifier, byAlg)
  const byPhase = byAlg.get(alg) ?? new Map()
  byAlg.set(alg, byPhase)
  byPhase.set(phase, outcome)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Waits for the start of the next second, so what follows at once happens in that second. */
async function nextSecond() {
  await sleep(1000 - (Date.now() % 1000) + 5)
}
const accessTokenOf = (browser: Browser) => browser.jar.cookies.get('latch-access')!.value
const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())

/** A live HTTP server answering Latch's routes (the JWKS among them) with `handle`. */
async function serve(sessions: SessionManager): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (req, res) => {
    const origin = `http://${req.headers.host}`
    const response = await sessions.handle(
      new Request(new URL(req.url ?? '/', origin), { method: req.method }),
    )
    if (!response) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.end(Buffer.from(await response.arrayBuffer()))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

let python: PyJwtVerifiers
beforeAll(() => {
  python = new PyJwtVerifiers()
})
afterAll(() => python?.close())

// One server per algorithm, one after another (side by side measured slower: key generation
// blocks the others' second-boundary checks).
describe('tokens verified by other libraries against the live JWKS', () => {
  test.for(SIGNING_ALGORITHMS)(
    '%s: after issue (same second), refresh, key rotation and key revocation',
    { timeout: 60_000 },
    async (alg, { expect, onTestFinished }) => {
      const sessions = createSessionManager({
        store: memoryStore(),
        algorithm: alg as SigningAlgorithm,
        issuer: ISSUER,
        audience: AUDIENCE,
        keySyncInterval: `${KEY_SYNC_MS}ms`,
      })
      const { server, origin } = await serve(sessions)
      onTestFinished(async () => {
        await new Promise((resolve) => server.close(resolve))
        await sessions.close()
      })
      const expectation: Expectation = {
        jwksUrl: `${origin}/auth/session/jwks.json`,
        alg,
        issuer: ISSUER,
        audience: AUDIENCE,
        typ: ACCESS_TOKEN_TYPE,
        cacheMs: CACHE_MS,
      }
      const verifiers: Verifier[] = [
        joseVerifier(expectation),
        jsonwebtokenVerifier(expectation),
        python.verifier(expectation),
      ]
      const verifyAll = async (phase: Phase, token: string) => {
        const outcomes = await Promise.all(verifiers.map((v) => v.verify(token)))
        for (const [i, outcome] of outcomes.entries()) record(verifiers[i]!.name, alg, phase, outcome)
        return outcomes
      }
      const supported = (v: Verifier) => !UNSUPPORTED[v.name]?.includes(alg)
      const expectAccepted = (outcomes: Outcome[], token: string) => {
        const payload = payloadOf(token)
        for (const [i, outcome] of outcomes.entries()) {
          // Soft: every phase still runs, so the matrix says exactly which verifier failed where.
          if (!supported(verifiers[i]!)) expect.soft(outcome.ok, verifiers[i]!.name).toBe(false)
          else expect.soft(outcome, verifiers[i]!.name).toEqual({ ok: true, payload })
        }
      }

      // 1. Right after issue, in the same second (a fractional `iat` fails PyJWT here). A check
      // that a loaded machine let slip into the next second proves nothing: issue again.
      await sessions.ready
      await Promise.all(verifiers.map((v) => v.verify('warm.up.request')))
      let browser = new Browser(sessions)
      let issued = ''
      let outcomes: Outcome[] = []
      let sameSecond = false
      for (let attempt = 0; attempt < 5 && !sameSecond; attempt++) {
        await nextSecond()
        browser = new Browser(sessions)
        await browser.signIn('alice', { role: 'reader' })
        issued = accessTokenOf(browser)
        outcomes = await verifyAll('issue', issued)
        sameSecond = Math.floor(Date.now() / 1000) === Math.floor(payloadOf(issued).iat)
      }
      expect(sameSecond).toBe(true)
      const payload = payloadOf(issued)
      expectAccepted(outcomes, issued)
      expect(payload).toMatchObject({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, role: 'reader', cv: 0 })

      // 2. After a refresh.
      expect((await browser.refresh()).status).toBe(200)
      // (The same bytes as `issued` when refreshed in its second with a deterministic signature.)
      const refreshed = accessTokenOf(browser)
      expectAccepted(await verifyAll('refresh', refreshed), refreshed)

      // 3. After a key rotation: the new key signs once active, each verifier fetches its kid.
      const firstKid = decodeProtectedHeader(refreshed).kid
      await sessions.rotateKeys()
      await sleep(2 * KEY_SYNC_MS + 100)
      expect((await browser.refresh()).status).toBe(200)
      const rotated = accessTokenOf(browser)
      expect(decodeProtectedHeader(rotated).kid).not.toBe(firstKid)
      expectAccepted(await verifyAll('rotation', rotated), rotated)

      // 4. After a key revocation: the replacement signs at once and verifies everywhere…
      const { revokedKid } = await sessions.revokeCurrentKey()
      expect(revokedKid).toBe(decodeProtectedHeader(rotated).kid)
      expect((await browser.refresh()).status).toBe(200)
      const replacement = accessTokenOf(browser)
      expect(decodeProtectedHeader(replacement).kid).not.toBe(revokedKid)
      expectAccepted(await verifyAll('revocation', replacement), replacement)
      expect((await sessions.jwks()).keys.map((k) => k.kid)).not.toContain(revokedKid)
      // …and once each verifier's JWKS cache has refreshed, the revoked key's token is refused.
      await sleep(CACHE_MS + 200)
      const refused = await verifyAll('revoked refused', rotated)
      for (const [i, outcome] of refused.entries()) expect.soft(outcome.ok, verifiers[i]!.name).toBe(false)
    },
  )
})

/** The README matrix from the results: ✓ when every phase passed and the revoked key was refused. */
function matrix(): string {
  const cell = (verifier: string, alg: string) => {
    if (UNSUPPORTED[verifier]?.includes(alg)) return 'n/a'
    const phases = results.get(verifier)?.get(alg)
    if (!phases) return '?'
    const good =
      PHASES.every((phase) => phases.get(phase)?.ok === true) && phases.get('revoked refused')?.ok === false
    return good ? '✓' : '✗'
  }
  const lines = [
    `| verifier | ${SIGNING_ALGORITHMS.join(' | ')} | JWKS cache as shipped |`,
    `| --- | ${SIGNING_ALGORITHMS.map(() => ':-:').join(' | ')} | --- |`,
    ...VERIFIERS.map(
      (v) => `| ${v} | ${SIGNING_ALGORITHMS.map((alg) => cell(v, alg)).join(' | ')} | ${CACHE_DEFAULTS[v]} |`,
    ),
  ]
  return lines.join('\n')
}

test('the README interop matrix is the one these tests produce', () => {
  const text = readFileSync(README, 'utf8')
  const start = '<!-- interop-matrix:start -->\n'
  const end = '<!-- interop-matrix:end -->'
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  expect(from).toBeGreaterThan(-1)
  const produced = `${matrix()}\n`
  if (process.env.LATCH_WRITE_INTEROP === '1') {
    writeFileSync(README, text.slice(0, from + start.length) + produced + text.slice(to))
  } else {
    expect(text.slice(from + start.length, to)).toBe(produced)
  }
  // Every supported pair passed; unsupported ones say so.
  expect(produced).not.toMatch(/✗|\?/)
})
