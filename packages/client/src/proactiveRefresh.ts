/**
 * Refresh shortly before the access token expires, so calls rarely meet `try_refresh`. Every tab
 * schedules it, but it goes through the same coordinator as reactive refreshes: the first tab to
 * get the lock refreshes, the others find the front token changed and only adopt it.
 * @module
 */
import type { RefreshOutcome } from './refresh'
import type { SessionInfo } from './types'

// setTimeout overflows (and fires at once) beyond 2^31-1 ms.
const MAX_TIMER_DELAY = 2 ** 31 - 1

/** What the scheduler needs. */
export interface ProactiveRefreshDeps {
  /** Milliseconds before expiry to refresh, or `false` for never. */
  leadTime: number | false
  now: () => number
  refresh(seen: SessionInfo): Promise<RefreshOutcome>
}

/** Schedules at most one pending proactive refresh. */
export interface ProactiveRefresh {
  /** (Re)schedules for `session`; `null` cancels. */
  schedule(session: SessionInfo | null): void
  cancel(): void
}

/**
 * The delay before refreshing `session`, or `null` for no proactive refresh: never more than half
 * of the remaining life before expiry (so a lead longer than the token's life cannot cause a
 * refresh storm), and none for a token that already looks expired (a clock far off would
 * otherwise refresh in a loop; the next call refreshes reactively instead).
 */
export function proactiveDelay(session: SessionInfo, now: number, leadTime: number): number | null {
  const remaining = session.accessTokenExpiresAt - now
  if (remaining <= 0) return null
  return Math.min(MAX_TIMER_DELAY, remaining - Math.min(leadTime, remaining / 2))
}

/** Creates the scheduler. Timers are looked up at call time so fake timers apply. */
export function createProactiveRefresh(deps: ProactiveRefreshDeps): ProactiveRefresh {
  let timer: ReturnType<typeof setTimeout> | undefined
  const cancel = () => {
    if (timer !== undefined) globalThis.clearTimeout(timer)
    timer = undefined
  }
  return {
    schedule(session) {
      cancel()
      if (deps.leadTime === false || session === null) return
      const delay = proactiveDelay(session, deps.now(), deps.leadTime)
      if (delay === null) return
      timer = globalThis.setTimeout(() => {
        timer = undefined
        // Failures are reported through `refreshFailed`; the next call retries reactively.
        deps.refresh(session).catch(() => {})
      }, delay)
    },
    cancel,
  }
}
