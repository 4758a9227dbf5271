/**
 * Runs once per test run: makes sure the demo is built from the current sources. The root
 * `pnpm test` builds the packages first but not the demo; building it here (only when a source
 * is newer than the last build) keeps the tests honest without rebuilding on every run.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { demoDir, demoServerEntry, demoSpaIndex, repoRoot } from './paths'

const STAMP = resolve(demoDir, 'dist', '.build-stamp')
const LOCK = resolve(demoDir, '.build-lock')
/** A lock older than this was left by a killed build. */
const STALE_LOCK_MS = 5 * 60_000

const SOURCES = [
  resolve(demoDir, 'src'),
  resolve(demoDir, 'server'),
  resolve(demoDir, 'public'),
  resolve(demoDir, 'index.html'),
  resolve(demoDir, 'vite.config.ts'),
  resolve(demoDir, 'tsup.config.ts'),
  resolve(demoDir, 'package.json'),
  ...['client', 'react', 'server'].map((name) => resolve(repoRoot, 'packages', name, 'dist')),
]

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

function isFresh(): boolean {
  if (!existsSync(STAMP) || !existsSync(demoServerEntry) || !existsSync(demoSpaIndex)) return false
  const built = statSync(STAMP).mtimeMs
  return SOURCES.every((source) => newestMtime(source) <= built)
}

/** Another process in this tree (a second `pnpm test`) may be building the demo right now. */
async function withBuildLock(fn: () => void): Promise<void> {
  const deadline = Date.now() + STALE_LOCK_MS
  for (;;) {
    try {
      mkdirSync(LOCK)
      break
    } catch {
      const age = existsSync(LOCK) ? Date.now() - statSync(LOCK).mtimeMs : 0
      if (age > STALE_LOCK_MS || Date.now() > deadline) rmSync(LOCK, { recursive: true, force: true })
      await new Promise((resolveWait) => setTimeout(resolveWait, 500))
    }
  }
  try {
    fn()
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
}

export default async function setup(): Promise<void> {
  for (const name of ['client', 'react', 'server']) {
    if (!existsSync(resolve(repoRoot, 'packages', name, 'dist'))) {
      throw new Error(`packages/${name}/dist is missing: run \`pnpm build\` before the e2e tests.`)
    }
  }
  if (isFresh()) return
  await withBuildLock(() => {
    if (isFresh()) return // built by the process that held the lock
    // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    execFileSync('pnpm', ['--filter', './demo', 'run', 'build'], {
      cwd: repoRoot,
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    })
    writeFileSync(STAMP, `${new Date().toISOString()}\n`)
  })
}
