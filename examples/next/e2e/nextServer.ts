/**
 * Starts the built example with `next start` (never the dev server) on a free port, on a
 * throwaway SQLite file, and stops it (with the shared harness's `startServerProcess`).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, type ServerProcess, startServerProcess } from '@latch/e2e/harness'
import { exampleDir, nextBin } from './paths'

/** `next start` of the example: pages are opened at `url` (`http://localhost:PORT`). */
export type NextServer = ServerProcess

/** Starts `next start`; `env` adds to the environment, e.g. `{ LATCH_ACCESS_TTL: '10s' }`. */
export async function startNextServer(env: Record<string, string> = {}): Promise<NextServer> {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-next-e2e-'))
  return startServerProcess({
    name: 'next start',
    args: [nextBin, 'start', '--port', String(port), '--hostname', '127.0.0.1'],
    cwd: exampleDir,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      SQLITE_PATH: join(dataDir, 'sessions.db'),
      ...env,
    },
    port,
    dataDir,
    // A protected route handler answers once the server and the session manager are up.
    readyPath: '/api/me',
    isReady: (response) => response.status === 401,
    startTimeoutMs: 60_000,
  })
}
