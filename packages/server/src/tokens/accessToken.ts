/**
 * Access tokens: short-lived compact JWS signed with the key ring's current key, verified with a
 * pinned algorithm, issuer, audience, `typ` and required claims. Verification goes through a
 * bounded cache of already-verified tokens (`verifyCache.ts`: keyed by a SHA-256 of the token
 * string, expiring at `exp`) so the common request costs a hash and a lookup instead of a
 * signature check; the revocation list is consulted on every call, hit or miss, keyed by `sid`.
 * The token's format is in `accessTokenFormat.ts`, the signature path in `verifySignature.ts`.
 * @module
 */
import * as nodeCrypto from 'node:crypto'
import { TokenTheftError, TryRefreshError, UnauthorizedError } from '../errors.js'
import type { KeyRing } from '../keys/keyRing.js'
import type { ResolvedOptions } from '../options.js'
import type { RevocationList } from '../revocation/revocationList.js'
import {
  ACCESS_TOKEN_TYPE,
  CLAIMS_VERSION_CLAIM,
  MAX_TOKEN_LENGTH,
  type VerifiedSession,
} from './accessTokenFormat.js'
import { signCompactJws } from './jwsSigner.js'
import { VerifyCache } from './verifyCache.js'
import { verifySignature } from './verifySignature.js'

export {
  ACCESS_TOKEN_TYPE,
  CLAIMS_VERSION_CLAIM,
  MAX_CLAIMS_VERSION,
  MAX_TOKEN_LENGTH,
  RESERVED_CLAIMS,
  type VerifiedSession,
} from './accessTokenFormat.js'

// One-shot `crypto.hash` (Node ≥ 20.12) halves the cost of a streaming `createHash` on the hot
// path. Read off the namespace: a named import would fail to link on older Node 20 releases.
// 'binary' (latin1) output: the digest's bytes as one-byte characters, the cheapest string to make and read.
const { hash } = nodeCrypto
const oneShotSha256 =
  typeof hash === 'function'
    ? (text: string) => hash('sha256', text, 'binary')
    : (text: string) => nodeCrypto.createHash('sha256').update(text).digest('binary')

/**
 * The cache key of a token: its SHA-256, so no token string is held in memory. Throws
 * `TryRefreshError` for a value that cannot be a token, before any hashing.
 */
function cacheKeyOf(token: string): string {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new TryRefreshError('Malformed access token.')
  }
  return oneShotSha256(token)
}

/**
 * The cache key last computed on one connection, so a keep-alive connection sending the same
 * token again (a browser does, request after request) skips the hash: the token is compared in
 * full, then looked up and checked as any other. Holds a copy of that connection's last token
 * (not the header it came in) until its next request or its end.
 */
export interface TokenKeyMemo {
  token: string
  key: string
}

/** Signs and verifies access tokens. */
export class AccessTokens {
  /** Verified tokens; its counters feed `sessions.stats()`. */
  readonly cache: VerifyCache
  /** Bumped by `clearCache`, so a verify that straddles a key revocation does not cache its result. */
  private cacheEpoch = 0

  constructor(
    private readonly options: ResolvedOptions,
    private readonly keys: KeyRing,
    private readonly revocations: RevocationList,
  ) {
    this.cache = new VerifyCache(options.verifyCacheSize, {
      maxTokenAge: Math.ceil(options.maxTokenAge / 1000),
      tolerance: Math.ceil(options.clockTolerance / 1000),
    })
  }

  /**
   * Signs a token for the session with its claims and their version (read together, in the
   * same store read); returns the token and its expiry (ms). Synchronous `node:crypto`
   * (`jwsSigner.ts`), byte for byte what jose's `SignJWT` would build: claims in the order
   * `...claims, sid, cv, sub, iss, iat, exp, aud`, header `{ alg, kid, typ }`.
   */
  sign(userId: string, sessionId: string, claims: Record<string, unknown>, claimsVersion: number) {
    const signer = this.keys.signer()
    const now = this.options.now()
    // Whole seconds: verifiers elsewhere (PyJWT, jsonwebtoken) compare `iat` with a
    // whole-second clock and refuse a fractional one as "not yet valid". Nothing in Latch reads
    // sub-second issue times: staleness goes by `cv`.
    const iat = Math.floor(now / 1000)
    const exp = iat + Math.ceil(this.options.accessTokenTtl / 1000)
    const payload: Record<string, unknown> = {
      ...claims,
      sid: sessionId,
      [CLAIMS_VERSION_CLAIM]: claimsVersion,
      sub: userId,
      iss: this.options.issuer,
      iat,
      exp,
    }
    if (this.options.audience !== null) payload.aud = this.options.audience
    return {
      token: signCompactJws(signer, ACCESS_TOKEN_TYPE, payload),
      expiresAt: exp * 1000,
      issuedAt: iat * 1000,
    }
  }

