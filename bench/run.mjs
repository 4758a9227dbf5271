// `pnpm bench` (= `pnpm build && node bench/run.mjs`): runs every benchmark section against the
// built packages, starting the Redis and PostgreSQL servers it needs on 127.0.0.1 in throwaway
// directories, and writes BENCHMARKS.md, bench/http.svg, bench/scale.svg and bench/results.json.
//
// Options: --quick (one short round of everything: checks the harness, not the figures)
//          --only=http,verify,refresh,sizes,crosstab,memory,scale,sqlitedrivers
//          (with --only, the other sections keep their figures from bench/results.json)
//          --rounds=N (the interleaved rounds of sections 1 and 7: a short run of real length rounds)
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runChild } from './lib/child.mjs'
import { cpuBusy, describeMachine } from './lib/machine.mjs'
import { renderReport } from './lib/report.mjs'
import { startPostgres, startRedis } from './lib/services.mjs'
import { barChart, lineChart } from './lib/svg.mjs'
import { readCrossTab } from './sections/crossTab.mjs'
import { runHttp } from './sections/http.mjs'
import { runScale } from './sections/scale.mjs'
import { runSqliteDrivers } from './sections/sqliteDrivers.mjs'

const SECTIONS = ['http', 'verify', 'refresh', 'sizes', 'crosstab', 'memory', 'scale', 'sqlitedrivers']
const STORES = ['memory', 'sqlite', 'redis', 'postgres']
const PROFILED_STORES = ['memory', 'sqlite', 'redis']

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only =
  args
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',') ?? SECTIONS
for (const name of only)
  if (!SECTIONS.includes(name)) throw new Error(`unknown section ${name}; one of ${SECTIONS.join(', ')}`)

const config = quick
  ? {
      http: { rounds: 1, durationSec: 2, warmupSec: 0.5, connections: 32 },
      verify: { timeMs: 200, warmupMs: 50 },
      refresh: { runs: 1, timeMs: 400, concurrency: 50, burst: 50 },
      memory: { sessions: 20_000, cacheSize: 2_000, overfill: 1.2 },
      profile: { timeMs: 800 },
      // No 100 000 count in quick mode: populating and warming it takes minutes.
      scale: {
        counts: [1, 1000, 10_000],
        rounds: 1,
        durationSec: 1,
        warmupSec: 0.3,
        connections: 32,
        cookieCacheMaxAgeSec: 20,
      },
      sqlitedrivers: { runs: 1, timeMs: 300 },
    }
  : {
      // Many short rounds: the host's speed drifts over seconds, and pairs measured close together see the same speed.
      http: { rounds: 24, durationSec: 1, warmupSec: 0.25, connections: 32 },
      verify: { timeMs: 700, warmupMs: 200 },
      refresh: { runs: 3, timeMs: 1500, concurrency: 50, burst: 50 },
      // A 50 000-entry cache: at 10 000 the per-entry figure moved by ±20 B between runs (whatever else a
      // verification leaves on the heap weighs more against fewer entries).
      memory: { sessions: 100_000, cacheSize: 50_000, overfill: 1.2 },
      profile: { timeMs: 2500 },
      // cookieCacheMaxAgeSec: long enough that a session-data cookie obtained in the warm pass is
      // still valid in the last measured round (warm + rounds ≈ 150 s at 100 000 sessions), short
      // enough that the revocation probe (which waits it out) ends within the section.
      scale: {
        counts: [1, 1000, 10_000, 100_000],
        // Ten short rounds rather than five of 2 s (same time): the host's speed drifts over seconds.
        rounds: 10,
        durationSec: 1,
        warmupSec: 0.25,
        connections: 32,
        cookieCacheMaxAgeSec: 180,
      },
      sqlitedrivers: { runs: 3, timeMs: 1500 },
    }

const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? Number.NaN)
if (Number.isInteger(rounds) && rounds > 0) {
  config.http.rounds = rounds
  config.scale.rounds = rounds
} else if (args.some((a) => a.startsWith('--rounds=')))
  throw new Error('--rounds wants a whole number above 0')

const file = (path) => fileURLToPath(new URL(path, import.meta.url))
if (args.includes('--report-only')) {
  // Re-renders BENCHMARKS.md and the chart from bench/results.json without measuring anything.
  const saved = JSON.parse(readFileSync(file('./results.json'), 'utf8'))
  writeOutputs(saved)
  process.exit(0)
}
const log = (line) => process.stdout.write(`${line}\n`)
const started = Date.now()
// The whole run is bounded: a hung section must not hold the machine.
const watchdog = setTimeout(
  () => {
    log('bench: the run exceeded 30 minutes; aborting')
    process.exit(2)
  },
  // Section 7 alone takes ~6 minutes on a quiet machine and could take 15 on a busy one.
  30 * 60 * 1000,
)
watchdog.unref()

