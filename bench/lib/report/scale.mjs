// BENCHMARKS.md section: protected routes at scale, and revocation reach.
import { fixed, int } from '../stats.mjs'
import { ms, pct, sectionError, table } from './shared.mjs'

/** How each variant's session is revoked by the probe, for the revocation table. */
const REVOKED_BY = {
  latch: '`sessions.revokeSession(sessionId)` (memory store; the revocation list is pushed to the manager)',
  'latch-sqlite':
    '`sessions.revokeSession(sessionId)` (SQLite store; the revocation list is pushed to the manager)',
  'express-session': 'connect-redis `store.destroy(sid)` (Redis `DEL`)',
  'better-auth': '`internalAdapter.deleteSession(token)` (what its revoke endpoints call)',
  'better-auth-cache':
    '`internalAdapter.deleteSession(token)`; the session-data cookie was renewed just before',
}

function revocationCell(p, maxAgeSec) {
  if (!p) return ['—', '—', '—']
  if (p.error) return [`failed: ${p.error}`, '', '']
  const refused = p.refused
    ? `refused ${ms(p.refusedAfterMs)} after the revocation returned`
    : `**still accepted** when the probe stopped, ${ms(p.capMs)} after (maxAge ${maxAgeSec} s)`
  return [
    int(p.acceptedRequests),
    p.lastAcceptedMs === null ? 'none' : `until ${ms(p.lastAcceptedMs)}`,
    refused,
  ]
}

