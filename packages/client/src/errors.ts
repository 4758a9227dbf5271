/**
 * Typed errors of the session client. Every error is a {@link LatchError} with a stable string
 * `code`, so callers `switch (err.code)` instead of matching message text. Messages never carry a
 * token.
 *
 * The subclasses are made by one small factory (a class per error would ship ten constructors to
 * every user); each is still a real class: `new`, `instanceof`, `code` and `name` all work.
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
  | 'cookies_not_kept'

type ErrorOptions = { cause?: unknown }

/** Base class of every error the client throws. */
export class LatchError extends Error {
  /** Stable machine-readable code. */
  readonly code: LatchErrorCode

  constructor(code: LatchErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'LatchError'
    this.code = code
  }
}

/**
 * Makes a subclass named `name` with `code`; `build` turns the constructor's arguments into the
 * message, the `cause` options and the extra fields.
 */
/* @__NO_SIDE_EFFECTS__ */
function define<A extends unknown[]>(
  name: string,
  code: LatchErrorCode,
  build: (...args: A) => [message: string, fields?: object, options?: ErrorOptions],
): new (
  ...args: A
) => LatchError {
  return class extends LatchError {
    constructor(...args: A) {
      const [message, fields, options] = build(...args)
      super(code, message, options)
      this.name = name
      Object.assign(this, fields)
    }
  }
}

const withCause = (message: string, options?: ErrorOptions): [string, undefined, ErrorOptions?] => [
  message,
  undefined,
  options,
]

/** An option given to `createSessionClient` (or a lock factory) is invalid. Thrown at creation. */
export interface InvalidOptionError extends LatchError {
  /** The name of the offending option. */
  readonly option: string
}
export const InvalidOptionError: new (option: string, requirement: string) => InvalidOptionError = define(
  'InvalidOptionError',
  'invalid_option',
  (option: string, requirement: string) => [
    `Invalid option \`${option}\`: must be ${requirement}.`,
    { option },
  ],
) as never

/** The request given to `fetch` cannot be built (bad URL, no base URL to resolve it against…). */
export interface InvalidRequestError extends LatchError {}
export const InvalidRequestError: new (message: string, options?: ErrorOptions) => InvalidRequestError =
  define('InvalidRequestError', 'invalid_request', withCause)

/**
 * A request did not reach the server: the refresh (or sign-out) request, or a call to the API
 * (offline, DNS, connection refused; the browser's error is the `cause`). The session is kept.
 */
export interface LatchNetworkError extends LatchError {}
export const LatchNetworkError: new (message: string, options?: ErrorOptions) => LatchNetworkError = define(
  'LatchNetworkError',
  'network_error',
  withCause,
)

/**
 * The server answered the refresh with something other than success or a session-ending 401
 * (5xx, 503 `store_unavailable`, 403 `csrf_failed`, a success without a readable session). The
 * session is kept; the next call tries again.
 */
export interface RefreshFailedError extends LatchError {
  /** HTTP status of the refresh answer. */
  readonly status: number
  /** The `x-latch-error` code of the answer, or `null` when it had none. */
  readonly latchCode: string | null
  /** Seconds from `Retry-After`, or `null`. */
  readonly retryAfter: number | null
}
export const RefreshFailedError: new (
  status: number,
  latchCode: string | null,
  retryAfter: number | null,
) => RefreshFailedError = define(
  'RefreshFailedError',
  'refresh_failed',
  (status: number, latchCode: string | null, retryAfter: number | null) => [
    `Refresh failed (${status}).`,
    { status, latchCode, retryAfter },
  ],
) as never

/** The refresh request did not answer within `refreshTimeout`. The session is kept. */
export interface RefreshTimeoutError extends LatchError {}
export const RefreshTimeoutError: new (timeoutMs: number) => RefreshTimeoutError = define(
  'RefreshTimeoutError',
  'refresh_timeout',
  (timeoutMs: number) => [`Timed out (${timeoutMs} ms).`],
)

/**
 * A replayed call met `try_refresh` again with the very session the refresh had just produced
 * (a proxy dropping cookies, a clock far off…), or went round more than `maxReplays` times.
 */
export interface RefreshLoopError extends LatchError {}
export const RefreshLoopError: new () => RefreshLoopError = define('RefreshLoopError', 'refresh_loop', () => [
  'Refresh loop.',
])

/**
 * The call needed a replay but its body was a `ReadableStream`, which can be sent only once.
 * Send a Blob, ArrayBuffer, string, FormData or URLSearchParams body to make it replayable.
 */
export interface BodyNotReplayableError extends LatchError {}
export const BodyNotReplayableError: new () => BodyNotReplayableError = define(
  'BodyNotReplayableError',
  'body_not_replayable',
  () => ['Stream body not replayable.'],
)

/** The cross-tab refresh lock could not be acquired in time. The session is kept. */
export interface LockTimeoutError extends LatchError {}
export const LockTimeoutError: new (name: string, timeoutMs: number) => LockTimeoutError = define(
  'LockTimeoutError',
  'lock_timeout',
  (name: string, timeoutMs: number) => [`Lock ${name} timed out (${timeoutMs} ms).`],
)

/** The sign-out request failed; the session is still active on the server, so it is kept locally too. */
export interface SignOutFailedError extends LatchError {}
export const SignOutFailedError: new (message: string, options?: ErrorOptions) => SignOutFailedError = define(
  'SignOutFailedError',
  'signout_failed',
  withCause,
)

const NAMES =
  /* @__PURE__ */ 'LatchError InvalidOptionError InvalidRequestError LatchNetworkError RefreshFailedError RefreshTimeoutError RefreshLoopError BodyNotReplayableError LockTimeoutError SignOutFailedError'.split(
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
