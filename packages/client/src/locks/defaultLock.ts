/**
 * The lock used when none is given: Web Locks where available, else a localStorage lock, else an
 * in-process lock (Node, SSR). Chosen at the first use, not at import, so SSR never touches
 * `window` and test fakes installed after import apply.
 * @module
 */
import { browserLocalStorage } from '../storage'
import { ACQUIRE_TIMEOUT, type LockFn } from './LockFn'
import { storageLock } from './localStorageLock'
import { processLock } from './processLock'
import { globalLockManager, type LockManagerLike, webLock } from './webLocks'

let shared: LockFn | undefined

function pick(): LockFn {
  if (globalLockManager()) return webLock(ACQUIRE_TIMEOUT, globalLockManager as () => LockManagerLike)
  const storage = browserLocalStorage()
  if (storage) return storageLock({}, () => storage)
  return processLock()
}

/** The default lock: one instance per realm, so every client in a tab shares it. */
export const defaultLock: LockFn = <R>(name: string, fn: () => Promise<R>): Promise<R> => {
  shared ??= pick()
  return shared(name, fn)
}
