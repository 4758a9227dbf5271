/**
 * Runs once per test run: makes sure the demo is built from the current sources. The root
 * `pnpm test` builds the packages first but not the demo; building it here (only when a source
 * is newer than the last build) keeps the tests honest without rebuilding on every run.
 */
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { assertPackagesBuilt, buildIfStale, packageDists, repoRoot } from '../harness'
import { demoDir, demoServerEntry, demoSpaIndex } from './paths'

export default async function setup(): Promise<void> {
  assertPackagesBuilt('the e2e tests')
  await buildIfStale({
    sources: [
      ...['src', 'server', 'public', 'index.html', 'vite.config.ts', 'tsup.config.ts', 'package.json'].map(
        (name) => resolve(demoDir, name),
      ),
      ...packageDists,
    ],
    outputs: [demoServerEntry, demoSpaIndex],
    stamp: resolve(demoDir, 'dist', '.build-stamp'),
    // Another process in this tree (a second `pnpm test`) may be building the demo right now.
    lock: resolve(demoDir, '.build-lock'),
    staleLockMs: 5 * 60_000,
    build() {
      // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
      execFileSync('pnpm', ['--filter', './demo', 'run', 'build'], {
        cwd: repoRoot,
        stdio: 'inherit',
        env: { ...process.env, NODE_ENV: 'production' },
      })
    },
  })
}
