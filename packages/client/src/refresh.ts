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
import type { SessionInfo, SignedOutReason } from './types'

/** What a refresh attempt ended in. Failures (network, 5xx, timeout) reject with a `LatchError`. */
export type RefreshOutcome =
  | { kind: 'refreshed'; session: SessionInfo }
  /** Another tab refreshed since the caller's request was sent: just replay. */
  | { kind: 'skipped'; session: SessionInfo }
  | { kind: 'signed_out'; reason: SignedOutReason }

/** What the coordinator needs from the client. */
export interface RefreshCoordinatorDeps {
  lock: LockFn
  lockName: string
  /** Reads the current front token (cookie or storage). */
  read(): SessionInfo | null
  /** Called inside the lock when the session moved on in another tab, to adopt it. */
  adopt(session: SessionInfo | null): void
  /** The refresh request itself, run inside the lock; applies its result before resolving. */
  perform(): Promise<RefreshOutcome>
}

/** Single-flight, cross-tab refresh. */
export interface RefreshCoordinator {
  /** Refreshes unless the session already moved on from `seen`. Concurrent callers share one attempt. */
  refresh(seen: SessionInfo | null): Promise<RefreshOutcome>
}

/** Creates the coordinator. */
export function createRefreshCoordinator(deps: RefreshCoordinatorDeps): RefreshCoordinator {
  let inFlight: Promise<RefreshOutcome> | null = null

  const underLock = (seen: SessionInfo | null) =>
    deps.lock(deps.lockName, async (): Promise<RefreshOutcome> => {
      const current = deps.read()
      if (!sameSession(current, seen)) {
        deps.adopt(current)
        // A session that vanished while we waited was ended by another tab; refreshing would
        // only be told `unauthorized`.
        if (current === null) return { kind: 'signed_out', reason: 'other_tab' }
        return { kind: 'skipped', session: current }
      }
      return deps.perform()
    })

  return {
    refresh(seen) {
      // Joining whatever is in flight is right for any `seen`: the attempt started after every
      // change the caller could have seen, so its result is at least as new.
      inFlight ??= underLock(seen).finally(() => {
        inFlight = null
      })
      return inFlight
    },
  }
}
