/**
 * Test helpers for running several Latch server instances as separate Node processes: bundle the
 * instance program from source (esbuild, through tsup's dependency, so the test never runs a
 * stale `dist`), spawn instances with a clean environment, kill them, and talk to them in header
 * transport. Not part of the package.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The part of esbuild's API used here (esbuild is tsup's dependency, not ours, so no types). */
interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<unknown>
}

const here = dirname(fileURLToPath(import.meta.url))
const packageRoot = join(here, '..', '..')

/**
 * Bundles `server.ts` into one ESM file under the package's `node_modules/.cache`, where the peer
 * dependencies (express, ioredis, pg, jose) resolve. Resolves its absolute path and a remover.
 */
export async function bundleInstance(): Promise<{ path: string; remove: () => void }> {
  const fromTsup = createRequire(createRequire(import.meta.url).resolve('tsup'))
  const esbuild = fromTsup('esbuild') as EsbuildLike
  const dir = join(packageRoot, 'node_modules', '.cache', 'latch-instance')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `server-${process.pid}-${randomBytes(4).toString('hex')}.mjs`)
  await esbuild.build({
    entryPoints: [join(here, 'server.ts')],
    outfile: path,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  })
  return { path, remove: () => rmSync(path, { force: true }) }
}

/** A running instance. */
export interface Instance {
  readonly name: string
  readonly url: string
  readonly pid: number
  readonly child: ChildProcess
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>
  /** Everything the instance wrote to stderr (it never writes tokens). */
  stderr(): string
}

/** Everything a test needs to start instances and clean them up. */
export class Cluster {
  readonly #program: string
  /** Every process started and not yet known to have exited, ready or not. */
  readonly #children = new Map<ChildProcess, Promise<void>>()

  constructor(program: string) {
    this.#program = program
  }

  /** Starts one instance and resolves once it listens with its manager ready (bounded). */
  async start(name: string, env: Record<string, string>, timeoutMs = 20_000): Promise<Instance> {
    const spawned = this.#spawn(name, env)
    return spawned.listening(Date.now() + timeoutMs)
  }

  /**
   * Starts several instances whose managers start at the same moment: each process loads its
   * code and connects to the store, then waits at a gate; once all wait, the gate opens for all
   * at once, so their start-up (signing-key creation among it) really overlaps.
   */
  async startTogether(names: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<Instance[]> {
    const deadline = Date.now() + timeoutMs
    const spawned = names.map((name) => this.#spawn(name, { ...env, LATCH_START_GATE: '1' }))
    try {
      await Promise.all(spawned.map((s) => s.line(deadline, 'gate')))
    } catch (error) {
      for (const s of spawned) s.child.kill('SIGKILL')
      throw error
    }
    for (const s of spawned) s.child.stdin!.write('go\n')
    return Promise.all(spawned.map((s) => s.listening(deadline)))
  }

  #spawn(name: string, env: Record<string, string>) {
    const childEnv: Record<string, string> = {}
    for (const [key, value] of Object.entries(process.env)) {
      // The test runner's --import polyfills and its worker settings are not the instance's business.
      if (value !== undefined && key !== 'NODE_OPTIONS' && !key.startsWith('VITEST')) childEnv[key] = value
    }
    Object.assign(childEnv, env, { LATCH_INSTANCE_NAME: name })
    const child = spawn(process.execPath, [this.#program], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    this.#children.set(child, exited)
    exited.then(() => this.#children.delete(child))
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000)
    })
    // The instance's stdout is a few JSON lines: `{"gate":…}` (gated start), then `{"port":…}`.
    const lines: Record<string, unknown>[] = []
    const waiters = new Set<() => void>()
    let buffer = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk
      for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
        const text = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        if (text.startsWith('{')) lines.push(JSON.parse(text))
      }
      for (const wake of waiters) wake()
    })
    child.once('exit', () => {
      for (const wake of waiters) wake()
    })
    /** Resolves the first line that has `field`; rejects on exit or at `deadline`. */
    const line = (deadline: number, field: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => field in l)
          const failure = found
            ? null
            : child.exitCode !== null || child.signalCode !== null
              ? `exited (${child.exitCode ?? child.signalCode}) before printing ${field}`
              : Date.now() >= deadline
                ? `printed no ${field} in time`
                : undefined
          if (found === undefined && failure === undefined) return
          clearTimeout(timer)
          waiters.delete(check)
          if (found) resolve(found)
          else {
            child.kill('SIGKILL')
            reject(new Error(`instance ${name} ${failure}; stderr:\n${stderr}`))
          }
        }
        const timer = setTimeout(check, Math.max(0, deadline - Date.now()) + 5)
        waiters.add(check)
        check()
      })
    const listening = async (deadline: number): Promise<Instance> => {
      const { port } = (await line(deadline, 'port')) as { port: number }
      return { name, url: `http://127.0.0.1:${port}`, pid: child.pid!, child, exited, stderr: () => stderr }
    }
    return { child, line, listening }
  }

  /** `kill -9`, then waits for the exit. */
  async kill(instance: Instance): Promise<void> {
    instance.child.kill('SIGKILL')
    await instance.exited
  }

  /** Kills every process still running (SIGKILL: tests must not depend on a graceful stop). */
  async killAll(): Promise<void> {
    const all = [...this.#children]
    for (const [child] of all) child.kill('SIGKILL')
    await Promise.all(all.map(([, exited]) => exited))
  }
}

