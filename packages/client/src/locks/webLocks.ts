/**
 * Cross-tab lock on the Web Locks API (`navigator.locks`), the default in browsers. The browser
 * releases it when the holding tab closes or crashes, so no expiry is needed.
 * @module
 */
import { InvalidOptionError, LockTimeoutError } from '../errors'
import type { LockFn } from './LockFn'

/** The part of the Web Locks API the lock uses. */
export interface LockManagerLike {
  request<R>(
    name: string,
    options: { mode: 'exclusive'; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<R>,
  ): Promise<R>
}

/** Options of {@link webLocks}. */
export interface WebLocksOptions {
  /** Milliseconds to wait for the lock before failing with `lock_timeout`. Defaults to `20000`. */
  acquireTimeout?: number
  /** The lock manager. Defaults to `navigator.locks`, looked up at each call. */
  locks?: LockManagerLike
}

/** The global `navigator.locks`, or `undefined` where Web Locks is missing (or not a secure context). */
export function globalLockManager(): LockManagerLike | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks
  return locks && typeof locks.request === 'function' ? locks : undefined
}

/**
 * Creates a lock on the Web Locks API.
 *
 * @example
 * createSessionClient({ lock: webLocks({ acquireTimeout: 5000 }) })
 */
export function webLocks(options: WebLocksOptions = {}): LockFn {
  const acquireTimeout = options.acquireTimeout ?? 20_000
  if (!Number.isFinite(acquireTimeout) || acquireTimeout <= 0) {
    throw new InvalidOptionError('acquireTimeout', 'a positive number of milliseconds')
  }
  return async <R>(name: string, fn: () => Promise<R>): Promise<R> => {
    const locks = options.locks ?? globalLockManager()
    if (!locks) throw new TypeError('The Web Locks API is not available here; pass another `lock`.')
    const controller = new AbortController()
    let timedOut = false
    const timer = globalThis.setTimeout(() => {
      timedOut = true
      controller.abort()
    }, acquireTimeout)
    try {
      return await locks.request(name, { mode: 'exclusive', signal: controller.signal }, async () => {
        globalThis.clearTimeout(timer)
        return fn()
      })
    } catch (error) {
      if (timedOut && (error as { name?: unknown })?.name === 'AbortError') {
        throw new LockTimeoutError(name, acquireTimeout)
      }
      throw error
    } finally {
      globalThis.clearTimeout(timer)
    }
  }
}
