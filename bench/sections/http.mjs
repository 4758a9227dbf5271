// Section 1: HTTP throughput of the same express handler behind each guard, with autocannon in
// a separate process. Variants are interleaved round by round (order rotated each round) so every
// ratio compares runs made under the same machine conditions; the figure is the median over rounds.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LOAD_CORES, startChild } from '../lib/child.mjs'
import { readProfileDir, selfTimeByCategory } from '../lib/cpuProfile.mjs'
import { median, spread } from '../lib/stats.mjs'

/** `baseline`: the unprotected variant each ratio is taken against (same stack, no auth). */
export const HTTP_VARIANTS = [
  { id: 'bare', label: 'express, no auth (limit)', baseline: 'bare' },
  {
    // The same server in a second process: its ratio to the first is what a ratio moves with no
    // code difference at all, the resolution of this run.
    id: 'bare-2',
    server: 'bare',
    label: 'control: express, no auth, a second process',
    baseline: 'bare',
  },
  {
    id: 'latch',
    label: 'express + Latch requireSession (cache)',
    protected: true,
    highlight: true,
    baseline: 'bare',
    // The guard alone: against the same app's unguarded route, as the demo's /api/me ÷ /api/health.
    alsoAgainst: 'latch-open',
  },
  { id: 'latch-nocache', label: 'express + Latch, cache off', protected: true, baseline: 'bare' },
  {
    // A route of the `latch` server, not a process of its own: the guard alone, free of the
    // difference between two processes (which the control row shows).
    id: 'latch-open',
    of: 'latch',
    path: '/api/open',
    label: 'the same Latch server, an unguarded route (the demo’s /api/health)',
    baseline: 'bare',
  },
  {
    id: 'floor',
    label: 'floor: find the cookie, SHA-256 it, keep a session (no lookup; not a guard)',
    baseline: 'bare',
  },
  { id: 'express-session', label: 'express-session + connect-redis', protected: true, baseline: 'bare' },
  // One row per adapter: its guarded route ÷ the same server's unguarded route (same process,
  // same rounds), as `latch` ÷ `latch-open` is for express.
  {
    id: 'latch-fastify-open',
    of: 'latch-fastify',
    path: '/api/open',
    label: 'Fastify + Latch plugin, an unguarded route (limit)',
    baseline: 'latch-fastify-open',
  },
  {
    id: 'latch-fastify',
    label: 'Fastify + Latch requireSession (cache)',
    protected: true,
    baseline: 'latch-fastify-open',
    adapter: 'Fastify',
  },
  {
    id: 'latch-hono-open',
    of: 'latch-hono',
    path: '/api/open',
    label: 'Hono (node-server) + Latch middleware, an unguarded route (limit)',
    baseline: 'latch-hono-open',
  },
  {
    id: 'latch-hono',
    label: 'Hono (node-server) + Latch requireSession (cache)',
    protected: true,
    baseline: 'latch-hono-open',
    adapter: 'Hono',
  },
  { id: 'bare-node', label: 'node:http, no auth (limit)', baseline: 'bare-node' },
  { id: 'handle', label: 'node:http + Latch verify(Request)', protected: true, baseline: 'bare-node' },
]

/** A variant's per-round ratios to another variant than its baseline (medians, as for the baseline). */
function againstOther(list, otherRuns) {
  const ratios = list.map((r, i) => r.rps / otherRuns[i].rps)
  return {
    other: {
      ratio: median(ratios),
      ratioSpread: spread(ratios),
      cpuRatio: median(list.map((r, i) => otherRuns[i].cpuUsPerRequest / r.cpuUsPerRequest)),
    },
  }
}

