import { EXPIRED_RETENTION_MS } from './SessionStore.js'

/** Options every store with a periodic sweep of expired rows accepts. */
export interface SweepOptions {
  /**
   * How often to delete expired sessions (kept `EXPIRED_RETENTION_MS` past expiry) and
   * revocations. `0` turns the sweep off (e.g. when the application calls `deleteExpired` itself).
   * Defaults to `60_000` (one minute).
   */
  sweepIntervalMs?: number
  /** At most this many sessions and this many revocations go per sweep, so a sweep never blocks the store. Defaults to `500`. */
  sweepBatchSize?: number
  /** The clock the sweep reads, in epoch milliseconds. Defaults to `Date.now`. */
  now?: () => number
}

/** Validated sweep settings. */
export interface SweepSettings {
  intervalMs: number
  batchSize: number
  now: () => number
}

/** Validates {@link SweepOptions}, naming the bad option. */
export function resolveSweepOptions(options: SweepOptions, defaultIntervalMs = 60_000): SweepSettings {
  const intervalMs = options.sweepIntervalMs ?? defaultIntervalMs
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 0) {
    throw new TypeError('The `sweepIntervalMs` option must be a non-negative integer number of milliseconds.')
  }
  const batchSize = options.sweepBatchSize ?? 500
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new TypeError('The `sweepBatchSize` option must be a positive integer.')
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('The `now` option must be a function returning epoch milliseconds.')
  }
  // Read the global lazily so fake timers installed after creation still apply.
  const now = options.now ?? (() => Date.now())
  return { intervalMs, batchSize, now }
}

/**
 * Runs `sweep(sessionsBefore, revocationsBefore, limit)` every `intervalMs` on an unref'd timer
 * (it never keeps the process alive). A failing sweep (store down) is retried at the next tick.
 * Resolves a function that stops it.
 */
export function startSweeper(
  settings: SweepSettings,
  sweep: (sessionsBefore: number, revocationsBefore: number, limit: number) => Promise<unknown>,
): () => void {
  if (settings.intervalMs === 0) return () => {}
  let running = false
  const timer = setInterval(() => {
    // Skip a tick rather than pile up sweeps behind a slow store.
    if (running) return
    running = true
    const now = settings.now()
    sweep(now - EXPIRED_RETENTION_MS, now, settings.batchSize)
      .catch(() => {})
      .finally(() => {
        running = false
      })
  }, settings.intervalMs)
  timer.unref?.()
  return () => clearInterval(timer)
}
