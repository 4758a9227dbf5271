/**
 * vitest globalSetup: real Redis and PostgreSQL servers for the store tests.
 *
 * `REDIS_URL` / `DATABASE_URL`, when set, are used as they are (CI services, a developer's own
 * servers). Otherwise this starts Debian's `redis-server` and PostgreSQL 15 on 127.0.0.1, on free
 * ports, with throwaway data under the OS temp dir, and removes everything in teardown. Missing
 * binaries fail the run loudly with the command that installs them: a silently skipped store
 * test is a store nobody tested.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { freePort, redisPing } from './instance/dedicatedServers.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://…` of a server the tests may use (each test file under its own key prefix). */
    redisUrl: string
    /** `postgres://…` of a database the tests may use (each test file under its own schema). */
    databaseUrl: string
  }
}

const REDIS_SERVER = process.env.LATCH_REDIS_SERVER ?? '/usr/bin/redis-server'
const PG_BIN = process.env.LATCH_PG_BIN ?? '/usr/lib/postgresql/15/bin'
const INSTALL = 'apt-get install -y redis-server postgresql-15'

export async function startRedis(cleanups: (() => Promise<void> | void)[], port?: number): Promise<string> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(
      `Store tests need redis-server at ${REDIS_SERVER} (or set REDIS_URL). Install it: ${INSTALL}`,
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'latch-redis-'))
  port ??= await freePort()
  const child: ChildProcess = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  })
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`)
    if (await redisPing(port)) return `redis://127.0.0.1:${port}`
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('redis-server did not answer PING within 10 s')
}

function startPostgres(cleanups: (() => Promise<void> | void)[]): Promise<string> {
  for (const bin of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, bin))) {
      throw new Error(
        `Store tests need PostgreSQL 15 (${join(PG_BIN, bin)}) or DATABASE_URL. Install it: ${INSTALL}`,
      )
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'latch-pg-'))
  const data = join(dir, 'data')
  // PostgreSQL refuses to run as root: run it as the `postgres` OS user, owning the directory.
  const asRoot = process.getuid?.() === 0
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir])
  const run = (bin: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args], { stdio: 'pipe' })
      : execFileSync(join(PG_BIN, bin), args, { stdio: 'pipe' })
  let started = false
  cleanups.push(() => {
    if (started) {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true })
  })
  return freePort().then((port) => {
    run('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ])
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200`
    try {
      run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '30', 'start'])
      started = true
    } catch (error) {
      const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').slice(-2000) : ''
      throw new Error(`PostgreSQL did not start:\n${log}`, { cause: error })
    }
    return `postgres://postgres@127.0.0.1:${port}/postgres`
  })
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cleanups: (() => Promise<void> | void)[] = []
  const teardown = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  }
  try {
    const [redisUrl, databaseUrl] = await Promise.all([
      process.env.REDIS_URL || startRedis(cleanups),
      process.env.DATABASE_URL || startPostgres(cleanups),
    ])
    project.provide('redisUrl', redisUrl)
    project.provide('databaseUrl', databaseUrl)
  } catch (error) {
    await teardown()
    throw error
  }
  return teardown
}