/** Logs in over HTTP and returns the `Cookie` header a browser would send afterwards. */
export async function login(port) {
  const response = await fetch(`http://127.0.0.1:${port}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-latch-csrf': '1' },
    body: '{"username":"alice","password":"wonderland"}',
  })
  if (!response.ok) throw new Error(`login answered ${response.status}`)
  await response.arrayBuffer()
  const cookies = response.headers.getSetCookie().map((line) => line.split(';', 1)[0])
  return cookies.join('; ')
}

/** The server a variant loads (a route variant shares another's) and the path it requests. */
const serverOf = (servers, variant) => servers.get(variant.of ?? variant.id)
const pathOf = (variant) => variant.path ?? '/api/me'

async function status(port, cookie, path = '/api/me') {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: cookie ? { cookie } : {} })
  await response.arrayBuffer()
  return response.status
}

// Where the cached guard's extra time goes: self time of every sampled frame, by category.
const GUARD_CATEGORIES = [
  [
    'Latch express adapter: request view, header reads',
    (l) => l.includes('/server/dist/express') || /^protocol .*express\/lib\/request\.js$/.test(l),
  ],
  ['Latch verify: cookie parsing, cache lookup, revocation check', (l) => l.includes('/server/dist/')],
  [
    'hashing (ETag in both; SHA-256 of the token in Latch)',
    (l) => /^(Hash|update|digest|hash|oneShotDigest) (node:internal\/crypto\/hash)?$/.test(l),
  ],
  [
    'express routing (the extra middleware layers)',
    (l) => /\/(router|parseurl)\/|express\/lib\/router/.test(l),
  ],
  ['promise / microtask scheduling', (l) => /^(runMicrotasks|processTicksAndRejections) /.test(l)],
  ['garbage collection', (l) => l.startsWith('(garbage collector)')],
]
const GUARD_OTHER = 'HTTP parsing, socket writes, response, handler (common to both)'

/** Profiles the bare and the cached-guard express servers under the same load; µs of self time per request by category. */
async function profileGuard({ loader, cookie, connections, durationSec }) {
  const out = {}
  for (const variant of ['bare', 'latch']) {
    const dir = mkdtempSync(join(tmpdir(), `latch-bench-prof-${variant}-`))
    try {
      const server = await startChild(
        'sections/httpServer.mjs',
        { variant },
        { execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`], cores: LOAD_CORES?.server },
      )
      let requests
      try {
        const header = variant === 'latch' ? await login(server.port) : cookie
        await loader.request(
          {
            type: 'load',
            job: {
              url: `http://127.0.0.1:${server.port}/api/me`,
              headers: { cookie: header },
              connections,
              durationSec,
              warmupSec: 1,
            },
          },
          (durationSec + 1) * 1000 + 30_000,
        )
        requests = (await server.request({ type: 'stats' })).requests
      } finally {
        await server.stop(15_000)
      }
      const totals = selfTimeByCategory(readProfileDir(dir), GUARD_CATEGORIES, GUARD_OTHER)
      out[variant] = {
        requests,
        perRequest: Object.fromEntries([...totals].map(([k, v]) => [k, v / requests])),
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const names = [...GUARD_CATEGORIES.map(([name]) => name), GUARD_OTHER]
  const rows = names.map((name) => ({
    category: name,
    bare: out.bare.perRequest[name] ?? 0,
    latch: out.latch.perRequest[name] ?? 0,
  }))
  const total = (v) => rows.reduce((sum, r) => sum + r[v], 0)
  return {
    rows,
    bareTotal: total('bare'),
    latchTotal: total('latch'),
    requests: { bare: out.bare.requests, latch: out.latch.requests },
  }
}

