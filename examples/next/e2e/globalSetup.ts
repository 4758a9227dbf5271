/**
 * Runs once per test run: `next build` of the example, unless the last build is newer than every
 * source (the app, its config, and the built @latch packages it imports). Bounded in time, so a
 * hung build fails the run instead of eating CI's budget.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { buildStamp, exampleDir, nextBin, repoRoot } from './paths'

/** Measured at 25–65 s on the 2-core CI machine; ten times that is a hang, not a slow build. */
const BUILD_TIMEOUT_MS = 8 * 60_000
const LOCK = resolve(exampleDir, '.next-build-lock')
const STALE_LOCK_MS = BUILD_TIMEOUT_MS + 60_000

const SOURCES = [
  ...['app', 'components', 'lib', 'next.config.ts', 'package.json', 'tsconfig.json'].map((name) =>
    resolve(exampleDir, name),
  ),
  ...['client', 'react', 'server'].map((name) => resolve(repoRoot, 'packages', name, 'dist')),
]

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

function isFresh(): boolean {
  if (!existsSync(buildStamp)) return false
  const built = statSync(buildStamp).mtimeMs
  return SOURCES.every((source) => newestMtime(source) <= built)
}

/** Another run in this tree may be building right now (`.next` is shared). */
async function withBuildLock(fn: () => void): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK)
      break
    } catch {
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) {
        rmSync(LOCK, { recursive: true, force: true })
      }
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
      throw new Error(`packages/${name}/dist is missing: run \`pnpm build\` before the Next.js e2e tests.`)
    }
  }
  if (isFresh()) return
  await withBuildLock(() => {
    if (isFresh()) return
    const started = Date.now()
    execFileSync(process.execPath, [nextBin, 'build'], {
      cwd: exampleDir,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: BUILD_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      // vitest sets NODE_ENV=test; a production build needs production.
      env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
    })
    writeFileSync(buildStamp, `${new Date().toISOString()}\n`)
    console.info(`next build: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  })
}
