/**
 * The lock contract shared by every lock implementation.
 * @module
 */
import { InvalidOptionError } from '../errors'

/**
 * An exclusive lock: runs `fn` while holding the lock called `name`, and releases it when `fn`
 * settles. Implementations must release on rejection too, and may reject with a
 * `LockTimeoutError` when the lock cannot be acquired in time. Like supabase-js's lock functions,
 * so any implementation (a test fake, a server-side mutex) can be injected.
 */
export type LockFn = <R>(name: string, fn: () => Promise<R>) => Promise<R>

/**
 * How long a tab waits for the cross-tab lock by default, in milliseconds. Short on purpose: the
 * client goes on without the lock past it (`boundedLock.ts`), so a holder that hangs or is frozen
 * costs the other tabs this much once, not a failed call.
 */
export const ACQUIRE_TIMEOUT = 3000

/** Waits `ms` through the global timer looked up at call time, so fake timers apply. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Throws `InvalidOptionError` unless `value` is a positive number of milliseconds. */
export function positive(option: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new InvalidOptionError(option, 'a positive number of milliseconds')
  return value
}
