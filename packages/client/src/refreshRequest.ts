/**
 * What an answer means (DESIGN.md, HTTP contract): for the refresh request, 200 → new front token;
 * a Latch 401 → the session is over; anything else (5xx, 503 `store_unavailable`, 403) → a typed
 * error and the session is kept. A network error or a timeout never reaches this file: the call
 * fails with `network_error` / `refresh_timeout` before.
 * @module
 */
import { RefreshFailedError } from './errors'
import { FRONT_TOKEN_REMOVE } from './frontToken'
import { ERROR_HEADER, FRONT_TOKEN_HEADER } from './transport'
import type { SignedOutReason } from './types'

/** Latch codes that mean the session is gone (sign out locally, do not refresh). */
export const SESSION_ENDING_CODES: readonly string[] = [
  'unauthorized',
  'session_expired',
  'token_theft_detected',
  // Answered by `@latch/client/bound` itself when a bound session's key is gone.
  'key_lost',
]

/** The Latch error code of a response, or `null` for an answer that is not Latch's. */
export const latchCodeOf = (response: Response): string | null =>
  // Header values come normalised (no surrounding whitespace) from every fetch implementation.
  response.headers.get(ERROR_HEADER) ?? null

/** Frees the connection of a response whose body nobody will read. */
export function discard(response: Response): void {
  response.body?.cancel().catch(() => {})
}

/**
 * Reads the answer of a refresh request: why the session ended, or `null` for a success (the new
 * front token travels in the `x-latch-front-token` header or the cookie, which the caller takes).
 * Throws `RefreshFailedError` for anything else.
 */
export function readRefreshAnswer(response: Response): SignedOutReason | null {
  const code = latchCodeOf(response)
  const status = response.status
  if (response.ok)
    return response.headers.get(FRONT_TOKEN_HEADER) === FRONT_TOKEN_REMOVE ? 'unauthorized' : null
  // Only an answer marked by Latch ends the session: a bare 401 from a proxy in front of the API
  // must not sign anyone out.
  if (status === 401 && code !== null)
    return SESSION_ENDING_CODES.includes(code) ? (code as SignedOutReason) : 'unauthorized'
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN)
  throw new RefreshFailedError(status, code, retryAfter >= 0 && retryAfter < Infinity ? retryAfter : null)
}
