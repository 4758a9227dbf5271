/**
 * Refresh coordination: one refresh in flight per tab, one across tabs. Every caller that met
 * `try_refresh` passes the front token it saw when its request was sent; inside the cross-tab
 * lock the token is read again, and if another tab refreshed (or signed out) meanwhile there is
 * nothing to do but replay. Only when the token is still the one the caller saw does the refresh
 * happen, so a dozen tabs waking up together rotate the refresh token once.
 * @module
 */
import { sameSession } from './frontToken'
import type { LockFn } from './locks/LockFn'
import type { SessionInfo } from './types'

/**
 * What a refresh attempt ended in: the session now (`null`: signed out), and whether this tab
 * refreshed it (`true`) or found it already moved on in another tab. Failures (network, 5xx,
 * timeout) reject with a `LatchError`.
 */
export type RefreshOutcome = [session: SessionInfo | null, refreshedHere?: boolean]

/**
 * Creates the single-flight, cross-tab refresh: `refresh(seen)` refreshes unless the session
 * already moved on from `seen`; concurrent callers share one attempt.
 *
 * @param read reads the current front token (cookie or storage)
 * @param adopt called inside the lock when the session moved on in another tab
 * @param perform the refresh request itself, run inside the lock; applies its result
 */
export function createRefreshCoordinator(
  lock: LockFn,
  lockName: string,
  read: () => SessionInfo | null,
  adopt: (session: SessionInfo | null) => void,
  perform: () => Promise<RefreshOutcome>,
): (seen: SessionInfo | null) => Promise<RefreshOutcome> {
  let inFlight: Promise<RefreshOutcome> | null = null
  // Joining whatever is in flight is right for any `seen`: the attempt started after every change
  // the caller could have seen, so its result is at least as new.
  return (seen) =>
    (inFlight ??= lock(lockName, async (): Promise<RefreshOutcome> => {
      const current = read()
      if (sameSession(current, seen)) return perform()
      // A session that vanished while we waited was ended by another tab; refreshing would only
      // be told `unauthorized`.
      adopt(current)
      return [current]
    }).finally(() => {
      inFlight = null
    }))
}
