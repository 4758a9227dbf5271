/**
 * A lock between processes of one checkout (two `pnpm test` runs) that may build the same app at
 * the same time: a folder, because `mkdir` either creates it or fails, atomically.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs'

/**
 * Runs `fn` holding the lock folder `lock`. A lock older than `staleMs` was left by a killed
 * build and is taken over; so is one still held after waiting `staleMs`, so a run never hangs on it.
 */
export async function withBuildLock(lock: string, staleMs: number, fn: () => void): Promise<void> {
  const deadline = Date.now() + staleMs
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      const age = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : 0
      if (age > staleMs || Date.now() > deadline) rmSync(lock, { recursive: true, force: true })
      await new Promise((resolveWait) => setTimeout(resolveWait, 500))
    }
  }
  try {
    fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}
