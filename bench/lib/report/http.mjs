// BENCHMARKS.md section: HTTP overhead of the adapters and the bare Web handler.
import { duration, fixed, int } from '../stats.mjs'
import { httpMet, httpVerdict, pct, sectionError, table } from './shared.mjs'

/**
 * Section 1's per-adapter line: each adapter's guarded route ÷ the same server's unguarded route
 * (same process, same rounds): express from `latch` ÷ `latch-open`, Fastify and Hono from rows
 * whose baseline is their own open route.
 */
function adapterRows(byId) {
  const figures = []
  if (byId.latch?.other) figures.push(['express', byId.latch.other])
  for (const v of Object.values(byId)) if (v.adapter) figures.push([v.adapter, v])
  if (figures.length < 2) return []
  const cell = ([name, f]) =>
    `${name} **${fixed(f.ratio)}** (rounds ${fixed(f.ratioSpread.min)}–${fixed(f.ratioSpread.max)}), ${fixed(f.cpuRatio)} by CPU`
  return [
    `- *per adapter*, the guarded route ÷ the same server's unguarded route (one process, the same rounds; each framework's own unguarded route is its row's limit): ${figures.map(cell).join('; ')}. Each adapter's guard is the same core call (\`verifyCached\` with the per-connection memo); what differs is what the framework charges for a hook or middleware.`,
  ]
}