export function scaleSection(r) {
  const sc = r.sections.scale
  if (!sc) return sectionError(r, 'scale')
  const counts = sc.byCount.map((c) => c.count)
  const ids = sc.byCount[0].variants.map((v) => v.id)
  const at = (count, id) => sc.byCount.find((c) => c.count === count)?.variants.find((v) => v.id === id)
  const label = (id) => {
    const v = at(counts[0], id)
    return v.highlight ? `**${v.label}**` : v.label
  }
  const ratioRows = ids.map((id) =>
    id === 'bare'
      ? [
          `${label(id)}: req/s, server CPU per request`,
          ...counts.map((c) => `${int(at(c, id).rps)}/s, ${fixed(at(c, id).cpuUsPerRequest, 0)} µs`),
        ]
      : [
          label(id),
          ...counts.map((c) => {
            const v = at(c, id)
            const cell = `${fixed(v.ratio)} / ${fixed(v.cpuRatio)}`
            return v.highlight ? `**${cell}**` : cell
          }),
        ],
  )
  const detailRows = []
  for (const c of counts)
    for (const id of ids) {
      const v = at(c, id)
      detailRows.push([
        int(c),
        label(id),
        `${int(v.rps)} (${int(v.rpsSpread.min)}–${int(v.rpsSpread.max)})`,
        `${fixed(v.p50, 0)} / ${fixed(v.p99, 0)} ms`,
        id === 'bare'
          ? '1 (limit)'
          : `${fixed(v.ratio)} (${fixed(v.ratioSpread.min)}–${fixed(v.ratioSpread.max)})`,
        `${fixed(v.cpuUsPerRequest, 1)} µs`,
        id === 'bare'
          ? '1 (limit)'
          : `${fixed(v.cpuRatio)} (${fixed(v.cpuRatioSpread.min)}–${fixed(v.cpuRatioSpread.max)})`,
        v.warm
          ? `${int(v.warm.rps)} req/s`
          : v.minted
            ? `${int(v.minted.count)} minted in ${ms(v.minted.ms)}`
            : '—',
      ])
    }
  const memoryCounts = counts.filter((c) => c >= 10_000)
  const storeNote = {
    latch: 'in the heap (memory store)',
    'latch-sqlite': 'SQLite file (sessions)',
    'express-session': 'Redis `used_memory`',
    'better-auth': 'SQLite file (users + sessions)',
    'better-auth-cache': 'SQLite file (users + sessions)',
  }
  const memoryRows = []
  for (const c of memoryCounts)
    for (const id of ids.filter((x) => at(c, x)?.memory)) {
      const v = at(c, id)
      memoryRows.push([
        int(c),
        label(id),
        `${int(v.memory.heapPerSession)} B`,
        `${int(v.memory.rssPerSession)} B`,
        v.memory.storePerSession === null
          ? storeNote[id]
          : `${int(v.memory.storePerSession)} B (${storeNote[id]})`,
        ms(v.populate?.ms),
      ])
    }
  const largest = sc.byCount.at(-1)
  const revocation = largest.revocation ?? {}
  const revocationRows = ids
    .filter((id) => id !== 'bare')
    .map((id) => [label(id), REVOKED_BY[id], ...revocationCell(revocation[id], sc.cookieCacheMaxAgeSec)])
  const statsOf = (c) => sc.byCount.find((x) => x.count === c).latch
  const cacheRows = counts.map((c) => {
    const l = statsOf(c)
    if (!l.statsAvailable) return [int(c), '`stats()` not available', '', '', '', '']
    const w = l.warm
    const rd = l.rounds
    return [
      int(c),
      int(l.stats.verifyCache.maxEntries),
      int(l.stats.verifyCache.entries),
      w ? `${int(w.hits)} / ${int(w.misses)}` : '—',
      rd ? `${int(rd.hits)} / ${int(rd.misses)} / ${int(rd.evictions)}` : '—',
      rd ? `**${pct(rd.hitRate)}**` : '—',
    ]
  })
  const anyStats = sc.byCount.some((c) => c.latch.statsAvailable)
  const cache = at(counts.at(-1), 'better-auth-cache')
  const howOf = (id) => at(counts.at(-1), id)?.populate?.how ?? '—'
  const out = [
    '## 7. Cost as work grows',
    '',
    `The same JSON handler on \`GET /api/me\` behind Latch and behind what users pick instead, at ${counts.map(int).join(', ')} distinct active sessions. ` +
      `Real HTTP over loopback: express, cookie transport, autocannon in **another** process, ${sc.connections} connections; request k carries the k-th of N ` +
      'distinct session cookies (cycling through the list, the position kept from one run to the next, so the whole set is visited in order — ' +
      'the least favourable order for a bounded cache). For each count: fresh server processes, every protected variant checked to answer 200 with ' +
      `a first, middle and last session and 401 without; then ${sc.rounds} interleaved round${sc.rounds === 1 ? '' : 's'} (order rotated per round) of ` +
      `${sc.warmupSec} s warm-up (2 s in the first round) + ${sc.durationSec} s measured per variant; each ratio is the median of the per-round ratios to the ` +
      'bare route of the same round. ' +
      (sc.cores
        ? `Once populated, every server runs pinned to core ${sc.cores.server} and the load generator to core ${sc.cores.loader} (\`taskset\`). `
        : '') +
      'Any non-2xx answer under load fails the run.',
    '',
    `![Cost as work grows](bench/scale.svg)`,
    '',
    'Protected ÷ bare, **by req/s / by server CPU** (the bare row gives its absolute figures):',
    '',
    table(['variant', ...counts.map((c) => `${int(c)} session${c === 1 ? '' : 's'}`)], ratioRows),
    '',
    '- *Warm*: Latch keeps a verify-cache entry per token, so every cookie is used once over HTTP before the measured rounds (the *warm pass* ' +
      "column; on a cache miss that is a signature check). The better-auth cookie cache's per-session state is the signed session-data cookie a " +
      'browser holds: one real cookie is issued by `getSession`, and every session gets a copy with its own fields, signed as better-auth signs ' +
      'them, just before the rounds (a `getSession` per session costs milliseconds here: 100 000 of them would not fit the run); the harness checks ' +
      'they are answered from the cache (200, no renewed cookie). express-session and better-auth without the cache read their store on every ' +
      'request and get the same warm-up as every run.',
    "- *Server CPU* is the server process's user + system time per request served (`process.cpuUsage()`); the CPU ratio is bare ÷ variant, the " +
      "throughput ratio the server would reach with a core to itself. Redis runs in its own process, so the express-session row's CPU ratio leaves " +
      "out Redis's own work; better-auth's SQLite runs inside the server process and is counted.",
    "- The bare route receives Latch's cookies (a browser sends them there too), so every comparison isolates the guard, not header parsing.",
    `- *better-auth*: ${'`'}better-auth${'`'} with email + password on SQLite (better-sqlite3, WAL, \`synchronous = NORMAL\`), \`auth.api.getSession({ headers: fromNodeHeaders(req.headers), returnHeaders: true })\` ` +
      'per request (any renewed cookie is forwarded). *+ cookieCache*: `session.cookieCache: { enabled: true, maxAge: ' +
      `${sc.cookieCacheMaxAgeSec} }\` (seconds; better-auth's default is 300): the load generator keeps each session's cookies like a browser's jar, so a ` +
      `renewed session-data cookie is used from the next request on${cache?.renewed !== undefined ? ` (${int(cache.renewed)} renewals in the measured rounds at ${int(counts.at(-1))} sessions, of ${int(cache.requests)} requests)` : ''}.`,
    `- *Sessions*: Latch — ${howOf('latch')}. express-session — ${howOf('express-session')}. better-auth — ${howOf('better-auth')}. ` +
      "Requests are always real HTTP. Each variant also holds one more session, kept out of the load: the revocation probe's.",
    '- **2-core caveat**: the server (one thread) and autocannon (one thread) each need a core; anything else on the VM (Redis for the ' +
      'express-session row, other work on this shared machine) takes from one of them. Absolute req/s is a lower bound; the ratios, taken within ' +
      'the same rounds, are the result, and the CPU ratio is the steadier of the two.',
    '',
    '<details><summary>Every variant and count</summary>',
    '',
    table(
      [
        'sessions',
        'variant',
        'req/s median (min–max)',
        'latency p50 / p99',
        'req/s ÷ bare (min–max)',
        'server CPU per request',
        'CPU ratio (min–max)',
        'warm pass',
      ],
      detailRows,
    ),
    '',
    '</details>',
    '',
  ]
  if (memoryRows.length) {
    out.push(
      '**Memory per active session**, in the server process, started with `--expose-gc`: heap used (plus ArrayBuffer backing stores) and RSS after full collections, once the sessions are ' +
        "created and warmed, minus the same reading before any session, ÷ sessions; and the store's own footprint where it lives outside the heap.",
      '',
      table(
        [
          'sessions',
          'variant',
          'heap Δ per session',
          'RSS Δ per session',
          'store per session',
          'creating them took',
        ],
        memoryRows,
      ),
      '',
      "- Latch's heap figure holds both the memory store's records and the verify-cache entries (section 6 separates them); the other variants keep no " +
        'per-session state in the process, so their heap figure is noise around zero, and their sessions live in the store column.',
      '',
    )
  }
  out.push(
    `**How long a revoked session is still accepted** — measured at ${int(largest.count)} sessions, mid-load: in the last round, while autocannon loads ` +
      'the variant, the harness revokes the probe session (used just before, so it is active and, for the cookie cache, holds a fresh session-data cookie) and ' +
      'polls `GET /api/me` with its cookie (every 20 ms for 2 s, then every 500 ms) until refused.',
    '',
    table(
      ['variant', 'revoked by', 'requests accepted after the revocation', 'last accepted', 'refused'],
      revocationRows,
    ),
    '',
  )
  out.push(
    anyStats
      ? `**Latch's verify cache** during the load, from \`sessions.stats()\`:\n\n${table(
          [
            'sessions',
            'bound (maxEntries)',
            'entries after the rounds',
            'warm pass: hits / misses',
            'measured rounds: hits / misses / evictions',
            'hit rate in the measured rounds',
          ],
          cacheRows,
        )}`
      : "**Latch's verify cache**: `sessions.stats()` not available in the build measured, so its bound, entries and hit rate are not shown.",
    '',
  )
  return out.join('\n')
}
