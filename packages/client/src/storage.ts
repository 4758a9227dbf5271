/**
 * The synchronous key/value storage the client keeps its cross-origin front token, header-mode
 * tokens and localStorage lock in. `localStorage` fits as is.
 * @module
 */

/**
 * A synchronous key/value store (the shape of `localStorage`). Synchronous on purpose: the
 * session snapshot must be readable during render without a promise.
 */
export interface StateStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/** A storage that lives in this JavaScript realm only (one tab, one process). */
export function memoryStorage(): StateStorage {
  const items = new Map<string, string>()
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => {
      items.set(key, String(value))
    },
    removeItem: (key) => {
      items.delete(key)
    },
  }
}

/**
 * `window.localStorage` when it exists and works, else `null`. Probed because Safari private
 * mode, disabled site data and sandboxed iframes throw on access instead of leaving it undefined.
 */
export function browserLocalStorage(): StateStorage | null {
  try {
    const storage = (globalThis as { localStorage?: StateStorage }).localStorage
    if (!storage || typeof (globalThis as { window?: unknown }).window === 'undefined') return null
    const probe = '__latch_probe__'
    storage.setItem(probe, probe)
    storage.removeItem(probe)
    return storage
  } catch {
    return null
  }
}

/**
 * Wraps a storage so a throwing backend (quota exceeded, access revoked mid-session) degrades to
 * "nothing stored" instead of breaking a call.
 */
export function safeStorage(storage: StateStorage): StateStorage {
  const guard =
    <A extends unknown[], R>(call: (...args: A) => R) =>
    (...args: A): R | null => {
      try {
        return call(...args) ?? null
      } catch {
        return null
      }
    }
  return {
    getItem: guard((key: string) => storage.getItem(key)),
    setItem: guard((key: string, value: string) => storage.setItem(key, value)),
    removeItem: guard((key: string) => storage.removeItem(key)),
  } as StateStorage
}
