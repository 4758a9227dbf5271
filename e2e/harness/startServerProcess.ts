/**
 * Starts an app under test as a child Node process on a given port, waits until it answers, and
 * stops it. The tests talk to it only over HTTP, as a browser would.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { rmSync } from 'node:fs'

/** A running server started by {@link startServerProcess}. */
export interface ServerProcess {
  /** `http://localhost:PORT`: pages are opened by name. */
  url: string
  /** Everything the server printed so far. */
  output(): string
  /** Stops it (SIGTERM, SIGKILL after 5 s) and removes its data folder. */
  stop(): Promise<void>
}

/** How to start a server and how to tell it is ready. */
export interface ServerProcessOptions {
  /** Names the server in errors, e.g. `demo server`. */
  name: string
  /** Arguments to this Node binary, the script first (no shell, no .bin shim). */
  args: readonly string[]
  cwd?: string
  /** The whole environment of the child. */
  env: NodeJS.ProcessEnv
  /** The port it listens on (`url` is `http://localhost:PORT`). */
  port: number
  /** A throwaway folder for its data, removed when it stops (or fails to start). */
  dataDir: string
  /** Fetched every 100 ms until `isReady` accepts the answer. */
  readyPath: string
  isReady(response: Response): boolean
  /** How long it may take to become ready before the start fails with its output. */
  startTimeoutMs: number
}

async function waitUntilReady(
  options: ServerProcessOptions,
  url: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + options.startTimeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited (${child.exitCode}):\n${output()}`)
    try {
      if (options.isReady(await fetch(`${url}${options.readyPath}`))) return
    } catch {
      // not listening yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100))
  }
  throw new Error(`${options.name} did not answer within ${options.startTimeoutMs} ms:\n${output()}`)
}

/** Spawns the server and resolves once it is ready; on failure it is stopped and the error has its output. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8')
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8')
  })
  const url = `http://localhost:${options.port}`
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(options.dataDir, { recursive: true, force: true })
  }
  try {
    await waitUntilReady(options, url, child, () => log)
  } catch (error) {
    await stop()
    throw error
  }
  return { url, output: () => log, stop }
}
