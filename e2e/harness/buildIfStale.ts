/**
 * Builds an app under test when a source is newer than its last build, for the global setups:
 * the tests always run against the current sources, without a rebuild on every run.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { withBuildLock } from './withBuildLock'

/** What {@link buildIfStale} builds, from what, and where it records that it did. */
export interface BuildIfStaleOptions {
  /** Files and folders the build reads; folders are walked, skipping `node_modules` and `*.test.ts`. */
  sources: readonly string[]
  /** Files the build writes: while one is missing, the build is stale whatever the stamp says. */
  outputs?: readonly string[]
  /** Written after each build: the build is fresh while this file is newer than every source. */
  stamp: string
  /** The lock folder that keeps two runs in this checkout from building at once. */
  lock: string
  /** A lock older than this was left by a killed build (see {@link withBuildLock}). */
  staleLockMs: number
  /** Builds synchronously, throwing on failure (then no stamp is written). */
  build(): void
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.endsWith('.test.ts')) continue
    newest = Math.max(newest, newestMtime(join(path, entry)))
  }
  return newest
}

function isFresh(options: BuildIfStaleOptions): boolean {
  if (![options.stamp, ...(options.outputs ?? [])].every((path) => existsSync(path))) return false
  const built = statSync(options.stamp).mtimeMs
  return options.sources.every((source) => newestMtime(source) <= built)
}

/** Runs `options.build()` unless the last build is newer than every source, then stamps it. */
export async function buildIfStale(options: BuildIfStaleOptions): Promise<void> {
  if (isFresh(options)) return
  await withBuildLock(options.lock, options.staleLockMs, () => {
    if (isFresh(options)) return // built by the process that held the lock
    options.build()
    writeFileSync(options.stamp, `${new Date().toISOString()}\n`)
  })
}
