// Runs a benchmark step in its own Node process (fresh heap and JIT state, no interference with
// the orchestrator) and collects its result over IPC. Every child is bounded by a timeout.
import { execFileSync, fork } from 'node:child_process'
import { cpus } from 'node:os'
import { isAbsolute } from 'node:path'
import { fileURLToPath } from 'node:url'

// A path inside bench/, or an absolute one (another checkout's bench, for bench/abTrees.mjs).
const here = (file) => (isAbsolute(file) ? file : fileURLToPath(new URL(`../${file}`, import.meta.url)))

/**
 * Forks `bench/<file>` with `config` (JSON in argv[2]) and resolves the `data` of the message
 * `{ type: 'result', data }` it sends. Rejects on a non-zero exit, an `{ type: 'error' }` message
 * or when `timeoutMs` elapses (the child is killed).
 */
export function runChild(file, config, { timeoutMs, execArgv = [], env } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(here(file), [JSON.stringify(config ?? {})], {
      execArgv,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    let result
    let failure
    const timer = setTimeout(() => {
      failure = new Error(`${file} did not finish within ${timeoutMs} ms`)
      child.kill('SIGKILL')
    }, timeoutMs ?? 120_000)
    child.on('message', (message) => {
      if (message?.type === 'result') result = message.data
      else if (message?.type === 'error') failure = new Error(`${file}: ${message.message}`)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (failure) reject(failure)
      else if (code !== 0) reject(new Error(`${file} exited with ${signal ?? code}`))
      else if (result === undefined) reject(new Error(`${file} sent no result`))
      else resolve(result)
    })
  })
}

/**
 * The cores a load test's two sides get: the load generator the first, the servers the last, so
 * neither is moved around by the scheduler or shares a core with the other. On a 2-core VM whose
 * host speed drifts, unpinned rounds of the same server varied by ±20 %; pinned, with short
 * interleaved rounds, two processes of the same server agree within a few per cent (the control
 * row of section 1 shows by how much in each run). `null` without `taskset` or a second core.
 */
export const LOAD_CORES = (() => {
  const count = cpus().length
  if (count < 2 || process.env.LATCH_BENCH_PIN === '0') return null
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' })
  } catch {
    return null
  }
  return { loader: '0', server: String(count - 1) }
})()

/** Pins every thread of process `pid` to `cores` (a taskset list); false when it could not be. */
export function pin(pid, cores) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Forks a long-running child (an HTTP server) and resolves once it sends `{ type: 'ready', … }`.
 * The handle's `request(message)` sends a message and resolves the next `{ type: 'reply' }`;
 * `stop()` asks it to exit, then kills it after a grace period.
 */
export function startChild(file, config, { timeoutMs = 30_000, execArgv = [], cores } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(here(file), [JSON.stringify(config ?? {})], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${file} did not become ready within ${timeoutMs} ms`))
    }, timeoutMs)
    const pending = []
    child.on('message', (message) => {
      if (message?.type === 'ready') {
        clearTimeout(timer)
        // After `ready`: the threads Node starts with exist by then, and later ones inherit it.
        const pinned = cores !== undefined && cores !== null && pin(child.pid, cores)
        resolve({ ...handle(child, message, pending), pinned })
      } else if (message?.type === 'reply') pending.shift()?.resolve(message.data)
      else if (message?.type === 'error') {
        const err = new Error(`${file}: ${message.message}`)
        clearTimeout(timer)
        reject(err)
        pending.shift()?.reject(err)
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      const err = new Error(`${file} exited with ${signal ?? code}`)
      reject(err)
      for (const p of pending.splice(0)) p.reject(err)
    })
  })
}

function handle(child, ready, pending) {
  return {
    ...ready,
    pid: child.pid,
    request(message, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no reply from child')), timeoutMs)
        pending.push({
          resolve: (v) => {
            clearTimeout(timer)
            resolve(v)
          },
          reject: (e) => {
            clearTimeout(timer)
            reject(e)
          },
        })
        child.send(message)
      })
    },
    stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
      return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
        child.once('exit', () => {
          clearTimeout(timer)
          resolve()
        })
        child.send({ type: 'stop' })
      })
    },
  }
}

/** In a child: reads the config passed by the parent. */
export function childConfig() {
  return JSON.parse(process.argv[2] ?? '{}')
}

/** In a child: runs `main(config)`, sends its result and exits (with 1 and a message on error). */
export function runAsChild(main) {
  main(childConfig()).then(
    (data) => {
      process.send?.({ type: 'result', data }, () => process.exit(0))
      if (!process.send) {
        console.log(JSON.stringify(data, null, 2))
        process.exit(0)
      }
    },
    (err) => {
      const message = err?.stack ?? String(err)
      process.send?.({ type: 'error', message }, () => process.exit(1))
      if (!process.send) {
        console.error(message)
        process.exit(1)
      }
    },
  )
}
