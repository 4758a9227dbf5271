/**
 * Throwaway Redis and PostgreSQL servers that a test owns alone and may stop and restart (store
 * outage tests), on 127.0.0.1, with data under the OS temp dir. Data survives a stop/start: Redis
 * runs with an fsync'd append-only file, PostgreSQL is a normal cluster. Not part of the package.
 * Binaries: the same as `test/services.ts` (`LATCH_REDIS_SERVER`, `LATCH_PG_BIN` override them).
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const REDIS_SERVER = process.env.LATCH_REDIS_SERVER ?? '/usr/bin/redis-server'
const PG_BIN = process.env.LATCH_PG_BIN ?? '/usr/lib/postgresql/15/bin'
const INSTALL = 'apt-get install -y redis-server postgresql-15'

/** A server a test can stop and start again on the same port with the same data. */
export interface DedicatedServer {
  readonly url: string
  /** Stops the server (connections are refused until `start`). */
  stop(): Promise<void>
  /** Starts it again, resolving once it answers. */
  start(): Promise<void>
  /** Stops it for good and removes its data. Safe to call twice. */
  destroy(): Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/** True when a Redis server answers PING on `port` of 127.0.0.1. */
export function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.setTimeout(500, () => socket.destroy())
    socket.once('error', () => resolve(false))
    socket.once('close', () => resolve(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      resolve(data.toString().startsWith('+PONG'))
      socket.destroy()
    })
  })
}

/** A dedicated `redis-server` with an append-only file fsync'd on every write. */
export async function dedicatedRedis(): Promise<DedicatedServer> {
  if (!existsSync(REDIS_SERVER))
    throw new Error(`Needs redis-server at ${REDIS_SERVER}. Install it: ${INSTALL}`)
  const dir = mkdtempSync(join(tmpdir(), 'latch-redis-mi-'))
  const port = await freePort()
  let child: ChildProcess | null = null
  let exited: Promise<void> = Promise.resolve()

  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '']
    args.push('--appendonly', 'yes', '--appendfsync', 'always')
    const started = spawn(REDIS_SERVER, args, { stdio: 'ignore' })
    child = started
    exited = new Promise((resolve) => started.once('exit', () => resolve()))
    for (let i = 0; i < 100; i++) {
      if (started.exitCode !== null) throw new Error(`redis-server exited with code ${started.exitCode}`)
      if (await redisPing(port)) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('redis-server did not answer PING within 10 s')
  }
  const stop = async () => {
    // SIGTERM: Redis flushes the append-only file and exits; clients see refused connections.
    if (child && child.exitCode === null) child.kill('SIGTERM')
    await exited
    child = null
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    async destroy() {
      if (child && child.exitCode === null) child.kill('SIGKILL')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A dedicated PostgreSQL 15 cluster (run as the `postgres` OS user when the test runs as root). */
export async function dedicatedPostgres(): Promise<DedicatedServer> {
  for (const bin of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, bin))) throw new Error(`Needs ${join(PG_BIN, bin)}. Install it: ${INSTALL}`)
  }
  const dir = mkdtempSync(join(tmpdir(), 'latch-pg-mi-'))
  const data = join(dir, 'data')
  const asRoot = process.getuid?.() === 0
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir])
  const run = (bin: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args], { stdio: 'pipe' })
      : execFileSync(join(PG_BIN, bin), args, { stdio: 'pipe' })
  const port = await freePort()
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions'])
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`
  let running = false
  const start = async () => {
    try {
      run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '30', 'start'])
      running = true
    } catch (error) {
      const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').slice(-2000) : ''
      throw new Error(`PostgreSQL did not start:\n${log}`, { cause: error })
    }
  }
  const stop = async (mode = 'fast') => {
    if (!running) return
    // `fast`: backends are terminated, open transactions roll back, clients see the connection drop.
    run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop'])
    running = false
  }
  // If the test process dies without cleaning up, do not leave a cluster running.
  const onExit = () => {
    try {
      if (running) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
    } catch {}
  }
  process.once('exit', onExit)
  await start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => stop(),
    start,
    async destroy() {
      process.off('exit', onExit)
      try {
        await stop('immediate')
      } catch {}
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
