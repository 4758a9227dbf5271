// Runs a benchmark step in its own Node process (fresh heap and JIT state, no interference with
// the orchestrator) and collects its result over IPC. Every child is bounded by a timeout.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const here = (file) => fileURLToPath(new URL(`../${file}`, import.meta.url))

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
 * Forks a long-running child (an HTTP server) and resolves once it sends `{ type: 'ready', … }`.
 * The handle's `request(message)` sends a message and resolves the next `{ type: 'reply' }`;
 * `stop()` asks it to exit, then kills it after a grace period.
 */
export function startChild(file, config, { timeoutMs = 30_000, execArgv = [] } = {}) {
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
        resolve(handle(child, message, pending))
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
