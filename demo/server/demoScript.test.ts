/**
 * `scripts/demo.sh` as a user runs it: several instances started at once from one checkout all
 * come up (one builds, under the lock, while the others wait and then find the build up to date),
 * and each script's process id is the server itself, so stopping it stops the demo.
 *
 * The build is forced by ageing the build stamp, and `pnpm` is a stand-in on PATH that records
 * each build and takes its time: a real rebuild here would clean packages/*\/dist under the other
 * test files running in parallel. The built demo the instances serve is the real one.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const demoDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const repoRoot = resolve(demoDir, '..')
const script = resolve(repoRoot, 'scripts', 'demo.sh')
const stamp = resolve(demoDir, 'dist', '.build-stamp')
const lock = resolve(demoDir, '.build-lock')

const children: ChildProcess[] = []
let shimDir: string
/** The stamp's time before the test, put back after: the stand-in build rebuilt nothing, so a
 * stale build must stay stale for the next real `pnpm demo` or e2e run. */
let stampTime: Date | null = null

/** Waits for the demo build lock the e2e setup and the script share, then runs `fn` holding it. */
async function withBuildLock(fn: () => void): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      await new Promise((done) => setTimeout(done, 250))
    }
  }
  try {
    fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })
}

/** Resolves the status of `GET /` once the demo answers, polling; rejects after `ms`. */
async function firstAnswer(port: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return (await fetch(`http://127.0.0.1:${port}/`)).status
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((done) => setTimeout(done, 200))
    }
  }
}

function start(port: number, log: string[]): ChildProcess {
  const child = spawn('bash', [script, '--no-install'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PATH: `${shimDir}:${process.env.PATH}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      LATCH_STORE: 'memory',
      SHIM_LOG: join(shimDir, 'builds.log'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  child.stdout!.on('data', (chunk) => log.push(String(chunk)))
  child.stderr!.on('data', (chunk) => log.push(String(chunk)))
  return child
}

beforeAll(async () => {
  // The instances serve the real built demo; build it (the demo only, as the e2e setup does)
  // when this checkout has none yet.
  const entry = resolve(demoDir, 'dist', 'server', 'main.js')
  const spa = resolve(demoDir, 'dist', 'public', 'index.html')
  if (!existsSync(entry) || !existsSync(spa) || !existsSync(stamp)) {
    await withBuildLock(() => {
      if (existsSync(entry) && existsSync(spa) && existsSync(stamp)) return
      execFileSync('pnpm', ['--filter', './demo', 'run', 'build'], {
        cwd: repoRoot,
        stdio: 'ignore',
        env: { ...process.env, NODE_ENV: 'production' },
      })
      writeFileSync(stamp, `${new Date().toISOString()}\n`)
    })
  }
  stampTime = statSync(stamp).mtime
  shimDir = mkdtempSync(join(tmpdir(), 'latch-demo-script-'))
  // Records each build with the instance's port, and takes long enough for the others to arrive.
  writeFileSync(join(shimDir, 'pnpm'), '#!/usr/bin/env bash\necho "$PORT $*" >>"$SHIM_LOG"\nsleep 1.5\n')
  chmodSync(join(shimDir, 'pnpm'), 0o755)
}, 120_000)

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  if (shimDir) rmSync(shimDir, { recursive: true, force: true })
  if (stampTime) utimesSync(stamp, stampTime, stampTime)
})

describe('scripts/demo.sh', () => {
  it('three instances started at once all come up; one builds, the others wait for it', async () => {
    // A source newer than the stamp: the first instance must build.
    await withBuildLock(() => utimesSync(stamp, new Date(2000, 0, 1), new Date(2000, 0, 1)))
    const ports = [await freePort(), await freePort(), await freePort()]
    const logs = ports.map(() => [] as string[])
    const instances = ports.map((port, i) => start(port, logs[i]!))

    const statuses = await Promise.all(ports.map((port) => firstAnswer(port, 60_000)))
    expect(statuses).toEqual([200, 200, 200])

    const builds = readFileSync(join(shimDir, 'builds.log'), 'utf8').trim().split('\n')
    // One instance built (the packages, then the demo); nobody cleaned dist/ under another.
    expect(builds).toHaveLength(2)
    expect(new Set(builds.map((line) => line.split(' ')[0])).size).toBe(1)
    expect(builds[0]).toMatch(/ run -s build$/)
    expect(builds[1]).toMatch(/--filter \.\/demo run -s build$/)
    const waited = logs.filter((log) => log.join('').includes('built by another instance'))
    expect(waited.length + logs.filter((log) => log.join('').includes('› build up to date\n')).length).toBe(2)
    expect(existsSync(lock)).toBe(false)

    // Stopping the script's process id stops the server: the script became the server (exec).
    for (const [i, instance] of instances.entries()) {
      const cmdline = readFileSync(`/proc/${instance.pid}/cmdline`, 'utf8').split('\0')
      expect(cmdline.slice(-1)[0] || cmdline.slice(-2)[0]).toBe('dist/server/main.js')
      const exited = new Promise((done) => instance.once('exit', done))
      instance.kill('SIGTERM')
      await exited
      await expect(fetch(`http://127.0.0.1:${ports[i]}/`)).rejects.toThrow()
    }
  }, 90_000)

  it('skips the build when nothing changed since the last one', async () => {
    const port = await freePort()
    const log: string[] = []
    const before = existsSync(join(shimDir, 'builds.log'))
      ? readFileSync(join(shimDir, 'builds.log'), 'utf8')
      : ''
    const instance = start(port, log)
    expect(await firstAnswer(port, 30_000)).toBe(200)
    expect(log.join('')).toContain('› build up to date')
    const after = existsSync(join(shimDir, 'builds.log'))
      ? readFileSync(join(shimDir, 'builds.log'), 'utf8')
      : ''
    expect(after).toBe(before)
    const exited = new Promise((done) => instance.once('exit', done))
    instance.kill('SIGTERM')
    await exited
  }, 60_000)
})
