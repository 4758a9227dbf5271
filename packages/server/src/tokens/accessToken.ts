/**
 * Access tokens: short-lived compact JWS signed with the key ring's current key, verified with a
 * pinned algorithm, issuer, audience, `typ` and required claims. Verification goes through a
 * bounded cache of already-verified tokens (`verifyCache.ts`: keyed by a SHA-256 of the token
 * string, expiring at `exp`) so the common request costs a hash and a lookup instead of a
 * signature check; the revocation list is consulted on every call, hit or miss, keyed by `sid`.
 *
 * One piece (over 300 lines): issuing and verifying share the pinned header and claim set, the
 * key lookups and the cache's entry format; split apart, each half would export the other's internals.
 * @module
 */
import * as nodeCrypto from 'node:crypto'
import { decodeProtectedHeader, errors, jwtVerify } from 'jose'
import { LatchError, TokenTheftError, TryRefreshError, UnauthorizedError } from '../errors.js'
import type { KeyRing } from '../keys/keyRing.js'
import type { ResolvedOptions } from '../options.js'
import type { RevocationList } from '../revocation/revocationList.js'
import { signCompactJws } from './jwsSigner.js'
import { VerifyCache } from './verifyCache.js'

/** The `typ` header of every Latch access token (RFC 8725 explicit typing). */
export const ACCESS_TOKEN_TYPE = 'latch+jwt'

/** Tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4096

/**
 * The private claim carrying the session's claims version (a short name: it is in every token).
 * A stale mark names the version a token must have reached.
 */
export const CLAIMS_VERSION_CLAIM = 'cv'

/** The largest claims version a token may carry (it is kept in 31 bits). */
export const MAX_CLAIMS_VERSION = 0x7fff_ffff

/** Claim names an application may not set: Latch owns them. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'sub',
  'sid',
  'iat',
  'exp',
  'iss',
  'aud',
  'nbf',
  'jti',
  CLAIMS_VERSION_CLAIM,
])

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const KID = /^[A-Za-z0-9_-]{1,64}$/
const FORBIDDEN_HEADERS = ['crit', 'jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'b64', 'zip']

/** A verified access token: who, which session, until when. */
export interface VerifiedSession {
  userId: string
  sessionId: string
  /** Application claims, as they were when the token was issued. */
  claims: Record<string, unknown>
  /**
   * The session's claims version these claims are (`cv`): a claims update raises it. `null`
   * for a token issued before claims versions existed.
   */
  claimsVersion: number | null
  /** Epoch milliseconds (a whole second for every token this release issues). */
  issuedAt: number
  /** Epoch milliseconds. */
  expiresAt: number
}

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
    const session = await this.verifySignature(token)
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

  private async verifySignature(token: string): Promise<VerifiedSession> {
    if (!COMPACT_JWS.test(token)) throw new TryRefreshError('Malformed access token.')
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(token)
    } catch (cause) {
      throw new TryRefreshError('Malformed access token.', { cause })
    }
    if (
      header.typ !== ACCESS_TOKEN_TYPE ||
      typeof header.alg !== 'string' ||
      typeof header.kid !== 'string' ||
      !KID.test(header.kid) ||
      FORBIDDEN_HEADERS.some((name) => name in header)
    ) {
      throw new TryRefreshError('The access token header is not acceptable.')
    }
    const key = this.keys.verificationKey(header.kid)
    if (!key) {
      if (this.keys.wasRetired(header.kid))
        throw new TryRefreshError('The access token was signed by a retired key.')
      // Another instance may have added a key this one has not read yet (clocks or sync
      // intervals apart). Signing the user out for that would be wrong: re-read the keys soon
      // (rate-limited, so forged kids cannot drive store reads) and let a refresh, which proves
      // the session with the refresh token, mint a token this instance knows.
      this.keys.syncSoon()
      throw new TryRefreshError('The access token was signed by a key this instance does not know.')
    }
    // Pin the key's own algorithm: an HS256 token "signed" with the public key can never match.
    if (header.alg !== key.alg) throw new TryRefreshError('The access token algorithm is not acceptable.')
    const tolerance = Math.ceil(this.options.clockTolerance / 1000)
    const maxTokenAge = Math.ceil(this.options.maxTokenAge / 1000)
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload']
    try {
      ;({ payload } = await jwtVerify(token, key.key, {
        algorithms: [key.alg],
        issuer: this.options.issuer,
        ...(this.options.audience !== null ? { audience: this.options.audience } : {}),
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['sub', 'sid', 'iat', 'exp'],
        maxTokenAge,
        clockTolerance: tolerance,
        // Rounded up to the second: jose compares whole seconds, and a token issued before the
        // upgrade to whole-second `iat`s may keep milliseconds; from earlier in this second it
        // would otherwise be "in the future" at zero tolerance.
        currentDate: new Date(Math.ceil(this.options.now() / 1000) * 1000),
      }))
    } catch (cause) {
      if (cause instanceof LatchError) throw cause
      if (cause instanceof errors.JWTExpired)
        throw new TryRefreshError('The access token has expired.', { cause })
      if (
        cause instanceof errors.JWTClaimValidationFailed &&
        cause.claim === 'iat' &&
        cause.reason === 'check_failed'
      ) {
        throw new TryRefreshError('The access token is too old.', { cause })
      }
      // Everything else, jose's own TypeErrors included, is a token we will not accept.
      throw new TryRefreshError('Invalid access token.', { cause })
    }
    const { sub, sid, cv, iat, exp, iss: _iss, aud: _aud, nbf: _nbf, jti: _jti, ...claims } = payload
    if (typeof sub !== 'string' || sub === '' || typeof sid !== 'string' || sid === '') {
      throw new TryRefreshError('Invalid access token claims.')
    }
    // Absent only on a token issued before claims versions (it counts as version 0).
    if (
      cv !== undefined &&
      !(Number.isSafeInteger(cv) && (cv as number) >= 0 && (cv as number) <= MAX_CLAIMS_VERSION)
    ) {
      throw new TryRefreshError('Invalid access token claims.')
    }
    const issuedAt = Math.round((iat as number) * 1000)
    const expiresAt = (exp as number) * 1000
    return {
      userId: sub,
      sessionId: sid,
      claims,
      claimsVersion: cv === undefined ? null : (cv as number),
      issuedAt,
      expiresAt,
    }
  }
}
