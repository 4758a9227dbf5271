/**
 * Refresh shortly before the access token expires, so calls rarely meet `try_refresh`. Every tab
 * schedules it, but it goes through the same coordinator as reactive refreshes: the first tab to
 * get the lock refreshes, the others find the front token changed and only adopt it.
 * @module
 */
import type { SessionInfo } from './types'

// setTimeout overflows (and fires at once) beyond 2^31-1 ms.
const MAX_TIMER_DELAY = 2 ** 31 - 1

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

/**
 * Creates the scheduler: the returned function (re)schedules the refresh for a session and `null`
 * cancels. `leadTime` is how long before expiry to refresh, `false` for never. Timers are looked
 * up at call time so fake timers apply. Failures are reported through `refreshFailed`; the next
 * call retries reactively.
 */
export function createProactiveRefresh(
  leadTime: number | false,
  now: () => number,
  refresh: (seen: SessionInfo) => Promise<unknown>,
): (session: SessionInfo | null) => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  return (session) => {
    clearTimeout(timer)
    const delay = leadTime !== false && session && proactiveDelay(session, now(), leadTime)
    if (typeof delay === 'number') timer = setTimeout(() => refresh(session!).catch(() => {}), delay)
  }
}
