// Section 7, "cost as work grows": the same express route behind Latch and behind what users pick
// instead, at 1, 1 000, 10 000 and 100 000 distinct active sessions. Real HTTP over loopback:
// autocannon in another process, each request carrying the next of N distinct session cookies.
// Per count, fresh server processes; variants interleaved round by round (order rotated) so every
// ratio to the bare route is taken under the same machine conditions, as in section 1. Also per
// variant: memory per active session in the server process (and the store's own footprint), and,
// at the largest count, how long a session revoked mid-load is still accepted (measured by polling
// with its cookie until refused).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LOAD_CORES, pin, startChild } from '../lib/child.mjs'
import { applySetCookie } from '../lib/cookies.mjs'
import { median, spread } from '../lib/stats.mjs'

export const SCALE_VARIANTS = [
  { id: 'bare', label: 'express, no auth (limit)' },
  {
    id: 'latch',
    label: 'Latch requireSession',
    protected: true,
    highlight: true,
    // Latch keeps per-session state (a verify-cache entry): each cookie is used once first.
    warm: true,
  },
  {
    id: 'latch-sqlite',
    label: 'Latch requireSession (SQLite store)',
    protected: true,
    warm: true,
  },
  {
    id: 'latch-open',
    label: 'Latch app, the route unguarded',
    // A route of the `latch` server (the same process, holding the same sessions), without the
    // guard: latch ÷ latch-open is the guard alone, free of the difference between two processes.
    of: 'latch',
    path: '/api/open',
  },
  { id: 'express-session', label: 'express-session + connect-redis', protected: true },
  { id: 'better-auth', label: 'better-auth getSession (SQLite)', protected: true },
  {
    id: 'better-auth-cache',
    label: 'better-auth + cookieCache',
    protected: true,
    // Its per-session state is the signed session-data cookie a browser holds: minted for every
    // session just before the rounds (see scaleServer.mjs), then kept (and renewed when it
    // expires) by the load generator's cookie jar, as a browser would.
    mint: true,
    jar: true,
  },
]

