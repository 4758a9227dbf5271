/**
 * The signature path of access-token verification (a cache miss): the compact form and the
 * protected header checked before any key lookup, the key's own algorithm pinned, then jose's
 * `jwtVerify` with issuer, audience, `typ`, required claims, maximum age and clock tolerance.
 * Every refusal is `try_refresh`: a token that cannot be used never signs anyone out.
 * @module
 */
import { decodeProtectedHeader, errors, jwtVerify } from 'jose'
import { LatchError, TryRefreshError } from '../errors.js'
import type { KeyRing } from '../keys/keyRing.js'
import type { ResolvedOptions } from '../options.js'
import { ACCESS_TOKEN_TYPE, MAX_CLAIMS_VERSION, type VerifiedSession } from './accessTokenFormat.js'

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const KID = /^[A-Za-z0-9_-]{1,64}$/
const FORBIDDEN_HEADERS = ['crit', 'jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'b64', 'zip']

/**
 * Verifies `token`'s signature and claims with the ring's keys (a key another instance added and
 * this one has not read yet triggers a rate-limited re-read). Rejects `TryRefreshError`.
 */
export async function verifySignature(
  token: string,
  keys: KeyRing,
  options: ResolvedOptions,
): Promise<VerifiedSession> {
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
  const key = keys.verificationKey(header.kid)
  if (!key) {
    if (keys.wasRetired(header.kid))
      throw new TryRefreshError('The access token was signed by a retired key.')
    // Another instance may have added a key this one has not read yet (clocks or sync
    // intervals apart). Signing the user out for that would be wrong: re-read the keys soon
    // (rate-limited, so forged kids cannot drive store reads) and let a refresh, which proves
    // the session with the refresh token, mint a token this instance knows.
    keys.syncSoon()
    throw new TryRefreshError('The access token was signed by a key this instance does not know.')
  }
  // Pin the key's own algorithm: an HS256 token "signed" with the public key can never match.
  if (header.alg !== key.alg) throw new TryRefreshError('The access token algorithm is not acceptable.')
  const tolerance = Math.ceil(options.clockTolerance / 1000)
  const maxTokenAge = Math.ceil(options.maxTokenAge / 1000)
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload']
  try {
    ;({ payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      issuer: options.issuer,
      ...(options.audience !== null ? { audience: options.audience } : {}),
      typ: ACCESS_TOKEN_TYPE,
      requiredClaims: ['sub', 'sid', 'iat', 'exp'],
      maxTokenAge,
      clockTolerance: tolerance,
      // Rounded up to the second: jose compares whole seconds, and a token issued before the
      // upgrade to whole-second `iat`s may keep milliseconds; from earlier in this second it
      // would otherwise be "in the future" at zero tolerance.
      currentDate: new Date(Math.ceil(options.now() / 1000) * 1000),
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
