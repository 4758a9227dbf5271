/**
 * What a Latch access token is, shared by issuing and verifying: its `typ`, its size limit, the
 * claims Latch owns (the claims version among them) and what a verified one tells.
 * @module
 */

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