const services = []
async function stopServices() {
  await Promise.allSettled(services.splice(0).map((s) => s.stop()))
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopServices().finally(() => process.exit(130))
  })
}

const saved =
  only === SECTIONS || !existsSync(file('./results.json'))
    ? null
    : JSON.parse(readFileSync(file('./results.json'), 'utf8'))
const results = {
  ...saved,
  config,
  quick,
  sections: { ...saved?.sections },
  // Which run measured each section: a partial run (--only) keeps the others' figures, and the
  // report must not present them as measured on this run's machine, commit and load.
  sectionRuns: { ...saved?.sectionRuns },
  errors: {},
}
for (const name of Object.keys(results.sections))
  results.sectionRuns[name] ??= {
    // Kept before runs were recorded per section: the last run's facts, an upper bound on the date.
    date: saved.date,
    commit: saved.machine?.commit,
    cpuModel: saved.machine?.cpuModel,
    busy: Math.max(saved.busyBefore || 0, saved.busyAfter || 0),
    byDate: true,
  }

async function section(name, fn) {
  if (!only.includes(name)) return
  const t = Date.now()
  log(`\n› ${name}`)
  try {
    results.sections[name] = await fn()
    results.sectionRuns[name] = {
      date: new Date().toISOString(),
      commit: results.machine.commit,
      cpuModel: results.machine.cpuModel,
      busy: results.busyBefore,
    }
    log(`  done in ${((Date.now() - t) / 1000).toFixed(1)} s`)
  } catch (err) {
    results.errors[name] = String(err?.message ?? err)
      .split('\n')
      .slice(0, 3)
      .join(' ')
    log(`  FAILED: ${results.errors[name]}`)
  }
}

try {
  results.machine = describeMachine()
  results.busyBefore = await cpuBusy(1500)
  log(
    `bench on ${results.machine.cores} × ${results.machine.cpuModel}, Node ${results.machine.node}; ` +
      `CPU busy before start: ${Math.round(results.busyBefore * 100)} %`,
  )

  const needsRedis = only.includes('http') || only.includes('refresh') || only.includes('scale')
  const needsPostgres = only.includes('refresh')
  const [redis, postgres] = await Promise.all([
    needsRedis ? startRedis() : null,
    needsPostgres ? startPostgres() : null,
  ])
  if (redis) services.push(redis)
  if (postgres) services.push(postgres)
  if (postgres) results.postgresVersion = postgres.version
  if (redis) results.redisVersion = redis.version

  await section('http', () => runHttp({ redisUrl: redis.url, log, ...config.http }))

  await section('verify', () => runChild('sections/verify.mjs', config.verify, { timeoutMs: 240_000 }))

  await section('refresh', async () => {
    const stores = {}
    for (const store of STORES) {
      try {
        stores[store] = await runChild(
          'sections/refresh.mjs',
          { store, redisUrl: redis.url, databaseUrl: postgres.url, ...config.refresh },
          { timeoutMs: 180_000 },
        )
        const r = stores[store]
        log(
          `  ${store.padEnd(9)} sequential ${Math.round(r.sequential.perSec)}/s, ` +
            `${r.concurrent.sessions} concurrent ${Math.round(r.concurrent.perSec)}/s, ` +
            `contended ${Math.round(r.contended.perSec)}/s`,
        )
      } catch (err) {
        stores[store] = { error: String(err?.message ?? err).split('\n', 1)[0] }
        log(`  ${store}: FAILED ${stores[store].error}`)
      }
    }
    // The same memory-store refreshes through `handle(new Request(…))`, the Web-standard path: what
    // building a Web Request and Response around each refresh costs (the harness's own included).
    const web = await runChild(
      'sections/refresh.mjs',
      { store: 'memory', ...config.refresh, only: ['concurrent'], via: 'handle' },
      { timeoutMs: 120_000 },
    ).catch((err) => ({ error: String(err?.message ?? err).split('\n', 1)[0] }))
    if (!web.error)
      log(
        `  memory via handle(Request): ${Math.round(web.concurrent.perSec)}/s, ${Math.round(web.concurrent.cpuUs)} µs CPU`,
      )
    // Where a sequential refresh's time goes, per store: the in-process stores and the client of
    // the networked one the targets are set on.
    const profiles = {}
    for (const store of PROFILED_STORES) {
      profiles[store] = await runChild(
        'sections/profile.mjs',
        { store, redisUrl: redis.url, ...config.profile },
        { timeoutMs: 60_000 },
      ).catch((err) => ({ error: String(err?.message ?? err).split('\n', 1)[0] }))
      const p = profiles[store]
      if (!p.error)
        log(`  profile ${store.padEnd(9)} ${Math.round(p.cpuUsPerRefresh)} µs CPU per sequential refresh`)
    }
    return { stores, web, profiles }
  })

  await section('sizes', () => runChild('sections/sizes.mjs', {}, { timeoutMs: 120_000 }))

  await section('crosstab', async () => readCrossTab())

  await section('memory', async () => ({
    sessions: await runChild(
      'sections/memory.mjs',
      { part: 'sessions', ...config.memory },
      { timeoutMs: 300_000, execArgv: ['--expose-gc'] },
    ),
    cache: await runChild(
      'sections/memory.mjs',
      { part: 'cache', ...config.memory },
      { timeoutMs: 300_000, execArgv: ['--expose-gc'] },
    ),
  }))

  await section('scale', () => runScale({ redisUrl: redis.url, log, ...config.scale }))
  await section('sqlitedrivers', () => runSqliteDrivers(config.sqlitedrivers, log))
} finally {
  await stopServices()
}

