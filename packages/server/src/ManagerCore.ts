/**
 * The parts a session manager is wired from, shared by its flows (create, refresh, sign-out).
 * Internal: not exported from the package.
 * @module
 */
import { isLatchError, StoreUnavailableError } from './errors.js'
import type { KeyRing } from './keys/keyRing.js'
import type { ResolvedOptions } from './options.js'
import type { RevocationList } from './revocation/revocationList.js'
import type { Revocation, RevocationReason, SessionRecord } from './stores/SessionStore.js'
import type { AccessTokens } from './tokens/accessToken.js'
import type { RefreshTokens } from './tokens/refreshToken.js'

/** Per-request facts an adapter knows and a Web `Request` does not. */
export interface RequestContext {
  /** Client IP address (for device lists and the theft hook). Defaults to `null`. */
  ip?: string | null
}

/** See the module description. */
export interface ManagerCore {
  readonly options: ResolvedOptions
  readonly keys: KeyRing
  readonly accessTokens: AccessTokens
  readonly revocations: RevocationList
  /** Resolves the refresh-token codec once the manager has started (retrying a failed start). */
  started(): Promise<RefreshTokens>
}

/** Builds the revocation entry for a record: it lasts as long as the session's last access token can. */
export function revocationFor(
  options: ResolvedOptions,
  reason: RevocationReason,
): (record: SessionRecord) => Revocation {
  const now = options.now()
  const ttl = Math.max(options.accessTokenTtl, options.maxTokenAge) + options.clockTolerance
  return (record) => ({
    sessionId: record.id,
    userId: record.userId,
    reason,
    revokedAt: now,
    expiresAt: now + ttl,
  })
}

/** Runs a store operation, turning any failure that is not already a Latch answer into 503. */
export async function withStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (cause) {
    if (isLatchError(cause)) throw cause
    throw new StoreUnavailableError(5, { cause })
  }
}
