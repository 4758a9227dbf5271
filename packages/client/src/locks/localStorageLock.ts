/**
 * Cross-tab lock in localStorage, for browsers without Web Locks. localStorage has no
 * compare-and-swap and a tab can die holding the lock, so the entry carries an expiry that the
 * holder pushes forward with a heartbeat, and a writer re-reads its entry after a short settle
 * delay to find out whether another tab overwrote it.
 * @module
 */
import { InvalidOptionError, LockTimeoutError } from '../errors'
import { browserLocalStorage, type StateStorage, safeStorage } from '../storage'
import { type LockFn, randomId, sleep } from './LockFn'
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
  /** Milliseconds to wait for the lock before failing with `lock_timeout`. Defaults to `20000`. */
  acquireTimeout?: number
  /** Milliseconds between two looks at a lock held by another tab. Defaults to `50`. */
  pollInterval?: number
  /** Milliseconds between writing the entry and re-reading it to confirm ownership. Defaults to `25`. */
  settleDelay?: number
  /** Clock in epoch milliseconds. Defaults to `Date.now`. */
  now?: () => number
}

interface LockEntry {
  id: string
  expiresAt: number
}

function parseEntry(value: string | null): LockEntry | null {
  if (value === null) return null
  try {
    const entry = JSON.parse(value) as Partial<LockEntry>
    if (typeof entry?.id === 'string' && typeof entry.expiresAt === 'number') {
      return { id: entry.id, expiresAt: entry.expiresAt }
    }
  } catch {
    // Garbage under our key (another script, a truncated write) counts as no holder.
  }
  return null
}

function positive(option: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidOptionError(option, 'a positive number of milliseconds')
  return value
}

/**
 * Creates a localStorage lock.
 *
 * @example
 * createSessionClient({ lock: localStorageLock({ ttl: 3000 }) })
 */
export function localStorageLock(options: LocalStorageLockOptions = {}): LockFn {
  const ttl = positive('ttl', options.ttl ?? 5000)
  const heartbeatInterval = positive('heartbeatInterval', options.heartbeatInterval ?? ttl / 3)
  if (heartbeatInterval >= ttl) throw new InvalidOptionError('heartbeatInterval', 'below `ttl`')
  const acquireTimeout = positive('acquireTimeout', options.acquireTimeout ?? 20_000)
  const pollInterval = positive('pollInterval', options.pollInterval ?? 50)
  const settleDelay = positive('settleDelay', options.settleDelay ?? 25)
  const keyPrefix = options.keyPrefix ?? 'latch-lock:'
  const now = options.now ?? (() => Date.now())
  // Holders in this tab queue here first, so only one of them at a time contends in storage.
  const local = processLock()

  const getStorage = (): StateStorage => {
    const storage = options.storage ?? browserLocalStorage()
    if (!storage) throw new TypeError('localStorage is not available here; pass `storage` or another `lock`.')
    // A failing write then reads back as "not ours" and ends in lock_timeout, never a crash.
    return safeStorage(storage)
  }

  const read = (storage: StateStorage, key: string): LockEntry | null => {
    try {
      return parseEntry(storage.getItem(key))
    } catch {
      return null
    }
  }

  async function acquire(storage: StateStorage, key: string, name: string, id: string): Promise<void> {
    const deadline = now() + acquireTimeout
    for (;;) {
      const entry = read(storage, key)
      if (entry === null || entry.expiresAt <= now()) {
        storage.setItem(key, JSON.stringify({ id, expiresAt: now() + ttl }))
        await sleep(settleDelay)
        if (read(storage, key)?.id === id) return
      }
      if (now() >= deadline) throw new LockTimeoutError(name, acquireTimeout)
      await sleep(pollInterval)
    }
  }

  return <R>(name: string, fn: () => Promise<R>): Promise<R> =>
    local(name, async () => {
      const storage = getStorage()
      const key = keyPrefix + name
      const id = randomId()
      await acquire(storage, key, name, id)
      const heartbeat = globalThis.setInterval(() => {
        // Only extend our own entry: if we lost it (this tab was frozen past the expiry) another
        // tab holds the lock now and must not be overwritten.
        if (read(storage, key)?.id === id)
          storage.setItem(key, JSON.stringify({ id, expiresAt: now() + ttl }))
      }, heartbeatInterval)
      try {
        return await fn()
      } finally {
        globalThis.clearInterval(heartbeat)
        try {
          if (read(storage, key)?.id === id) storage.removeItem(key)
        } catch {
          // The entry expires by itself.
        }
      }
    })
}
