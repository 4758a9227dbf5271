/**
 * Cross-tab lock on the Web Locks API (`navigator.locks`), the default in browsers. The browser
 * releases it when the holding tab closes or crashes, so no expiry is needed.
 * @module
 */
import { LockTimeoutError } from '../errors'
import { ACQUIRE_TIMEOUT, type LockFn, positive } from './LockFn'

/** The part of the Web Locks API the lock uses. */
export interface LockManagerLike {
  request<R>(
    name: string,
    options: { mode?: 'exclusive'; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<R>,
  ): Promise<R>
}

/** Options of {@link webLocks}. */
export interface WebLocksOptions {
  /** Milliseconds to wait for the lock before failing with `lock_timeout` (the session client then goes on without the lock). Defaults to `3000`. */
  acquireTimeout?: number
  /** The lock manager. Defaults to `navigator.locks`, looked up at each call. */
  locks?: LockManagerLike
}

/** The global `navigator.locks`, or `undefined` where Web Locks is missing (or not a secure context). */
export function globalLockManager(): LockManagerLike | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks
  return typeof locks?.request === 'function' ? locks : undefined
}

/** The lock itself, options already checked (the default lock skips the checks). */
export const webLock =
  (acquireTimeout: number, manager: () => LockManagerLike): LockFn =>
  async (name, fn) => {
    const signal = AbortSignal.timeout(acquireTimeout)
    let granted = false
    try {
      // The timeout only aborts the wait: once granted, `fn` runs as long as it needs.
      return await manager().request(name, { signal }, () => {
        granted = true
        return fn()
      })
    } catch (error) {
      throw !granted && signal.aborted ? new LockTimeoutError(name, acquireTimeout) : error
    }
  }

/**
 * Creates a lock on the Web Locks API.
 *
 * @example
 * createSessionClient({ lock: webLocks({ acquireTimeout: 5000 }) })
 */
export function webLocks(options: WebLocksOptions = {}): LockFn {
  return webLock(positive('acquireTimeout', options.acquireTimeout ?? ACQUIRE_TIMEOUT), () => {
    const locks = options.locks ?? globalLockManager()
    if (!locks) throw new TypeError('The Web Locks API is not available here; pass another `lock`.')
    return locks
  })
}
