// Section 3: refresh throughput of one store, in its own process: the manager's real refresh
// endpoint in header mode (parse, MAC check, store read, rotation decision, compare-and-swap, sign
// a new access token, build the answer), through `sessions.answer` as the express adapter calls
// it, or with `via: 'handle'` through `handle(Request)` as a Web-standard framework does. Every
// loop is bounded in count and time.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAsChild } from '../lib/child.mjs'
import { createHeaderSession, createLatch, decodeFront, openStore, refreshOnce } from '../lib/latch.mjs'
import { median, spread } from '../lib/stats.mjs'

/** CPU time (user + system, all threads of this process: libuv's crypto jobs included) since `start`, in µs. */
function cpuSince(start) {
  const d = process.cpuUsage(start)
  return d.user + d.system
}

/** `chains` sessions each refreshing in a loop (each refresh presents the token the last one returned). */
async function chained(sessions, chains, { timeMs, maxPerChain, via }) {
  const tokens = []
  for (let i = 0; i < chains; i++)
    tokens.push((await createHeaderSession(sessions, `user-${i % 97}`)).refreshToken)
  let done = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  const deadline = started + timeMs
  await Promise.all(
    tokens.map(async (first) => {
      let token = first
      for (let n = 0; n < maxPerChain && performance.now() < deadline; n++) {
        const answer = await refreshOnce(sessions, token, via)
        if (answer.status !== 200) throw new Error(`refresh answered ${answer.status} ${answer.error}`)
        token = answer.refreshToken
        done++
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  return { count: done, seconds, perSec: done / seconds, cpuUs: cpuSince(cpu) / done }
}

/**
 * `burst` concurrent refreshes of one token, repeated: each burst must rotate exactly once (one
 * successor for all, generation +1, no theft verdict). Rate = refresh requests answered per second.
 */
async function contended(sessions, { burst, timeMs, maxBursts, via }) {
  let { refreshToken: token } = await createHeaderSession(sessions, 'contended')
  let generation = 0
  let requests = 0
  let bursts = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  const deadline = started + timeMs
  while (bursts < maxBursts && performance.now() < deadline) {
    const answers = await Promise.all(Array.from({ length: burst }, () => refreshOnce(sessions, token, via)))
    const failed = answers.filter((a) => a.status !== 200)
    if (failed.length > 0) {
      throw new Error(
        `contended refresh: ${failed.length}/${burst} failed (${failed[0].status} ${failed[0].error})`,
      )
    }
    const successors = new Set(answers.map((a) => a.refreshToken))
    const generations = new Set(answers.map((a) => decodeFront(a.front).gen))
    if (successors.size !== 1 || generations.size !== 1 || !generations.has(generation + 1)) {
      throw new Error(
        `contended refresh rotated ${successors.size} times (generations ${[...generations].join(',')}, expected one rotation)`,
      )
    }
    token = answers[0].refreshToken
    generation++
    requests += burst
    bursts++
  }
  const seconds = (performance.now() - started) / 1000
  return {
    count: requests,
    bursts,
    rotations: generation,
    seconds,
    perSec: requests / seconds,
    cpuUs: cpuSince(cpu) / requests,
  }
}

runAsChild(
  async ({
    store: storeName,
    redisUrl,
    databaseUrl,
    runs = 3,
    timeMs = 1500,
    concurrency = 50,
    burst = 50,
    only = ['sequential', 'concurrent', 'contended'],
    via = 'answer',
  }) => {
    const dir = mkdtempSync(join(tmpdir(), 'latch-bench-sqlite-'))
    const opened = await openStore(storeName, { redisUrl, databaseUrl, sqlitePath: join(dir, 'sessions.db') })
    const latch = await createLatch({}, opened.store)
    try {
      const { sessions } = latch
      // Warm-up: JIT, statement caches, connection pools.
      await chained(sessions, 10, { timeMs: 400, maxPerChain: 500, via })
      const modes = { sequential: [], concurrent: [], contended: [] }
      for (let run = 0; run < runs; run++) {
        if (only.includes('sequential'))
          modes.sequential.push(await chained(sessions, 1, { timeMs, maxPerChain: 100_000, via }))
        if (only.includes('concurrent')) {
          modes.concurrent.push(await chained(sessions, concurrency, { timeMs, maxPerChain: 20_000, via }))
        }
        if (only.includes('contended'))
          modes.contended.push(await contended(sessions, { burst, timeMs, maxBursts: 5_000, via }))
      }
      const summary = (list) => ({
        perSec: median(list.map((r) => r.perSec)),
        spread: spread(list.map((r) => r.perSec)),
        // This process's CPU per refresh: what one server process pays, whoever else shares the cores.
        cpuUs: median(list.map((r) => r.cpuUs)),
        total: list.reduce((a, r) => a + r.count, 0),
        runs: list.length,
      })
      return {
        store: storeName,
        via,
        sequential: summary(modes.sequential),
        concurrent: { ...summary(modes.concurrent), sessions: concurrency },
        contended: {
          ...summary(modes.contended),
          burst,
          bursts: modes.contended.reduce((a, r) => a + r.bursts, 0),
          rotationsPerBurst: 1,
        },
      }
    } finally {
      await latch.close()
      await opened.close(opened.store)
      rmSync(dir, { recursive: true, force: true })
    }
  },
)
