/**
 * In-process lock: serialises holders inside one JavaScript realm. The default where there is no
 * window (Node, SSR, workers without Web Locks), and the first stage of the localStorage lock.
 * @module
 */
import type { LockFn } from './LockFn'

/**
 * Creates an in-process lock. Holders of the same name run one after the other, in call order;
 * different names do not wait for each other.
 *
 * @example
 * const lock = processLock()
 * await lock('latch-refresh', async () => refresh())
 */
export function processLock(): LockFn {
  const tails = new Map<string, Promise<void>>()
  return async <R>(name: string, fn: () => Promise<R>): Promise<R> => {
    const previous = tails.get(name) ?? Promise.resolve()
    let release!: () => void
    const current = new Promise<void>((resolve) => {
      release = resolve
    })
    const tail = previous.then(() => current)
    tails.set(name, tail)
    await previous
    try {
      return await fn()
    } finally {
      release()
      // Forget the chain once nobody queued behind us, so names do not accumulate.
      if (tails.get(name) === tail) tails.delete(name)
    }
  }
}
