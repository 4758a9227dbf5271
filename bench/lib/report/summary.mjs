// The summary tables at the top of BENCHMARKS.md.
import { bytes, int, verdict } from '../stats.mjs'
import {
  ACCESS_TOKEN_LIMIT,
  CACHE_BOUND_MIN,
  CACHE_ENTRY_BYTES,
  CLIENT_LIMIT,
  HTTP_TARGET,
  httpVerdict,
  MEMORY_REFRESH_CPU_US,
  pct,
  REDIS_VS_MEMORY,
  REFRESH_TARGETS,
  SCALE_TARGETS,
  scaleVerdict,
} from './shared.mjs'

export function summaryRows(r) {
  const rows = []
  const http = r.sections.http
  const latch = http?.variants.find((v) => v.id === 'latch')
  rows.push([
    'HTTP: protected ÷ bare express (no Latch at all), with the verify cache',
    `≥ ${HTTP_TARGET}`,
    latch ? httpVerdict(latch) : '⚠️ not measured',
  ])
  if (latch?.other)
    rows.push([
      'HTTP: the guard alone, protected ÷ the same app’s unguarded route (the demo’s `/api/me` ÷ `/api/health`)',
      `≥ ${HTTP_TARGET}`,
      httpVerdict(latch.other),
    ])
  const stores = r.sections.refresh?.stores ?? {}
  for (const [store, target] of Object.entries(REFRESH_TARGETS)) {
    const s = stores[store]
    const best = s && !s.error ? Math.max(s.sequential.perSec, s.concurrent.perSec) : Number.NaN
    rows.push([
      `Refresh throughput, ${store} (best of sequential / 50 concurrent)`,
      `≥ ${int(target)}/s`,
      verdict(best, target, 'higher', (v) => `${int(v)}/s`),
    ])
  }
  const memoryStore = stores.memory && !stores.memory.error ? stores.memory : null
  const redisStore = stores.redis && !stores.redis.error ? stores.redis : null
  if (r.sections.refresh) {
    rows.push([
      'Node CPU per refresh, memory store (50 concurrent sessions)',
      `≤ ${MEMORY_REFRESH_CPU_US} µs`,
      verdict(memoryStore?.concurrent.cpuUs, MEMORY_REFRESH_CPU_US, 'lower', (v) => `${int(v)} µs`),
    ])
    const best = (st) => (st ? Math.max(st.sequential.perSec, st.concurrent.perSec) : Number.NaN)
    rows.push([
      'Refresh throughput, redis ÷ memory store, same run (best of sequential / 50 concurrent)',
      `≥ ${REDIS_VS_MEMORY}`,
      verdict(best(redisStore) / best(memoryStore), REDIS_VS_MEMORY, 'higher'),
    ])
  }
  const tokens = r.sections.sizes?.tokens
  rows.push([
    'Access token, no custom claims',
    `≤ ${ACCESS_TOKEN_LIMIT} B`,
    verdict(tokens?.accessToken, ACCESS_TOKEN_LIMIT, 'lower', (v) => `${v} B`),
  ])
  const client = r.sections.sizes?.bundles?.clientMinimal
  rows.push([
    '`createSessionClient` import, min+gzip',
    `≤ ${bytes(CLIENT_LIMIT)}`,
    verdict(client?.gzip, CLIENT_LIMIT, 'lower', (v) => bytes(v)),
  ])
  const cross = r.sections.crosstab
  rows.push([
    `Refresh requests per expiry, ${cross?.tabs ?? 8} tabs × ${cross?.callsPerTab ?? 20} calls`,
    '1',
    cross?.report?.found
      ? `${cross.report.passed ? '✅ asserted 1 in three engines (e2e passed)' : '❌ e2e failed'} on ${cross.report.date.slice(0, 16)}`
      : `from e2e: see \`${cross?.testFile ?? 'e2e/tests/engine.*.test.ts'}\` (not in this run)`,
  ])
  const cache = r.sections.memory?.cache
  rows.push([
    'Verify cache stays within its bound',
    `≤ ${int(cache?.cacheSize)} entries`,
    cache
      ? cache.boundHolds
        ? '✅ holds (oldest evicted, newest hit)'
        : '❌ oldest tokens still hit'
      : '⚠️ not measured',
  ])
  if (cache) {
    rows.push([
      'Heap per verify-cache entry',
      `≤ ${CACHE_ENTRY_BYTES} B`,
      verdict(cache.bytesPerEntry, CACHE_ENTRY_BYTES, 'lower', (v) => `${int(v)} B`),
    ])
  }
  rows.push(...scaleSummaryRows(r))
  return rows
}

function scaleSummaryRows(r) {
  const sc = r.sections.scale
  if (!sc) return []
  const rows = SCALE_TARGETS.flatMap(({ count, limit }) => {
    const at = sc.byCount.find((c) => c.count === count)
    const latch = at?.variants.find((v) => v.id === 'latch')
    const sessions = `${int(count)} distinct active session${count === 1 ? '' : 's'}${count > 1 ? ' (warm)' : ''}`
    const row = [
      `Cost as work grows: Latch ÷ bare at ${sessions}, req/s and server CPU`,
      `≥ ${limit}`,
      latch ? scaleVerdict(latch, limit) : `⚠️ not measured (counts: ${sc.counts.join(', ')})`,
    ]
    const sqlite = at?.variants.find((v) => v.id === 'latch-sqlite')
    const rows = [row]
    if (sqlite)
      rows.push([
        `Cost as work grows: Latch on the SQLite store ÷ bare at ${sessions}`,
        `≥ ${limit}`,
        scaleVerdict(sqlite, limit),
      ])
    if (!latch?.other) return rows
    return [
      ...rows,
      [
        `Cost as work grows, the guard alone: Latch ÷ the same app unguarded at ${sessions}`,
        `≥ ${limit}`,
        scaleVerdict(latch.other, limit),
      ],
    ]
  })
  const largest = sc.byCount.at(-1)
  const stats = largest?.latch
  rows.push([
    'Verify cache: default bound (`sessions.stats().verifyCache.maxEntries`)',
    `≥ ${int(CACHE_BOUND_MIN)} entries`,
    stats?.statsAvailable
      ? verdict(stats.stats.verifyCache.maxEntries, CACHE_BOUND_MIN, 'higher', (v) => int(v))
      : '⚠️ `sessions.stats()` not available in this build',
  ])
  rows.push([
    `Verify cache hit rate, measured rounds at ${int(largest?.count)} sessions (warm)`,
    'report',
    stats?.rounds
      ? `${pct(stats.rounds.hitRate)} (${int(stats.rounds.hits)} hits, ${int(stats.rounds.misses)} misses)`
      : '⚠️ `sessions.stats()` not available in this build',
  ])
  return rows
}
