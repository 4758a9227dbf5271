/**
 * Third-party verifiers of Latch access tokens, each as another service would use it against the
 * live JWKS endpoint: jose (`createRemoteJWKSet` + `jwtVerify`), jsonwebtoken with jwks-rsa, and
 * Debian's PyJWT (`python3-jwt`, run by `/usr/bin/python3`) with `PyJWKClient`. Every verifier
 * pins the algorithm, issuer, audience and `typ` header, and keeps its JWKS cache between calls.
 * @module
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import jwksRsa from 'jwks-rsa'

/** What every verifier is told to check. */
export interface Expectation {
  jwksUrl: string
  alg: string
  issuer: string
  audience: string | null
  typ: string
  /** How long the verifier may cache the JWKS, in ms (each library's option; see `CACHE_DEFAULTS`). */
  cacheMs: number
}

/** A verifier's answer: the payload it accepted, or why it refused. */
export type Outcome = { ok: true; payload: Record<string, unknown> } | { ok: false; error: string }

export interface Verifier {
  /** Name for the matrix. */
  readonly name: string
  verify(token: string): Promise<Outcome>
}

/**
 * Each library's JWKS cache, as shipped (read from their sources; the tests shorten them so a
 * revoked key's refusal is seen in a second).
 */
export const CACHE_DEFAULTS: Record<string, string> = {
  jose: 'JWKS kept 10 min (`cacheMaxAge` 600 000 ms); an unknown `kid` refetches at most every 30 s (`cooldownDuration`)',
  'jsonwebtoken + jwks-rsa':
    'each signing key kept 10 min (`cacheMaxAge` 600 000 ms, 5 keys); an unknown `kid` fetches the JWKS',
  PyJWT:
    'JWKS kept 300 s (`PyJWKClient(lifespan=300)`); an unknown `kid` refetches; with `cache_keys=True` a key is kept for the life of the client, so a revoked key keeps verifying',
}

const failed = (error: unknown): Outcome => ({
  ok: false,
  error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
})

/** jose, as the DESIGN's "other services" would most often use it. */
export function joseVerifier(expect: Expectation): Verifier {
  const jwks = createRemoteJWKSet(new URL(expect.jwksUrl), {
    cacheMaxAge: expect.cacheMs,
    // Unknown kids (a rotation) refetch at once here; the shipped 30 s cooldown is reported above.
    cooldownDuration: 0,
  })
  return {
    name: 'jose',
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, jwks, {
          algorithms: [expect.alg],
          issuer: expect.issuer,
          ...(expect.audience !== null ? { audience: expect.audience } : {}),
          typ: expect.typ,
          requiredClaims: ['sub', 'iat', 'exp'],
        })
        return { ok: true, payload }
      } catch (error) {
        return failed(error)
      }
    },
  }
}

/** jsonwebtoken 9 with jwks-rsa 4, the usual pair in express services. */
export function jsonwebtokenVerifier(expect: Expectation): Verifier {
  const client = jwksRsa({
    jwksUri: expect.jwksUrl,
    cache: true,
    cacheMaxAge: expect.cacheMs,
    rateLimit: false,
  })
  return {
    name: 'jsonwebtoken + jwks-rsa',
    async verify(token) {
      try {
        const kid = decodeProtectedHeader(token).kid
        const key = await client.getSigningKey(kid)
        const decoded = jsonwebtoken.verify(token, key.getPublicKey(), {
          algorithms: [expect.alg as jsonwebtoken.Algorithm],
          issuer: expect.issuer,
          ...(expect.audience !== null ? { audience: expect.audience } : {}),
          complete: true,
        })
        // jsonwebtoken does not read `typ`; a service pinning it checks it itself.
        if (decoded.header.typ !== expect.typ) throw new Error('unexpected typ header')
        return { ok: true, payload: decoded.payload as Record<string, unknown> }
      } catch (error) {
        return failed(error)
      }
    },
  }
}

/**
 * Debian's PyJWT, in one long-running `/usr/bin/python3` process (the `python3` on PATH may be
 * another interpreter, without the Debian package). `close()` ends it.
 */
export class PyJwtVerifiers {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly pending = new Map<number, (outcome: Outcome) => void>()
  private nextId = 0
  private buffered = ''
  private stderr = ''

  constructor(readonly python = '/usr/bin/python3') {
    const script = fileURLToPath(new URL('./pyjwtVerifier.py', import.meta.url))
    this.child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stdout.setEncoding('utf8')
    this.child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk
      let at = this.buffered.indexOf('\n')
      while (at !== -1) {
        const answer = JSON.parse(this.buffered.slice(0, at))
        this.buffered = this.buffered.slice(at + 1)
        this.pending.get(answer.id)?.(answer.ok ? { ok: true, payload: answer.payload } : answer)
        this.pending.delete(answer.id)
        at = this.buffered.indexOf('\n')
      }
    })
    this.child.stderr.on('data', (chunk) => {
      this.stderr += chunk
    })
    this.child.on('exit', (code) => {
      for (const settle of this.pending.values())
        settle({ ok: false, error: `python exited (${code}): ${this.stderr.slice(-500)}` })
      this.pending.clear()
    })
  }

  /** A verifier with its own `PyJWKClient` (one per JWKS URL and cache lifespan). */
  verifier(expect: Expectation): Verifier {
    return {
      name: 'PyJWT',
      verify: (token) =>
        new Promise<Outcome>((resolve) => {
          const id = this.nextId++
          this.pending.set(id, resolve)
          this.child.stdin.write(
            `${JSON.stringify({
              id,
              jwks: expect.jwksUrl,
              lifespan: expect.cacheMs / 1000,
              token,
              alg: expect.alg,
              iss: expect.issuer,
              aud: expect.audience,
              typ: expect.typ,
            })}\n`,
          )
        }),
    }
  }

  close(): void {
    this.child.stdin.end()
  }
}