results.busyAfter = await cpuBusy(1500)
results.loadavgAfter = describeMachine().loadavg
results.durationSec = (Date.now() - started) / 1000
results.date = new Date().toISOString()

writeOutputs(results)
log(`\nwrote BENCHMARKS.md, bench/http.svg, bench/results.json in ${results.durationSec.toFixed(0)} s`)
process.exitCode = Object.keys(results.errors).length > 0 ? 1 : 0

/** Section 7's chart: protected ÷ bare by req/s and by server CPU, per variant, against the session count. */
function scaleChart(machine, scale) {
  const series = (key) =>
    scale.byCount[0].variants
      .filter((v) => v.protected)
      .map((v) => ({
        label: v.label,
        highlight: v.highlight,
        points: scale.byCount.map((c) => ({
          x: c.count,
          y: c.variants.find((w) => w.id === v.id)?.[key],
        })),
      }))
  return lineChart({
    title: 'Cost as work grows: protected route ÷ the same route bare, by distinct active sessions',
    subtitle: [
      `${machine.cores}-core shared VM, Node ${machine.node}; express, cookie transport, real HTTP on loopback, autocannon ${scale.connections} connections in a separate process;`,
      `median of ${scale.rounds} interleaved round${scale.rounds === 1 ? '' : 's'} per count; dashed: the targets for Latch (0.95 at 1 session, 0.93 at 100 000)`,
    ],
    panels: [
      { title: 'req/s ÷ bare', series: series('ratio') },
      { title: 'server CPU: bare ÷ variant', series: series('cpuRatio') },
    ],
    xLabel: (x) => (x >= 1000 ? `${x / 1000}k` : String(x)),
    targets: [
      { y: 0.95, label: '0.95', dy: -5 },
      { y: 0.93, label: '0.93', dy: 6 },
    ],
  })
}

/** Writes bench/http.svg (when the HTTP section ran), bench/results.json and BENCHMARKS.md. */
function writeOutputs(results) {
  const http = results.sections.http
  if (http) {
    const svg = barChart({
      title: 'Protected route throughput (median req/s, ×ratio to its unprotected limit)',
      subtitle: `${results.machine.cores}-core shared VM, Node ${results.machine.node}, autocannon ${http.connections} connections in a separate process, ${http.rounds} interleaved rounds`,
      bars: http.variants.map((v) => ({
        label: v.label,
        value: v.rps,
        ratio: v.ratio,
        highlight: v.highlight,
        showRatio: v.id !== v.baseline,
        color: v.protected ? undefined : '#6b7280',
      })),
      targetRatio: 0.95,
      targetLabel: 'target: 0.95 × express, no auth',
    })
    writeFileSync(file('./http.svg'), svg)
  }
  const scale = results.sections.scale
  if (scale) writeFileSync(file('./scale.svg'), scaleChart(results.machine, scale))
  writeFileSync(file('./results.json'), `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync(file('../BENCHMARKS.md'), renderReport(results))
}