  /**
   * `sign`, for a token handed to a client: it also enters this instance's verify cache, so the
   * first request after a sign-in or refresh is a hit (the cache checks revocation, stale marks
   * and expiry on every hit, and a key revocation clears it). One SHA-256 per issue.
   */
  issue(userId: string, sessionId: string, claims: Record<string, unknown>, claimsVersion: number) {
    const signed = this.sign(userId, sessionId, claims, claimsVersion)
    const exp = signed.expiresAt / 1000
    const nowSeconds = Math.floor(this.options.now() / 1000)
    this.cache.add(
      cacheKeyOf(signed.token),
      {
        userId,
        sessionId,
        // A copy: a hit hands these out, and the caller's object may change after issue.
        claims: Object.keys(claims).length === 0 ? null : structuredClone(claims),
        version: claimsVersion,
        iat: signed.issuedAt / 1000,
        exp,
      },
      nowSeconds,
    )
    return signed
  }

  /**
   * Verifies a token. Rejects with `TokenTheftError` (session revoked for theft),
   * `UnauthorizedError` (session revoked) or `TryRefreshError` (any other reason the token cannot
   * be used: expired, too old, retired or unknown key, malformed, oversized, forged), so a client
   * whose cookie was mangled refreshes and heals instead of being stuck.
   */
  async verify(token: string): Promise<VerifiedSession> {
    const cacheKey = cacheKeyOf(token)
    const cached = this.cached(cacheKey)
    if (cached) return cached
    this.cache.misses++
    const epoch = this.cacheEpoch
    const session = await verifySignature(token, this.keys, this.options)
    // A key was revoked while this signature was being checked: check again against the new ring.
    if (epoch !== this.cacheEpoch) return this.verify(token)
    this.checkRevocation(session.sessionId, session.claimsVersion, session.issuedAt)
    this.cache.add(
      cacheKey,
      {
        userId: session.userId,
        sessionId: session.sessionId,
        claims: session.claims,
        version: session.claimsVersion,
        iat: session.issuedAt / 1000,
        exp: session.expiresAt / 1000,
      },
      Math.floor(this.options.now() / 1000),
    )
    return session
  }

  /**
   * The synchronous half of `verify`: the session when the token was verified before (expiry
   * and revocation checked, throwing what `verify` would reject with), `undefined` when only the
   * full `verify` can tell. Lets a request that hits the cache go on in the same tick.
   */
  verifyCached(token: string, memo?: TokenKeyMemo): VerifiedSession | undefined {
    if (memo === undefined) return this.cached(cacheKeyOf(token))
    // The key is a pure function of the whole token: reusing it for an identical string is the
    // same lookup, never a looser one. A fresh memo (no key) remembers nothing, not even ''.
    if (token !== memo.token || memo.key === '') {
      const key = cacheKeyOf(token)
      // A copy: the token is a slice of its Cookie header, which it would otherwise keep alive
      // (every cookie in it) for as long as the connection stays open. Exact for any token Latch
      // issues; a string it does not copy exactly is not remembered.
      const copy = Buffer.from(token, 'latin1').toString('latin1')
      if (copy !== token) return this.cached(key)
      memo.token = copy
      memo.key = key
    }
    return this.cached(memo.key)
  }

  /** Forgets every verified token (after a key is withdrawn, for instance). */
  clearCache(): void {
    this.cacheEpoch++
    this.cache.clear()
  }

  private cached(cacheKey: string): VerifiedSession | undefined {
    const cache = this.cache
    const slot = cache.find(cacheKey)
    if (slot === -1) return undefined
    if (cache.validUntil(slot) * 1000 <= this.options.now()) {
      cache.delete(slot)
      throw new TryRefreshError('The access token has expired.')
    }
    cache.hits++
    const sessionId = cache.sessionId(slot)
    const issuedAt = Math.round(cache.iat(slot) * 1000)
    const claimsVersion = cache.version(slot)
    this.checkRevocation(sessionId, claimsVersion, issuedAt)
    // A fresh object per hit; claims are shared between hits of one token (as the first
    // verification returned them), except the empty set, which is a new `{}` each time.
    return {
      userId: cache.userId(slot),
      sessionId,
      claims: cache.claims(slot) ?? {},
      claimsVersion,
      issuedAt,
      expiresAt: cache.exp(slot) * 1000,
    }
  }

  /**
   * The one check both paths make, keyed by session (never by token string): revocation, then
   * staleness by claims version; `issuedAt` (ms) is read only against a pre-version mark.
   */
  private checkRevocation(sessionId: string, version: number | null, issuedAt: number): void {
    const reason = this.revocations.check(sessionId, { version, issuedAt })
    if (reason === 'stale') throw new TryRefreshError("The session's claims have changed.")
    if (reason === 'theft') throw new TokenTheftError()
    if (reason !== null) throw new UnauthorizedError('The session has been revoked.')
  }
}