export function httpSection(r) {
  const http = r.sections.http
  if (!http) return sectionError(r, 'http')
  const byId = Object.fromEntries(http.variants.map((v) => [v.id, v]))
  const rows = http.variants.map((v) => {
    const limit = v.id === v.baseline
    return [
      v.highlight ? `**${v.label}**` : v.label,
      `${int(v.rps)} (${int(v.rpsSpread.min)}–${int(v.rpsSpread.max)})`,
      `${fixed(v.p50, 0)} / ${fixed(v.p99, 0)} ms`,
      limit ? '1 (limit)' : `**${fixed(v.ratio)}** (${fixed(v.ratioSpread.min)}–${fixed(v.ratioSpread.max)})`,
      `${fixed(v.cpuUsPerRequest, 1)} µs`,
      limit ? '1 (limit)' : fixed(v.cpuRatio),
      v.id === 'latch' ? httpVerdict(v) : '',
    ]
  })
  const latch = byId.latch
  const verifyHit = r.sections.verify?.results.find((t) => t.name === 'EdDSA: cache hit')
  const out = [
    '## 1. HTTP: what a protected route costs',
    '',
    `The same JSON handler (\`{ userId, sessionId }\`), served by one Node process per variant; ` +
      `[autocannon](https://github.com/mcollina/autocannon) runs in **another** process, ${http.connections} connections, ` +
      `${http.warmupSec} s warm-up + ${http.durationSec} s measured, loopback only. The variants are **interleaved**: ` +
      `${http.rounds} rounds, each running every variant once (order rotated per round), and each ratio is the median of the ` +
      'per-round ratios to the unprotected route of the same stack, so every comparison is made under the same machine conditions. ' +
      (http.pinned
        ? `The load generator runs pinned to core ${http.cores.loader} and every server to core ${http.cores.server} (\`taskset\`), so neither migrates nor shares a core with the other. `
        : 'The processes were not pinned to cores in this run (no `taskset` or one core). ') +
      'Before loading, the harness checks each protected variant answers 200 with the session and 401 without it; ' +
      'any non-2xx answer under load fails the run.',
    '',
    '![HTTP throughput](bench/http.svg)',
    '',
    table(
      [
        'variant',
        'req/s median (min–max)',
        'latency p50 / p99',
        'req/s ÷ limit (min–max)',
        'server CPU per request',
        'CPU-time ratio (limit ÷ variant)',
        'target',
      ],
      rows,
    ),
    '',
    '- *req/s ÷ limit* is the figure the target is set on: median of the per-round ratios to the unprotected route of the same stack.',
    "- *server CPU per request* is the server process's user + system CPU time divided by the requests it served during the run " +
      '(`process.cpuUsage()`); the *CPU-time ratio* is the throughput ratio the server would reach with a core to itself. It barely ' +
      'moves when other processes compete for the cores, so it is the steadier of the two on a shared machine.',
    '- Every variant receives the same `Cookie` header (≈ the Latch cookies), as a browser would send them to an unprotected route too; ' +
      'only the express-session row sends its own, smaller `sid` cookie.',
    ...(byId['bare-2']
      ? [
          `- *control* is the bare server once more, in a second process: no code differs, so its ratio, **${fixed(byId['bare-2'].ratio)}** by req/s and **${fixed(byId['bare-2'].cpuRatio)}** by CPU (rounds ${fixed(byId['bare-2'].ratioSpread.min)}–${fixed(byId['bare-2'].ratioSpread.max)}), is how far a ratio of this run moves on its own: read the other rows within that.`,
        ]
      : []),
    ...(byId.latch?.other
      ? [
          `- *the guard alone*: the Latch server's protected route ÷ its own unguarded route, in the same process and the same rounds (\`latch-open\`: the manager running, the endpoints mounted, no \`requireSession\`; the demo's \`/api/me\` ÷ \`/api/health\`, as the issue measured it), so no difference between two processes enters it = **${fixed(byId.latch.other.ratio)}** by req/s (rounds ${fixed(byId.latch.other.ratioSpread.min)}–${fixed(byId.latch.other.ratioSpread.max)}), **${fixed(byId.latch.other.cpuRatio)}** by CPU; the row above it is the stricter comparison with an express app that has no Latch at all.`,
        ]
      : []),
    ...adapterRows(byId),
    ...(byId.floor
      ? [
          `- *floor* is a lower bound, not a guard: one express middleware that finds the access cookie, SHA-256s it and keeps a session (no lookup, no expiry or revocation check, any value passes) — the least a token check can do that hashes the whole token on every request (Latch does not hash again a token its connection sent before, so it can come out below this floor). It keeps **${fixed(byId.floor.ratio)}** by req/s and **${fixed(byId.floor.cpuRatio)}** by CPU (${fixed(byId.floor.userCpuRatio)} by user CPU alone) of the bare route${byId.latch ? `, against ${fixed(byId.latch.ratio)} / ${fixed(byId.latch.cpuRatio)} (${fixed(byId.latch.userCpuRatio)}) for Latch` : ''}.`,
        ]
      : []),
    '- *cache off* is `createSessionManager({ verifyCacheSize: 0 })`: a full jose signature check per request.',
    '- *express-session + connect-redis* is what a user would pick instead: an opaque session id in a cookie and a Redis `GET` ' +
      '(plus the `EXPIRE` touch express-session does on every request) per request, same Redis server as the store benchmarks.',
    '- **2-core caveat**: the server (one thread) and autocannon (one thread) each need a core; anything else running on the VM ' +
      '(including Redis for the express-session row) takes from one of them. Absolute req/s is therefore a lower bound; the ratios are the result.',
  ]
  const g = http.guardProfile
  if (g && !g.error) {
    // The common row (parser, sockets, response) is where contention noise lands; the share is
    // taken over the rows that differ by construction.
    const specific = g.rows.filter((row) => !row.category.includes('common to both'))
    const added = specific.reduce((sum, row) => sum + Math.max(0, row.latch - row.bare), 0)
    out.push(
      '',
      `Where the cached guard's extra time goes: both express servers (no auth, and Latch with the cache) run once more under the same load with ` +
        `\`node --cpu-prof\`; self time of every sampled frame by category, per request (${int(g.requests.bare)} and ${int(g.requests.latch)} requests). ` +
        'Sampled wall time on a shared machine is inflated by contention, so read the *share of the added time* (over the categories that grew), not the microseconds.',
      '',
      table(
        ['category', 'no auth µs/req', 'Latch µs/req', 'added', 'share of the added time'],
        [...g.rows]
          .sort((a, b) => b.latch - b.bare - (a.latch - a.bare))
          .map((row) => [
            row.category,
            fixed(row.bare, 1),
            fixed(row.latch, 1),
            fixed(row.latch - row.bare, 1),
            added > 0 && !row.category.includes('common to both') && row.latch > row.bare
              ? pct((row.latch - row.bare) / added)
              : '(noise)',
          ]),
      ),
    )
  }
  if (latch && !httpMet(latch)) {
    const added = latch.cpuUsPerRequest - byId.bare.cpuUsPerRequest
    out.push(
      '',
      `**Target not met on both measures** (${httpVerdict(latch)}): the cached guard adds ${fixed(added, 1)} µs of server CPU per request ` +
        `to a route that costs ${fixed(byId.bare.cpuUsPerRequest, 1)} µs bare, while \`verify\` itself on a cache hit costs ` +
        `${verifyHit ? duration(verifyHit.p50Ns) : 'n/a'} (p50, section 2). See *Findings* for where the rest goes.`,
    )
  }
  return out.join('\n')
}
