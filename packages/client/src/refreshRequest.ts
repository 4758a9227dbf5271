/**
 * The refresh request on the wire and the reading of its answer (DESIGN.md, HTTP contract):
 * 200 → new front token; a Latch 401 → the session is over; anything else (5xx, 503
 * `store_unavailable`, 403, a network error, a timeout) → a typed error and the session is kept.
 * @module
 */
import { LatchNetworkError, RefreshFailedError, RefreshTimeoutError } from './errors'
import { FRONT_TOKEN_REMOVE } from './frontToken'
import { HEADERS } from './transport'
import type { SignedOutReason } from './types'

/** Latch codes that mean the session is gone (sign out locally, do not refresh). */
export const SESSION_ENDING_CODES: ReadonlySet<string> = new Set([
  'unauthorized',
  'session_expired',
  'token_theft_detected',
])

/** The answer of a refresh request, read. */
export type RefreshAnswer =
  | { kind: 'refreshed'; response: Response }
  | { kind: 'signed_out'; reason: SignedOutReason }

/** The Latch error code of a response, or `null` for an answer that is not Latch's. */
export function latchCodeOf(response: Response): string | null {
  const code = response.headers.get(HEADERS.error)
  return code === null ? null : code.trim()
}

function retryAfterOf(response: Response): number | null {
  const value = Number(response.headers.get('retry-after'))
  return response.headers.has('retry-after') && Number.isFinite(value) && value >= 0 ? value : null
}

/** Frees the connection of a response whose body nobody will read. */
export function discard(response: Response): void {
  response.body?.cancel().catch(() => {})
}

/**
 * Sends the refresh request built by `build` with a timeout and reads the answer. The new front
 * token travels in the `x-latch-front-token` header (or the cookie), which the caller takes.
 */
export async function sendRefresh(
  fetchImpl: typeof fetch,
  build: (signal: AbortSignal) => Request,
  timeoutMs: number,
): Promise<RefreshAnswer> {
  const controller = new AbortController()
  let timedOut = false
  const timer = globalThis.setTimeout(() => {
    timedOut = true
    controller.abort()
  }, timeoutMs)
  let response: Response
  try {
    response = await fetchImpl.call(globalThis, build(controller.signal))
  } catch (cause) {
    throw timedOut
      ? new RefreshTimeoutError(timeoutMs)
      : new LatchNetworkError('Refresh request failed.', { cause })
  } finally {
    globalThis.clearTimeout(timer)
  }
  const code = latchCodeOf(response)
  if (response.ok) {
    if (response.headers.get(HEADERS.frontToken)?.trim() === FRONT_TOKEN_REMOVE) {
      return { kind: 'signed_out', reason: 'unauthorized' }
    }
    return { kind: 'refreshed', response }
  }
  discard(response)
  // Only an answer marked by Latch ends the session: a bare 401 from a proxy in front of the API
  // must not sign anyone out.
  if (response.status === 401 && code !== null) {
    return {
      kind: 'signed_out',
      reason: SESSION_ENDING_CODES.has(code) ? (code as SignedOutReason) : 'unauthorized',
    }
  }
  throw new RefreshFailedError(response.status, code, retryAfterOf(response))
}
