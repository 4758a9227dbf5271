/**
 * The lock contract shared by every lock implementation.
 * @module
 */

/**
 * An exclusive lock: runs `fn` while holding the lock called `name`, and releases it when `fn`
 * settles. Implementations must release on rejection too, and may reject with a
 * `LockTimeoutError` when the lock cannot be acquired in time. Like supabase-js's lock functions,
 * so any implementation (a test fake, a server-side mutex) can be injected.
 */
export type LockFn = <R>(name: string, fn: () => Promise<R>) => Promise<R>

/** Waits `ms` through the global timer looked up at call time, so fake timers apply. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    globalThis.setTimeout(resolve, ms)
  })
}

/** A random identifier for a lock holder. */
export function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto
  if (crypto?.randomUUID) return crypto.randomUUID()
  // Not security sensitive: it only has to tell two holders apart.
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
}
