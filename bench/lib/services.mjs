// Throwaway Redis and PostgreSQL servers for the benchmarks: loopback only, a fresh temporary
// directory each, stopped (and the directory removed) by `stop()`. Plain Node so `pnpm bench`
// needs no TypeScript loader.
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const HOST = '127.0.0.1'

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, HOST, () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Resolves once `port` accepts TCP connections, or rejects after `timeoutMs`. */
async function waitForPort(port, timeoutMs, child, name) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} while starting`)
    const ok = await new Promise((resolve) => {
      const socket = connect(port, HOST)
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    await sleep(50)
  }
  throw new Error(`${name} did not listen on ${HOST}:${port} within ${timeoutMs} ms`)
}

function stopChild(child, signal = 'SIGTERM', timeoutMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill(signal)
  })
}

function collectTail(child) {
  const lines = []
  const keep = (chunk) => {
    lines.push(...String(chunk).split('\n'))
    if (lines.length > 40) lines.splice(0, lines.length - 40)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return () => lines.join('\n')
}

/** Starts `redis-server` with no persistence on a free loopback port. */
export async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'latch-bench-redis-'))
  const port = await freePort()
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const tail = collectTail(child)
  try {
    await waitForPort(port, 10_000, child, 'redis-server')
  } catch (err) {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`${err.message}\n${tail()}`)
  }
  let version = null
  try {
    version =
      execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=([\d.]+)/)?.[1] ?? null
  } catch {}
  return {
    url: `redis://${HOST}:${port}`,
    version,
    port,
    pid: child.pid,
    async stop() {
      await stopChild(child)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function postgresBinDir() {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql)')
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a))
  if (versions.length === 0) throw new Error('no PostgreSQL server binary under /usr/lib/postgresql')
  return { bin: join(root, versions[0], 'bin'), version: versions[0] }
}

/**
 * Runs a command as the `postgres` OS user when we are root (initdb and postgres refuse to run as
 * root). Spawned with that uid/gid directly rather than through `runuser`: runuser ignores SIGINT
 * and escalates to SIGKILL on its own, which leaves postgres unreaped; here the signal reaches
 * postgres itself.
 */
function asPostgres(command, args, options, ids) {
  return ids
    ? spawn(command, args, { ...options, uid: ids.uid, gid: ids.gid })
    : spawn(command, args, options)
}

function run(child, name) {
  const tail = collectTail(child)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}\n${tail()}`)),
    )
  })
}

/**
 * Starts a PostgreSQL cluster in a temporary directory on a free loopback port, with its default
 * (durable) settings: `fsync` and `synchronous_commit` stay on, as in production.
 */
export async function startPostgres() {
  const { bin, version } = postgresBinDir()
  const dir = mkdtempSync(join(tmpdir(), 'latch-bench-pg-'))
  const data = join(dir, 'data')
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const ids = isRoot ? await postgresIds() : null
  if (ids) chownSync(dir, ids.uid, ids.gid)
  chmodSync(dir, 0o700)
  await run(
    asPostgres(
      join(bin, 'initdb'),
      ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-instructions'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
      ids,
    ),
    'initdb',
  )
  const port = await freePort()
  const child = asPostgres(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      `listen_addresses=${HOST}`,
      '-c',
      `unix_socket_directories=${dir}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
    ids,
  )
  const tail = collectTail(child)
  try {
    await waitForPort(port, 20_000, child, 'postgres')
    // The port opens slightly before the server accepts logins; give it a moment to finish start-up.
    await sleep(300)
  } catch (err) {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`${err.message}\n${tail()}`)
  }
  return {
    url: `postgres://postgres@${HOST}:${port}/postgres`,
    port,
    version,
    pid: child.pid,
    async stop() {
      // SIGINT = "fast" shutdown: disconnect clients, roll back, exit.
      await stopChild(child, 'SIGINT', 10_000)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function postgresIds() {
  const { readFileSync } = await import('node:fs')
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
  if (!line) throw new Error('no `postgres` OS user to run PostgreSQL as')
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}
