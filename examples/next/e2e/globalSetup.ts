/**
 * Runs once per test run: `next build` of the example, unless the last build is newer than every
 * source (the app, its config, and the built @latch packages it imports). Bounded in time, so a
 * hung build fails the run instead of eating CI's budget.
 */
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { assertPackagesBuilt, buildIfStale, packageDists } from '@latch/e2e/harness'
import { buildStamp, exampleDir, nextBin } from './paths'

/** Measured at 25–65 s on the 2-core CI machine; ten times that is a hang, not a slow build. */
const BUILD_TIMEOUT_MS = 8 * 60_000

export default async function setup(): Promise<void> {
  assertPackagesBuilt('the Next.js e2e tests')
  await buildIfStale({
    sources: [
      ...['app', 'components', 'lib', 'next.config.ts', 'package.json', 'tsconfig.json'].map((name) =>
        resolve(exampleDir, name),
      ),
      ...packageDists,
    ],
    stamp: buildStamp,
    // Another run in this tree may be building right now (`.next` is shared).
    lock: resolve(exampleDir, '.next-build-lock'),
    staleLockMs: BUILD_TIMEOUT_MS + 60_000,
    build() {
      const started = Date.now()
      execFileSync(process.execPath, [nextBin, 'build'], {
        cwd: exampleDir,
        stdio: ['ignore', 'inherit', 'inherit'],
        timeout: BUILD_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        // vitest sets NODE_ENV=test; a production build needs production.
        env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
      })
      console.info(`next build: ${((Date.now() - started) / 1000).toFixed(1)} s`)
    },
  })
}