/** Per-round ratios of `list` to `others` (same rounds), as medians with their spread. */
function ratiosTo(list, others) {
  const ratios = list.map((r, i) => r.rps / others[i].rps)
  const cpuRatios = list.map((r, i) => others[i].cpuUsPerRequest / r.cpuUsPerRequest)
  return {
    ratio: median(ratios),
    ratioSpread: spread(ratios),
    cpuRatio: median(cpuRatios),
    cpuRatioSpread: spread(cpuRatios),
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The variants that are a process of their own (a route variant shares another's). */
const PROCESSES = SCALE_VARIANTS.filter((v) => !v.of)

async function status(port, cookie, path = '/api/me') {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: cookie ? { cookie } : {} })
  await response.arrayBuffer()
  return { status: response.status, setCookie: response.headers.getSetCookie() }
}

/** The cache counters that moved between two `stats()` readings (null when stats() is missing). */
function cacheDelta(before, after) {
  const a = before?.verifyCache
  const b = after?.verifyCache
  if (!a || !b) return null
  const hits = b.hits - a.hits
  const misses = b.misses - a.misses
  return {
    hits,
    misses,
    evictions: b.evictions - a.evictions,
    hitRate: hits + misses > 0 ? hits / (hits + misses) : Number.NaN,
    entries: b.entries,
    maxEntries: b.maxEntries,
  }
}

function addDelta(sum, d) {
  if (!d) return sum
  if (!sum) return { ...d }
  const hits = sum.hits + d.hits
  const misses = sum.misses + d.misses
  return {
    hits,
    misses,
    evictions: sum.evictions + d.evictions,
    hitRate: hits + misses > 0 ? hits / (hits + misses) : Number.NaN,
    entries: d.entries,
    maxEntries: d.maxEntries,
  }
}

/**
 * Revokes the probe session (populated last, kept out of the load) while `variant` is under load
 * and polls `/api/me` with its cookie until it is refused or `capMs` passes. Polls every 20 ms
 * for the first 2 s, then every 500 ms, so a long acceptance window adds ~2 requests/s.
 */
async function revocationProbe({ server, cookie, capMs }) {
  let jar = cookie
  // The session is active: used once just before, which for the cookie cache means a fresh
  // session-data cookie (the worst case: its whole maxAge ahead of it).
  const first = await status(server.port, jar)
  if (first.status !== 200) throw new Error(`the probe session answered ${first.status} before revocation`)
  jar = applySetCookie(jar, first.setCookie)
  const started = performance.now()
  await server.request({ type: 'revoke' })
  const revokedAt = performance.now()
  let accepted = 0
  let lastAcceptedMs = null
  while (performance.now() - revokedAt < capMs) {
    const r = await status(server.port, jar)
    const at = performance.now() - revokedAt
    if (r.status === 401) {
      return {
        refused: true,
        acceptedRequests: accepted,
        lastAcceptedMs,
        refusedAfterMs: at,
        revokeMs: revokedAt - started,
      }
    }
    if (r.status !== 200) throw new Error(`the probe session answered ${r.status} after revocation`)
    accepted++
    lastAcceptedMs = at
    jar = applySetCookie(jar, r.setCookie)
    await sleep(at < 2000 ? 20 : 500)
  }
  return {
    refused: false,
    acceptedRequests: accepted,
    lastAcceptedMs,
    refusedAfterMs: null,
    capMs,
    revokeMs: revokedAt - started,
  }
}

async function measureCount({
  count,
  probe,
  loader,
  redisUrl,
  rounds,
  durationSec,
  warmupSec,
  connections,
  cookieCacheMaxAgeSec,
  lingering,
  log,
}) {
  const dir = mkdtempSync(join(tmpdir(), `latch-bench-scale-${count}-`))
  const servers = new Map()
  const serverOf = (v) => servers.get(v.of ?? v.id)
  const keep = new Set()
  try {
    await Promise.all(
      PROCESSES.map(async (v) => {
        servers.set(
          v.id,
          await startChild(
            'sections/scaleServer.mjs',
            { variant: v.id, redisUrl, dir, cookieCacheMaxAgeSec },
            { execArgv: ['--expose-gc'], timeoutMs: 60_000 },
          ),
        )
      }),
    )
    const memoryBefore = new Map()
    for (const v of PROCESSES) memoryBefore.set(v.id, await servers.get(v.id).request({ type: 'memory' }))

    // One extra session per variant, kept out of the load: the revocation probe's.
    const populated = new Map()
    const t = performance.now()
    await Promise.all(
      SCALE_VARIANTS.filter((v) => v.protected).map(async (v) => {
        const file = join(dir, `${v.id}.cookies`)
        const p = await servers.get(v.id).request({ type: 'populate', count: count + 1, file }, 600_000)
        populated.set(v.id, { ...p, file })
      }),
    )
    log(`  ${count} sessions: populated in ${((performance.now() - t) / 1000).toFixed(1)} s`)
    // Pinned only now: populating runs in every server at once and may use both cores.
    if (LOAD_CORES) for (const server of servers.values()) pin(server.pid, LOAD_CORES.server)

    const probeCookies = new Map()
    for (const v of SCALE_VARIANTS) {
      const source = populated.get(v.protected ? v.id : 'latch')
      // The unprotected routes get Latch's cookies: a browser sends them there too, and the
      // comparison then isolates the guard, not header parsing.
      await loader.request({ type: 'cookies', name: `${count}:${v.id}`, file: source.file, limit: count })
      const lines = readFileSync(source.file, 'utf8').split('\n').filter(Boolean)
      probeCookies.set(v.id, lines[count])
      // The guard must really guard: 200 with a session (first, middle, last), 401 without.
      for (const cookie of new Set([lines[0], lines[count >> 1], lines[count - 1]])) {
        const r = await status(serverOf(v).port, cookie, v.path)
        if (r.status !== 200)
          throw new Error(`${v.id}: ${v.path ?? '/api/me'} with a session answered ${r.status}`)
      }
      if (v.protected) {
        const r = await status(servers.get(v.id).port, '')
        if (r.status !== 401)
          throw new Error(`${v.id}: /api/me without a session answered ${r.status}, not 401`)
      }
    }

    const job = (v, extra) => ({
      type: 'load',
      job: {
        url: `http://127.0.0.1:${serverOf(v).port}${v.path ?? '/api/me'}`,
        cookieList: `${count}:${v.id}`,
        jar: v.jar,
        connections,
        ...extra,
      },
    })
    const check = (v, result, what) => {
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(
          `${v.id} (${count} sessions, ${what}): ${result.non2xx} non-2xx answers, ${result.errors} errors`,
        )
    }

    // Warm: every cookie used once, for the variants that keep per-session state.
    const warm = new Map()
    for (const v of SCALE_VARIANTS.filter((x) => x.warm)) {
      const server = servers.get(v.id)
      const before = await server.request({ type: 'stats' })
      const result = await loader.request(
        job(v, { amount: count, warmupSec: 0, connections: Math.min(connections, count) }),
        600_000,
      )
      check(v, result, 'warm')
      const after = await server.request({ type: 'stats' })
      warm.set(v.id, {
        rps: result.rps,
        sec: result.durationSec,
        renewed: result.renewed,
        cache: cacheDelta(before.latch, after.latch),
      })
      log(`  ${count} sessions: warm ${v.id.padEnd(17)} ${count} requests at ${Math.round(result.rps)} req/s`)
    }

    // Just before the rounds, so the minted cookies' maxAge covers them.
    const minted = new Map()
    for (const v of SCALE_VARIANTS.filter((x) => x.mint)) {
      const server = servers.get(v.id)
      const { file } = populated.get(v.id)
      minted.set(v.id, await server.request({ type: 'mint', file }, 600_000))
      await loader.request({ type: 'cookies', name: `${count}:${v.id}`, file, limit: count })
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
      // Answered from the cookie cache: 200 and no renewed cookie (a rejected one is expired).
      for (const cookie of new Set([lines[0], lines[count >> 1], lines[count - 1]])) {
        const r = await status(server.port, cookie)
        if (r.status !== 200 || r.setCookie.length > 0)
          throw new Error(
            `${v.id}: a minted session-data cookie answered ${r.status} with ${r.setCookie.length} Set-Cookie`,
          )
      }
      log(
        `  ${count} sessions: minted ${v.id} session-data cookies in ${(minted.get(v.id).ms / 1000).toFixed(1)} s`,
      )
    }

    const runs = new Map(SCALE_VARIANTS.map((v) => [v.id, []]))
    const cache = new Map()
    const revocation = {}
    for (let round = 0; round < rounds; round++) {
      const order = SCALE_VARIANTS.map((_, i) => SCALE_VARIANTS[(i + round) % SCALE_VARIANTS.length])
      for (const v of order) {
        const server = serverOf(v)
        const before = await server.request({ type: 'stats' })
        const w = round === 0 ? Math.max(warmupSec, 2) : warmupSec
        const loading = loader.request(
          job(v, { durationSec, warmupSec: w }),
          (durationSec + w) * 1000 + 60_000,
        )
        // Mid-load, in the last round at the largest count: revoke one session and poll with it.
        if (probe && v.protected && round === rounds - 1) {
          await sleep((w + durationSec * 0.4) * 1000)
          const capMs = v.id === 'better-auth-cache' ? (cookieCacheMaxAgeSec + 20) * 1000 : 10_000
          const pending = revocationProbe({ server, cookie: probeCookies.get(v.id), capMs }).then(
            (r) => {
              revocation[v.id] = r
            },
            (err) => {
              revocation[v.id] = { error: String(err?.message ?? err).split('\n', 1)[0] }
            },
          )
          // The cookie cache's window outlasts this run: that server stays up until it ends.
          if (v.id === 'better-auth-cache') {
            keep.add(v.id)
            lingering.push({ pending, server, dir })
          } else await pending
        }
        const result = await loading
        const after = await server.request({ type: 'stats' })
        result.cpuUsPerRequest = (after.cpuUs - before.cpuUs) / Math.max(1, after.requests - before.requests)
        check(v, result, `round ${round + 1}`)
        runs.get(v.id).push(result)
        if (v.id === 'latch')
          cache.set('rounds', addDelta(cache.get('rounds'), cacheDelta(before.latch, after.latch)))
        log(
          `  ${count} sessions: round ${round + 1}/${rounds} ${v.id.padEnd(17)} ${Math.round(result.rps)} req/s  ` +
            `server CPU ${result.cpuUsPerRequest.toFixed(1)} µs/req${v.jar ? `  renewed ${result.renewed}` : ''}`,
        )
      }
    }

    const memoryAfter = new Map()
    for (const v of PROCESSES) memoryAfter.set(v.id, await servers.get(v.id).request({ type: 'memory' }))
    const latchStats = (await servers.get('latch').request({ type: 'stats' })).latch ?? null

    const sessions = count + 1
    const variants = SCALE_VARIANTS.map((v) => {
      const list = runs.get(v.id)
      const base = runs.get('bare')
      const ratios = list.map((r, i) => r.rps / base[i].rps)
      const cpuRatios = list.map((r, i) => base[i].cpuUsPerRequest / r.cpuUsPerRequest)
      const m0 = memoryBefore.get(v.id)
      const m1 = memoryAfter.get(v.id)
      return {
        id: v.id,
        label: v.label,
        protected: Boolean(v.protected),
        highlight: Boolean(v.highlight),
        rps: median(list.map((r) => r.rps)),
        rpsSpread: spread(list.map((r) => r.rps)),
        p50: median(list.map((r) => r.p50)),
        p99: median(list.map((r) => r.p99)),
        ratio: median(ratios),
        ratioSpread: spread(ratios),
        cpuUsPerRequest: median(list.map((r) => r.cpuUsPerRequest)),
        cpuRatio: median(cpuRatios),
        cpuRatioSpread: spread(cpuRatios),
        // The guard alone: Latch against its own app with the route unguarded, round by round.
        ...(v.id === 'latch' && runs.get('latch-open')?.length === list.length
          ? { other: ratiosTo(list, runs.get('latch-open')) }
          : {}),
        renewed: v.jar ? list.reduce((s, r) => s + r.renewed, 0) : undefined,
        requests: list.reduce((s, r) => s + r.total, 0),
        warm: warm.get(v.id) ?? null,
        minted: minted.get(v.id) ? { count: minted.get(v.id).minted, ms: minted.get(v.id).ms } : null,
        populate: populated.get(v.id) ? { ms: populated.get(v.id).ms, how: populated.get(v.id).how } : null,
        memory: v.protected
          ? {
              heapPerSession: (m1.heapUsed - m0.heapUsed) / sessions,
              rssPerSession: (m1.rss - m0.rss) / sessions,
              storePerSession:
                Number.isFinite(m1.storeBytes) && Number.isFinite(m0.storeBytes)
                  ? (m1.storeBytes - m0.storeBytes) / sessions
                  : null,
            }
          : null,
      }
    })
    return {
      count,
      variants,
      latch: {
        statsAvailable: latchStats !== null,
        stats: latchStats,
        warm: warm.get('latch')?.cache ?? null,
        rounds: cache.get('rounds') ?? null,
      },
      revocation: probe ? revocation : null,
    }
  } finally {
    await Promise.all(
      SCALE_VARIANTS.map(async (v) => {
        await loader.request({ type: 'drop', name: `${count}:${v.id}` }).catch(() => {})
        if (!v.of && !keep.has(v.id)) await servers.get(v.id)?.stop()
      }),
    )
    if (keep.size === 0) rmSync(dir, { recursive: true, force: true })
  }
}

export async function runScale({
  redisUrl,
  counts,
  rounds,
  durationSec,
  warmupSec,
  connections,
  cookieCacheMaxAgeSec,
  log,
}) {
  const lingering = []
  const loader = await startChild('sections/httpLoad.mjs', {}, { cores: LOAD_CORES?.loader })
  const started = performance.now()
  try {
    const largest = Math.max(...counts)
    const results = []
    // Largest first: the revocation probe of the cookie cache runs for up to its maxAge, in the
    // background while the smaller counts are measured.
    for (const count of [...counts].sort((a, b) => b - a)) {
      results.push(
        await measureCount({
          count,
          probe: count === largest,
          loader,
          redisUrl,
          rounds,
          durationSec,
          warmupSec,
          connections,
          cookieCacheMaxAgeSec,
          lingering,
          log,
        }),
      )
    }
    if (lingering.length) log('  waiting for the cookie-cache revocation probe to end')
    await Promise.all(lingering.map((l) => l.pending))
    return {
      counts: [...counts].sort((a, b) => a - b),
      rounds,
      durationSec,
      warmupSec,
      connections,
      cookieCacheMaxAgeSec,
      cores: loader.pinned ? LOAD_CORES : null,
      wallSec: (performance.now() - started) / 1000,
      byCount: results.sort((a, b) => a.count - b.count),
    }
  } finally {
    for (const l of lingering) {
      await l.server.stop()
      rmSync(l.dir, { recursive: true, force: true })
    }
    await loader.stop()
  }
}
