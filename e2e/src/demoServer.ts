/**
 * Starts the real built demo server as a child process on a free port, in test mode, and
 * stops it. The tests talk to it only over HTTP, as a browser would.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

export interface DemoServer {
  /** `http://localhost:PORT`: the SPA is opened by name, as the demo contract says. */
  url: string
  stats(): Promise<DemoStats>
  /** Everything the server printed so far. */
  output(): string
  stop(): Promise<void>
}

export interface DemoServerOptions {
  /** Extra environment, e.g. `{ LATCH_ACCESS_TTL: '4s' }`. */
  env?: Record<string, string>
  /** The port to listen on (two servers that must know each other's URL). Defaults to a free one. */
  port?: number
}

export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`demo server exited (${child.exitCode}):\n${output()}`)
    try {
      const response = await fetch(`${url}/api/health`)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100))
  }
  throw new Error(`demo server did not become healthy:\n${output()}`)
}

/** Starts the demo with a memory store by default (a temp SQLite file with `LATCH_STORE=sqlite`). */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const port = options.port ?? (await freePort())
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-e2e-'))
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LATCH_STORE: 'memory',
    SQLITE_PATH: join(dataDir, 'demo.db'),
    LATCH_DEMO_TEST: '1',
    NODE_ENV: 'production',
    ...options.env,
  }
  const child = spawn(process.execPath, [demoServerEntry], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8')
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8')
  })
  const url = `http://localhost:${port}`
  try {
    await waitForHealth(url, child, () => log)
  } catch (error) {
    child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  return {
    url,
    output: () => log,
    async stats() {
      const response = await fetch(`${url}/api/test/stats`)
      if (!response.ok) throw new Error(`stats: ${response.status}`)
      return (await response.json()) as DemoStats
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
