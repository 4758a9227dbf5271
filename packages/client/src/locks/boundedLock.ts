/**
 * The lock as an optimisation, not a condition of correctness (DESIGN.md, "Browser client"): a
 * tab that hangs, is frozen or crashed while it holds the cross-tab lock must not stall the
 * others. When the lock cannot be had within its (short) acquire timeout, `fn` runs without it;
 * what keeps that safe is the caller's work, not the lock: it re-reads the front token first, the
 * server answers a duplicate refresh within the grace with the same successor, and a result is
 * committed only if no newer front token was stored meanwhile (`frontToken.ts`, `mayCommit`).
 * @module
 */
import type { LockFn } from './LockFn'

/**
 * Wraps `lock` so that a `lock_timeout` (the lock was never granted) runs `fn` unlocked instead
 * of failing. An error thrown by `fn` itself, `lock_timeout` or not, is passed through.
 */
export const boundedLock =
  (lock: LockFn): LockFn =>
  (name, fn) => {
    let ran = false
    return lock(name, () => {
      ran = true
      return fn()
    }).catch((error: { code?: unknown }) => {
      if (ran || error?.code !== 'lock_timeout') throw error
      return fn()
    })
  }