export async function runHttp({ redisUrl, rounds, durationSec, warmupSec, connections, log }) {
  const servers = new Map()
  let loader = null
  try {
    loader = await startChild('sections/httpLoad.mjs', {}, { cores: LOAD_CORES?.loader })
    for (const variant of HTTP_VARIANTS) {
      if (variant.of) continue
      const config = { variant: variant.server ?? variant.id, redisUrl }
      servers.set(
        variant.id,
        await startChild('sections/httpServer.mjs', config, { cores: LOAD_CORES?.server }),
      )
    }
    const cookies = new Map()
    for (const variant of HTTP_VARIANTS) {
      const { port } = serverOf(servers, variant)
      const cookie = variant.protected ? await login(port) : ''
      // The guard must really guard: 200 with the session, 401 without. Otherwise the figure lies.
      const withSession = await status(port, cookie, pathOf(variant))
      if (withSession !== 200)
        throw new Error(`${variant.id}: /api/me with a session answered ${withSession}`)
      if (variant.protected) {
        const without = await status(port, '')
        if (without !== 401)
          throw new Error(`${variant.id}: /api/me without a session answered ${without}, not 401`)
      }
      cookies.set(variant.id, cookie)
    }
    // A browser sends the same cookies to an unprotected route too: load every variant with a
    // Cookie header of the same size, so the comparison isolates the guard, not header parsing.
    const sample = cookies.get('latch') ?? ''
    for (const variant of HTTP_VARIANTS) if (!variant.protected) cookies.set(variant.id, sample)

    const runs = new Map(HTTP_VARIANTS.map((v) => [v.id, []]))
    for (let round = 0; round < rounds; round++) {
      const order = HTTP_VARIANTS.map((_, i) => HTTP_VARIANTS[(i + round) % HTTP_VARIANTS.length])
      for (const variant of order) {
        const server = serverOf(servers, variant)
        const { port } = server
        const cookie = cookies.get(variant.id)
        const before = await server.request({ type: 'stats' })
        const result = await loader.request(
          {
            type: 'load',
            job: {
              url: `http://127.0.0.1:${port}${pathOf(variant)}`,
              headers: cookie ? { cookie } : {},
              connections,
              durationSec,
              warmupSec: round === 0 ? Math.max(warmupSec, 2) : warmupSec,
            },
          },
          (durationSec + Math.max(warmupSec, 2)) * 1000 + 30_000,
        )
        const after = await server.request({ type: 'stats' })
        const served = Math.max(1, after.requests - before.requests)
        result.cpuUsPerRequest = (after.cpuUs - before.cpuUs) / served
        // User time alone: system time (socket writes, wake-ups) moves with the load generator.
        result.userUsPerRequest = (after.userUs - before.userUs) / served
        if (result.non2xx > 0 || result.errors > 0) {
          throw new Error(
            `${variant.id}: ${result.non2xx} non-2xx answers, ${result.errors} errors under load`,
          )
        }
        runs.get(variant.id).push(result)
        log(
          `  round ${round + 1}/${rounds} ${variant.id.padEnd(16)} ${Math.round(result.rps)} req/s  ` +
            `p50 ${result.p50} ms  p99 ${result.p99} ms  server CPU ${result.cpuUsPerRequest.toFixed(1)} µs/req`,
        )
      }
    }

    const variants = HTTP_VARIANTS.map((variant) => {
      const list = runs.get(variant.id)
      const baseRuns = runs.get(variant.baseline)
      // Ratio per round (same conditions), then the median of those ratios.
      const ratios = list.map((r, i) => r.rps / baseRuns[i].rps)
      const cpuRatios = list.map((r, i) => baseRuns[i].cpuUsPerRequest / r.cpuUsPerRequest)
      return {
        ...variant,
        rps: median(list.map((r) => r.rps)),
        rpsSpread: spread(list.map((r) => r.rps)),
        p50: median(list.map((r) => r.p50)),
        p99: median(list.map((r) => r.p99)),
        ratio: median(ratios),
        cpuUsPerRequest: median(list.map((r) => r.cpuUsPerRequest)),
        userUsPerRequest: median(list.map((r) => r.userUsPerRequest)),
        userCpuRatio: median(list.map((r, i) => baseRuns[i].userUsPerRequest / r.userUsPerRequest)),
        // Throughput the server could reach on a core of its own, relative to the limit.
        cpuRatio: median(cpuRatios),
        ratioSpread: spread(ratios),
        runs: list.length,
        ...(variant.alsoAgainst ? againstOther(list, runs.get(variant.alsoAgainst)) : {}),
      }
    })
    let guardProfile = null
    try {
      guardProfile = await profileGuard({
        loader,
        cookie: sample,
        connections,
        durationSec: Math.max(3, durationSec),
      })
    } catch (err) {
      guardProfile = { error: String(err?.message ?? err).split('\n', 1)[0] }
    }
    const pinned = loader.pinned && [...servers.values()].every((server) => server.pinned)
    return { rounds, durationSec, warmupSec, connections, pinned, cores: LOAD_CORES, variants, guardProfile }
  } finally {
    await Promise.all([...servers.values(), ...(loader ? [loader] : [])].map((s) => s.stop()))
  }
}
