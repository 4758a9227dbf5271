/**
 * Starts the built example with `next start` (never the dev server) on a free port, on a
 * throwaway SQLite file, and stops it. The tests talk to it over HTTP only, as a browser would.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exampleDir, nextBin } from './paths'

export interface NextServer {
  /** `http://localhost:PORT` */
  url: string
  /** Everything the server printed so far. */
  output(): string
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function waitUntilServing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${output()}`)
    try {
      // A protected route handler answers once the server and the session manager are up.
      const response = await fetch(`${url}/api/me`)
      if (response.status === 401) return
    } catch {
      // not listening yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100))
  }
  throw new Error(`next start did not answer:\n${output()}`)
}

/** Starts `next start`; `env` adds to the environment, e.g. `{ LATCH_ACCESS_TTL: '10s' }`. */
export async function startNextServer(env: Record<string, string> = {}): Promise<NextServer> {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-next-e2e-'))
  const child = spawn(
    process.execPath,
    [nextBin, 'start', '--port', String(port), '--hostname', '127.0.0.1'],
    {
      cwd: exampleDir,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
        SQLITE_PATH: join(dataDir, 'sessions.db'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let log = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8')
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8')
  })
  const url = `http://localhost:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    await waitUntilServing(url, child, () => log)
  } catch (error) {
    await stop()
    throw error
  }
  return { url, output: () => log, stop }
}
