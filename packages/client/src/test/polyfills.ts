/**
 * Test-only: msw 3's interceptors use `Promise.withResolvers` (Node 22+); the repo runs on
 * Node 20. The library itself does not use it.
 */
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void
      let reject!: (reason?: unknown) => void
      const promise = new Promise<T>((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    },
  })
}

// msw 3 also uses the Set methods of Node 22 (`intersection`, `union`, `difference`).
const setMethods: Record<string, (this: Set<unknown>, other: Set<unknown>) => Set<unknown>> = {
  intersection(other) {
    return new Set([...this].filter((value) => other.has(value)))
  },
  union(other) {
    return new Set([...this, ...other])
  },
  difference(other) {
    return new Set([...this].filter((value) => !other.has(value)))
  },
}
for (const [name, value] of Object.entries(setMethods)) {
  if (!(name in Set.prototype)) {
    Object.defineProperty(Set.prototype, name, { configurable: true, writable: true, value })
  }
}