/** Tokens and front token of a header-transport answer. */
export interface Issued {
  status: number
  error: string | null
  retryAfter: string | null
  accessToken: string | null
  refreshToken: string | null
  /** Decoded `x-latch-front-token`, when present and not `remove`. */
  front: { uid: string; sid: string; exp: number; gen: number; cl?: Record<string, unknown> } | null
}

function issued(response: Response): Issued {
  const front = response.headers.get('x-latch-front-token')
  return {
    status: response.status,
    error: response.headers.get('x-latch-error'),
    retryAfter: response.headers.get('retry-after'),
    accessToken: response.headers.get('x-latch-access-token'),
    refreshToken: response.headers.get('x-latch-refresh-token'),
    front: front && front !== 'remove' ? JSON.parse(Buffer.from(front, 'base64url').toString('utf8')) : null,
  }
}

const TIMEOUT_MS = 15_000

/** Test-only sign-in on `instance`. */
export async function login(instance: Instance, userId: string): Promise<Issued & { sessionId: string }> {
  const response = await fetch(`${instance.url}/test/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  })
  if (response.status !== 200) throw new Error(`login on ${instance.name}: ${response.status}`)
  const body = (await response.json()) as { sessionId: string }
  return { ...issued(response), sessionId: body.sessionId }
}

/** `POST /auth/session/refresh` with a refresh token in header transport. */
export async function refresh(instance: Instance, refreshToken: string): Promise<Issued> {
  const response = await fetch(`${instance.url}/auth/session/refresh`, {
    method: 'POST',
    headers: { 'x-latch-transport': 'header', authorization: `Bearer ${refreshToken}` },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  })
  await response.arrayBuffer()
  return issued(response)
}

/** `GET /api/me` with an access token: status and Latch error code. */
export async function me(
  instance: Instance,
  accessToken: string,
): Promise<{ status: number; error: string | null; body: any }> {
  const response = await fetch(`${instance.url}/api/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  })
  const body = await response.json().catch(() => null)
  return { status: response.status, error: response.headers.get('x-latch-error'), body }
}

/** POST/GET a test endpoint and parse its JSON. */
export async function call(instance: Instance, method: 'GET' | 'POST', path: string): Promise<any> {
  const response = await fetch(`${instance.url}${path}`, { method, signal: AbortSignal.timeout(TIMEOUT_MS) })
  if (response.status !== 200) throw new Error(`${method} ${path} on ${instance.name}: ${response.status}`)
  return response.json()
}

/** The `kid` of a compact JWS, from its protected header. */
export function kidOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')).kid
}

/** Polls `probe` every `intervalMs` until it returns a value other than `undefined`, or throws after `timeoutMs`. */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  { timeoutMs, intervalMs = 10, what }: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
