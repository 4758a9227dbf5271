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
  const tails = new Map<string, Promise<unknown>>()
  return (name, fn) => {
    const run = (tails.get(name) ?? Promise.resolve()).then(() => fn())
    // The queue goes on whether `fn` resolves or rejects.
    const tail = run.catch(() => {})
    tails.set(name, tail)
    // Forget the chain once nobody queued behind us, so names do not accumulate.
    tail.then(() => tails.get(name) === tail && tails.delete(name))
    return run
  }
}
