/**
 * Typed errors with stable codes (docs/contract.md). Every failure Latch answers is one of these,
 * turned into a JSON response by {@link toResponse}. Messages never contain a token. There is no
 * generic "bad request" for session input: every code tells the client what to do next.
 * @module
 */
import { type AnswerHeaders, type LatchAnswer, toWebResponse } from './LatchAnswer.js'

/** The stable error codes of the wire contract. */
export type LatchErrorCode =
  | 'try_refresh'
  | 'unauthorized'
  | 'session_expired'
  | 'token_theft_detected'
  | 'csrf_failed'
  | 'store_unavailable'
  | 'method_not_allowed'

/** Base class of every error Latch throws on purpose; `code` and `status` are stable. */
export class LatchError extends Error {
  /** Stable machine-readable code, sent as `error` in the body and in `x-latch-error`. */
  readonly code: LatchErrorCode
  /** HTTP status the error is answered with. */
  readonly status: number

  constructor(code: LatchErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LatchError'
    this.code = code
    this.status = status
  }
}

/**
 * 401 `try_refresh`: the access token cannot be used, for any reason (missing, expired, malformed,
 * oversized, forged, unknown or retired key, a duplicated cookie none of whose copies verifies):
 * a refresh replaces it. Only a revoked session is answered otherwise.
 */
export class TryRefreshError extends LatchError {
  constructor(
    message = 'The access token is missing or expired; refresh the session.',
    options?: { cause?: unknown },
  ) {
    super('try_refresh', 401, message, options)
    this.name = 'TryRefreshError'
  }
}

/**
 * 401 `unauthorized`: no valid session. On protected routes: the session was revoked. On the
 * refresh and sign-out endpoints: the refresh token cannot be used (missing, malformed, oversized,
 * forged, unknown session) and it is not a case of theft.
 */
export class UnauthorizedError extends LatchError {
  constructor(message = 'No valid session.', options?: { cause?: unknown }) {
    super('unauthorized', 401, message, options)
    this.name = 'UnauthorizedError'
  }
}

/** 401 `session_expired`: the session passed its idle or absolute timeout. */
export class SessionExpiredError extends LatchError {
  constructor(message = 'The session has expired; sign in again.', options?: { cause?: unknown }) {
    super('session_expired', 401, message, options)
    this.name = 'SessionExpiredError'
  }
}

/** 401 `token_theft_detected`: a rotated-out refresh token was reused; the session is revoked. */
export class TokenTheftError extends LatchError {
  constructor(
    message = 'A refresh token was reused; the session has been revoked.',
    options?: { cause?: unknown },
  ) {
    super('token_theft_detected', 401, message, options)
    this.name = 'TokenTheftError'
  }
}

/** 403 `csrf_failed`: the `x-latch-csrf: 1` header is missing on a cookie-authenticated request. */
export class CsrfError extends LatchError {
  constructor(message = 'Missing the x-latch-csrf header.', options?: { cause?: unknown }) {
    super('csrf_failed', 403, message, options)
    this.name = 'CsrfError'
  }
}

/** 503 `store_unavailable`: the session store failed during a refresh. Nobody is signed out. */
export class StoreUnavailableError extends LatchError {
  /** Seconds the client should wait before retrying (`Retry-After`). */
  readonly retryAfter: number

  constructor(retryAfter = 5, options?: { cause?: unknown }) {
    super('store_unavailable', 503, 'The session store is unavailable; try again later.', options)
    this.name = 'StoreUnavailableError'
    this.retryAfter = retryAfter
  }
}

/** 405 `method_not_allowed`: a Latch endpoint called with the wrong method. */
export class MethodNotAllowedError extends LatchError {
  /** The methods the endpoint accepts (`Allow` header). */
  readonly allow: string[]

  constructor(allow: string[]) {
    super('method_not_allowed', 405, `Method not allowed; use ${allow.join(', ')}.`)
    this.name = 'MethodNotAllowedError'
    this.allow = allow
  }
}

/** True for any {@link LatchError}, also across realms (duplicate package copies) by shape. */
export function isLatchError(value: unknown): value is LatchError {
  if (value instanceof LatchError) return true
  return (
    value instanceof Error &&
    CODES.has((value as LatchError).code) &&
    typeof (value as LatchError).status === 'number'
  )
}

const CODES = new Set<unknown>([
  'try_refresh',
  'unauthorized',
  'session_expired',
  'token_theft_detected',
  'csrf_failed',
  'store_unavailable',
  'method_not_allowed',
] satisfies LatchErrorCode[])

/**
 * The contract's error answer: status, `{"error", "message"}` body, `x-latch-error` header, plus
 * `Retry-After` / `Allow` where the error carries them, on top of `extra` (e.g. cookie clearing).
 */
export function toAnswer(error: LatchError, extra?: AnswerHeaders): LatchAnswer {
  const headers: Record<string, string> = {
    ...extra?.headers,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-latch-error': error.code,
  }
  if (error instanceof StoreUnavailableError) headers['retry-after'] = String(error.retryAfter)
  if (error instanceof MethodNotAllowedError) headers.allow = error.allow.join(', ')
  return {
    status: error.status,
    headers,
    cookies: extra?.cookies ?? [],
    body: JSON.stringify({ error: error.code, message: error.message }),
  }
}

/**
 * The contract's error response: status, `{"error", "message"}` body, `x-latch-error` header, plus
 * `Retry-After` / `Allow` where the error carries them. Extra headers (e.g. cookie clearing) are added.
 */
export function toResponse(error: LatchError, extraHeaders?: Headers): Response {
  if (!extraHeaders) return toWebResponse(toAnswer(error))
  const headers: Record<string, string> = {}
  for (const [name, value] of extraHeaders) if (name !== 'set-cookie') headers[name] = value
  return toWebResponse(toAnswer(error, { headers, cookies: extraHeaders.getSetCookie() }))
}
