/**
 * Errors a store raises on its own (as opposed to driver errors from an unreachable server,
 * which pass through untouched so the manager can answer `store_unavailable`).
 *
 * @module
 */

/** Stable codes of {@link StoreError}. */
export type StoreErrorCode =
  /** `createSession` was given an id that already exists (ids are random: a clash is a bug). */
  | 'session_exists'
  /** The store was used after `close()`. */
  | 'store_closed'
  /** The store's schema is newer than this version of Latch understands (a downgrade). */
  | 'schema_too_new'
  /** A stored row could not be read back (corrupted or written by something else). */
  | 'corrupt_record'

/** An error raised by a store itself. Never carries a token or a secret in its message. */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  /** Stable machine-readable code; switch on it, not on the message. */
  readonly code: StoreErrorCode

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** True for a {@link StoreError}, also across realms (matches on `name`). */
export function isStoreError(value: unknown): value is StoreError {
  return value instanceof StoreError || (value instanceof Error && value.name === 'StoreError')
}

/** Parses a session's stored claims (JSON text); anything but a JSON object is `corrupt_record`. */
export function parseStoredClaims(text: string): Record<string, unknown> {
  let claims: unknown
  try {
    claims = JSON.parse(text)
  } catch (cause) {
    throw new StoreError('corrupt_record', 'A stored session has unreadable claims.', { cause })
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new StoreError('corrupt_record', 'A stored session has claims that are not an object.')
  }
  return claims as Record<string, unknown>
}
