/**
 * The front token: what browser code may read about the session (never a token or secret).
 * `base64url(JSON.stringify({ uid, sid, exp, gen }))`, `exp` in seconds (docs/contract.md).
 * @module
 */

/** The front-token payload. */
export interface FrontToken {
  /** User id. */
  uid: string
  /** Session id. */
  sid: string
  /** Access-token expiry, seconds since the epoch. */
  exp: number
  /** Refresh generation: 0 at creation, +1 per rotation. */
  gen: number
}

/** Encodes a front token for the cookie and the `x-latch-front-token` header. */
export function encodeFrontToken(front: FrontToken): string {
  return Buffer.from(JSON.stringify(front), 'utf8').toString('base64url')
}
