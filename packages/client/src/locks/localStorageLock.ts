/**
 * Cross-tab lock in localStorage, for browsers without Web Locks. localStorage has no
 * compare-and-swap and a tab can die holding the lock, so the entry carries an expiry that the
 * holder pushes forward with a heartbeat, and a writer re-reads its entry after a short settle
 * delay to find out whether another tab overwrote it.
 * @module
 */
import { InvalidOptionError, LockTimeoutError } from '../errors'
import { browserLocalStorage, type StateStorage, safeStorage } from '../storage'
import { ACQUIRE_TIMEOUT, type LockFn, positive, sleep } from './LockFn'
import { processLock } from './processLock'

/** Options of {@link localStorageLock}. */
export interface LocalStorageLockOptions {
  /** Where the lock entry lives; must be shared by the tabs. Defaults to `window.localStorage`. */
  storage?: StateStorage
  /** Key prefix of the lock entries. Defaults to `'latch-lock:'`. */
  keyPrefix?: string
  /** Milliseconds a holder's entry stays valid without a heartbeat (a dead holder's lock frees after this). Defaults to `5000`. */
  ttl?: number
  /** Milliseconds between heartbeats of a live holder. Must be below `ttl`. Defaults to `ttl / 3`. */
  heartbeatInterval?: number
  /** Milliseconds to wait for the lock before failing with `lock_timeout` (the session client then goes on without the lock). Defaults to `3000`. */
  acquireTimeout?: number
  /** Milliseconds between two looks at a lock held by another tab. Defaults to `50`. */
  pollInterval?: number
  /** Milliseconds between writing the entry and re-reading it to confirm ownership. Defaults to `25`. */
  settleDelay?: number
  /** Clock in epoch milliseconds. Defaults to `Date.now`. */
  now?: () => number
}

/**
 * The lock itself, options already checked (the default lock skips the checks); `getStorage`
 * gives the storage at each use.
 */
export function storageLock(options: LocalStorageLockOptions, getStorage: () => StateStorage): LockFn {
  const ttl = options.ttl ?? 5000
  const acquireTimeout = options.acquireTimeout ?? ACQUIRE_TIMEOUT
  const now = options.now ?? (() => Date.now())
  // Holders in this tab queue here first, so only one of them at a time contends in storage.
  const local = processLock()

  return (name, fn) =>
    local(name, async () => {
      // A failing write then reads back as "not ours" and ends in lock_timeout, never a crash.
      const storage = safeStorage(getStorage())
      const key = (options.keyPrefix ?? 'latch-lock:') + name
      // Not security sensitive: it only has to tell two holders apart (JSON keeps it exact).
      const id = Math.random()
      /** The holder's id and expiry; garbage under our key (a truncated write) counts as no holder. */
      const holder = (): { id?: unknown; expiresAt?: unknown } => {
        try {
          return JSON.parse(storage.getItem(key)!) ?? {}
        } catch {
          return {}
        }
      }
      const write = () => storage.setItem(key, JSON.stringify({ id, expiresAt: now() + ttl }))
      const deadline = now() + acquireTimeout
      for (;;) {
        const expiresAt = holder().expiresAt
        if (!(typeof expiresAt === 'number' && expiresAt > now())) {
          write()
          await sleep(options.settleDelay ?? 25)
          if (holder().id === id) break
        }
        if (now() >= deadline) throw new LockTimeoutError(name, acquireTimeout)
        await sleep(options.pollInterval ?? 50)
      }
      // Only extend our own entry: if we lost it (this tab was frozen past the expiry) another
      // tab holds the lock now and must not be overwritten.
      const heartbeat = setInterval(() => holder().id === id && write(), options.heartbeatInterval ?? ttl / 3)
      try {
        return await fn()
      } finally {
        clearInterval(heartbeat)
        // Otherwise the entry expires by itself.
        if (holder().id === id) storage.removeItem(key)
      }
    })
}

/**
 * Creates a localStorage lock.
 *
 * @example
 * createSessionClient({ lock: localStorageLock({ ttl: 3000 }) })
 */
export function localStorageLock(options: LocalStorageLockOptions = {}): LockFn {
  for (const name of ['ttl', 'heartbeatInterval', 'acquireTimeout', 'pollInterval', 'settleDelay'] as const)
    if (options[name] !== undefined) positive(name, options[name])
  if ((options.heartbeatInterval ?? 0) >= (options.ttl ?? 5000))
    throw new InvalidOptionError('heartbeatInterval', 'below `ttl`')
  return storageLock(options, () => {
    const storage = options.storage ?? browserLocalStorage()
    if (!storage) throw new TypeError('localStorage is not available here; pass `storage` or another `lock`.')
    return storage
  })
}
