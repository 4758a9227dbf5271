/**
 * Typed errors of the session client. Every error is a {@link LatchError} with a stable string
 * `code`, so callers `switch (err.code)` instead of matching message text. Messages never carry a
 * token.
 * @module
 */

/** Every code a {@link LatchError} may carry. */
export type LatchErrorCode =
  | 'invalid_option'
  | 'invalid_request'
  | 'network_error'
  | 'refresh_failed'
  | 'refresh_timeout'
  | 'refresh_loop'
  | 'body_not_replayable'
  | 'lock_timeout'
  | 'signout_failed'

/** Base class of every error the client throws. */
export class LatchError extends Error {
  /** Stable machine-readable code. */
  readonly code: LatchErrorCode

  constructor(code: LatchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LatchError'
    this.code = code
  }
}

/** An option given to `createSessionClient` (or a lock factory) is invalid. Thrown at creation. */
export class InvalidOptionError extends LatchError {
  /** The name of the offending option. */
  readonly option: string

  constructor(option: string, requirement: string) {
    super('invalid_option', `The \`${option}\` option must be ${requirement}.`)
    this.name = 'InvalidOptionError'
    this.option = option
  }
}

/** The request given to `fetch` cannot be built (bad URL, no base URL to resolve it against…). */
export class InvalidRequestError extends LatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_request', message, options)
    this.name = 'InvalidRequestError'
  }
}

/** The refresh request did not reach the server. The session is kept. */
export class LatchNetworkError extends LatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('network_error', message, options)
    this.name = 'LatchNetworkError'
  }
}

/**
 * The server answered the refresh with something other than success or a session-ending 401
 * (5xx, 503 `store_unavailable`, 403 `csrf_failed`, a success without a readable session). The
 * session is kept; the next call tries again.
 */
export class RefreshFailedError extends LatchError {
  /** HTTP status of the refresh answer. */
  readonly status: number
  /** The `x-latch-error` code of the answer, or `null` when it had none. */
  readonly latchCode: string | null
  /** Seconds from `Retry-After`, or `null`. */
  readonly retryAfter: number | null

  constructor(status: number, latchCode: string | null, retryAfter: number | null) {
    super('refresh_failed', `Refresh failed: ${status} ${latchCode ?? ''}`.trim())
    this.name = 'RefreshFailedError'
    this.status = status
    this.latchCode = latchCode
    this.retryAfter = retryAfter
  }
}

/** The refresh request did not answer within `refreshTimeout`. The session is kept. */
export class RefreshTimeoutError extends LatchError {
  constructor(timeoutMs: number) {
    super('refresh_timeout', `Refresh timed out after ${timeoutMs} ms.`)
    this.name = 'RefreshTimeoutError'
  }
}

/**
 * A replayed call met `try_refresh` again with the very session the refresh had just produced
 * (a proxy dropping cookies, a clock far off…), or went round more than `maxReplays` times.
 */
export class RefreshLoopError extends LatchError {
  constructor() {
    super('refresh_loop', 'The call still met try_refresh after refreshing: refresh loop stopped.')
    this.name = 'RefreshLoopError'
  }
}

/**
 * The call needed a replay but its body was a `ReadableStream`, which can be sent only once.
 * Send a Blob, ArrayBuffer, string, FormData or URLSearchParams body to make it replayable.
 */
export class BodyNotReplayableError extends LatchError {
  constructor() {
    super(
      'body_not_replayable',
      'A ReadableStream body cannot be replayed after a refresh; send a Blob instead.',
    )
    this.name = 'BodyNotReplayableError'
  }
}

/** The cross-tab refresh lock could not be acquired in time. The session is kept. */
export class LockTimeoutError extends LatchError {
  constructor(name: string, timeoutMs: number) {
    super('lock_timeout', `Lock "${name}" not acquired within ${timeoutMs} ms.`)
    this.name = 'LockTimeoutError'
  }
}

/** The sign-out request failed; the session is still active on the server, so it is kept locally too. */
export class SignOutFailedError extends LatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('signout_failed', message, options)
    this.name = 'SignOutFailedError'
  }
}

const NAMES =
  'LatchError InvalidOptionError InvalidRequestError LatchNetworkError RefreshFailedError RefreshTimeoutError RefreshLoopError BodyNotReplayableError LockTimeoutError SignOutFailedError'.split(
    ' ',
  )

/**
 * True for any {@link LatchError}, also one created in another realm (iframe, duplicated bundle),
 * which `instanceof` misses: it matches on `name` and `code`.
 */
export function isLatchError(value: unknown): value is LatchError {
  const v = value as { name?: unknown; code?: unknown } | null
  return value instanceof LatchError || (NAMES.includes(v?.name as string) && typeof v?.code === 'string')
}

/** True for a {@link LatchError} with the given code. */
export function isLatchErrorWithCode<C extends LatchErrorCode>(
  value: unknown,
  code: C,
): value is LatchError & { code: C } {
  return isLatchError(value) && value.code === code
}
