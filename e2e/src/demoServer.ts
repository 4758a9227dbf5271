/**
 * Starts the real built demo server as a child process on a free port, in test mode, and
 * stops it (with the shared harness's `startServerProcess`).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, type ServerProcess, startServerProcess } from '../harness'
import { demoServerEntry } from './paths'

/** What `GET /api/test/stats` answers (the demo counts these only with LATCH_DEMO_TEST=1). */
export interface DemoStats {
  /** Responses per `METHOD /path` under /api and /auth, by status code. */
  requests: Record<string, Record<string, number>>
  /** Times the session manager's `onTheftDetected` fired. */
  theftDetected: number
  /** Times its `onBindingFailure` fired (a key-bound session's refresh without the key). */
  bindingFailures: number
}

/** The demo server: the SPA is opened at `url` by name (`localhost`), as the demo contract says. */
export interface DemoServer extends ServerProcess {
  stats(): Promise<DemoStats>
}

export interface DemoServerOptions {
  /** Extra environment, e.g. `{ LATCH_ACCESS_TTL: '4s' }`. */
  env?: Record<string, string>
  /** The port to listen on (two servers that must know each other's URL). Defaults to a free one. */
  port?: number
}

/** Starts the demo with a memory store by default (a temp SQLite file with `LATCH_STORE=sqlite`). */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const port = options.port ?? (await freePort())
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-e2e-'))
  const server = await startServerProcess({
    name: 'demo server',
    args: [demoServerEntry],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LATCH_STORE: 'memory',
      SQLITE_PATH: join(dataDir, 'demo.db'),
      LATCH_DEMO_TEST: '1',
      NODE_ENV: 'production',
      ...options.env,
    },
    port,
    dataDir,
    readyPath: '/api/health',
    isReady: (response) => response.ok,
    startTimeoutMs: 30_000,
  })
  return {
    ...server,
    async stats() {
      const response = await fetch(`${server.url}/api/test/stats`)
      if (!response.ok) throw new Error(`stats: ${response.status}`)
      return (await response.json()) as DemoStats
    },
  }
}
