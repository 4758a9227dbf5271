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
    // No window (SSR, Node, workers) or no localStorage: the probe below throws, giving `null`.
    const storage = ((globalThis as { window?: unknown }).window && localStorage) as StateStorage
    const probe = '__latch'
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
    (method: keyof StateStorage) =>
    (...args: string[]): never => {
      try {
        return ((storage[method] as (...a: string[]) => unknown)(...args) ?? null) as never
      } catch {
        return null as never
      }
    }
  return { getItem: guard('getItem'), setItem: guard('setItem'), removeItem: guard('removeItem') }
}
