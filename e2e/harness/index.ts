/**
 * The browser-test harness shared by the repository's e2e tests (`e2e/`) and the Next.js
 * example's (`examples/next/e2e/`), imported there as `@latch/e2e/harness`: Chromium with the
 * tests' flags, a child server process started on a free port, the global setups' build of the
 * app when its sources changed, and the session read from `window.latch`.
 */
export { assertPackagesBuilt, packageDists } from './assertPackagesBuilt'
export { type BuildIfStaleOptions, buildIfStale } from './buildIfStale'
export { freePort } from './freePort'
export { launchBrowser } from './launchBrowser'
export { repoRoot } from './repoRoot'
export { sessionStatus, waitForAccessExpiry, waitForClient } from './session'
export { signIn } from './signIn'
export { type ServerProcess, type ServerProcessOptions, startServerProcess } from './startServerProcess'
export { withBuildLock } from './withBuildLock'
