// BENCHMARKS.md: the findings, prose chosen from what the run measured.
import { bytes, duration, fixed, int } from '../stats.mjs'
import { profilesOf } from './refresh.mjs'
import {
  ACCESS_TOKEN_LIMIT,
  CLIENT_LIMIT,
  HTTP_TARGET,
  httpMet,
  ms,
  pct,
  REFRESH_TARGETS,
  ratio,
} from './shared.mjs'

export function findings(r) {
  const out = []
  const http = r.sections.http
  const latch = http?.variants.find((v) => v.id === 'latch')
  const bare = http?.variants.find((v) => v.id === 'bare')
  const handle = http?.variants.find((v) => v.id === 'handle')
  const floor = http?.variants.find((v) => v.id === 'floor')
  const verify = r.sections.verify
  const hit = verify?.results.find((t) => t.name === 'EdDSA: cache hit')
  if (latch && bare && !httpMet(latch)) {
    const added = latch.cpuUsPerRequest - bare.cpuUsPerRequest
    const middleware = verify?.results.find(
      (t) => t.name === 'EdDSA: requireSession middleware alone, cookie, cache hit',
    )
    const onConnection = verify?.results.find((t) => t.name.endsWith('same keep-alive connection'))
    const g = http.guardProfile
    const specific = g && !g.error ? g.rows.filter((row) => !row.category.includes('common to both')) : []
    const total = specific.reduce((sum, row) => sum + Math.max(0, row.latch - row.bare), 0)
    const shares = specific
      .filter((row) => row.latch - row.bare > 0)
      .sort((x, y) => y.latch - y.bare - (x.latch - x.bare))
      .map((row) => `${row.category} ${pct((row.latch - row.bare) / total)}`)
      .join('; ')
    out.push(
      `- **HTTP: protected ÷ bare = ${fixed(latch.ratio)} by req/s (rounds ${fixed(latch.ratioSpread.min)}–${fixed(latch.ratioSpread.max)}), ` +
        `${fixed(latch.cpuRatio)} by server CPU time; target ${HTTP_TARGET}.** The cached guard adds ${fixed(added, 1)} µs of server CPU to an express request ` +
        `of ${fixed(bare.cpuUsPerRequest, 1)} µs. \`verify\` on a hit costs ${hit ? duration(hit.p50Ns) : 'n/a'} and the whole ` +
        `\`requireSession\` function ${middleware ? duration(middleware.p50Ns) : 'n/a'}${onConnection ? ` (${duration(onConnection.p50Ns)} for a token its keep-alive connection sent before, not hashed again)` : ''} (p50, section 2, without express around it)` +
        `${handle ? `; the Web path (node:http + \`verify(Request)\`) keeps ${fixed(handle.ratio)} of its own limit` : ''}. ` +
        `The target allows the guard ${fixed(bare.cpuUsPerRequest * (1 / HTTP_TARGET - 1), 1)} µs of CPU per request on this route ` +
        `(CPU-time ratio ≥ ${HTTP_TARGET} on a ${fixed(bare.cpuUsPerRequest, 1)} µs route), so it is ${fixed(added - bare.cpuUsPerRequest * (1 / HTTP_TARGET - 1), 1)} µs over by CPU time.` +
        (shares && total > 0 ? ` By profile (section 1), the added time splits: ${shares}.` : '') +
        (floor
          ? ` The *floor* row (find the cookie, SHA-256 it, keep a session, nothing else) ${floor.cpuUsPerRequest >= bare.cpuUsPerRequest ? `adds ${fixed(floor.cpuUsPerRequest - bare.cpuUsPerRequest, 1)} µs` : `came out ${fixed(bare.cpuUsPerRequest - floor.cpuUsPerRequest, 1)} µs below the bare route (noise: it does strictly more)`} and keeps ${fixed(floor.ratio)} / ${fixed(floor.cpuRatio)}; ` +
            (latch.cpuUsPerRequest >= floor.cpuUsPerRequest
              ? `Latch's guard costs ${fixed(latch.cpuUsPerRequest - floor.cpuUsPerRequest, 1)} µs of CPU more than it in this run.`
              : `Latch's guard costs ${fixed(floor.cpuUsPerRequest - latch.cpuUsPerRequest, 1)} µs of CPU less than it in this run (the floor hashes every request's token; Latch remembers the last one per connection).`)
          : ''),
    )
  } else if (latch && bare) {
    const added = latch.cpuUsPerRequest - bare.cpuUsPerRequest
    out.push(
      `- **HTTP: protected ÷ bare = ${fixed(latch.ratio)} by req/s (rounds ${fixed(latch.ratioSpread.min)}–${fixed(latch.ratioSpread.max)}), ` +
        `${fixed(latch.cpuRatio)} by server CPU time; target ${HTTP_TARGET}, met on both.** The cached guard adds ${fixed(added, 1)} µs of server CPU ` +
        `to an express request of ${fixed(bare.cpuUsPerRequest, 1)} µs (the target allows ${fixed(bare.cpuUsPerRequest * (1 / HTTP_TARGET - 1), 1)} µs); ` +
        `\`verify\` on a hit costs ${hit ? duration(hit.p50Ns) : 'n/a'} (p50, section 2).`,
    )
  }
  const bareNode = http?.variants.find((v) => v.id === 'bare-node')
  if (handle && bareNode && handle.ratio < HTTP_TARGET) {
    const bearerHit = verify?.results.find((t) => t.name === 'EdDSA: cache hit')
    out.push(
      `- **Web path: node:http + \`verify(new Request(…))\` = ${fixed(handle.ratio)} of bare node:http** ` +
        `(+${fixed(handle.cpuUsPerRequest - bareNode.cpuUsPerRequest, 1)} µs CPU per request on a ${fixed(bareNode.cpuUsPerRequest, 1)} µs route). ` +
        `Latch's part is small — \`verify\` on a hit ${bearerHit ? duration(bearerHit.p50Ns) : 'n/a'} with a \`Request\` — ` +
        'the rest is building a WHATWG `Request` and `Headers` per ' +
        'request on Node (undici). `verify` already accepts a `RequestLike` (`method`, `url`, `headers.get`); the README should ' +
        'tell Node adapters to pass a light view, as the express adapter does, and keep full `Request`s for runtimes that have them natively.',
    )
  }
  const rf = r.sections.refresh
  if (rf) {
    const refs = r.sections.verify?.results ?? []
    const nodeSign = refs.find((t) => t.name.startsWith('reference: node:crypto sign'))
    const profiles = profilesOf(rf)
    const memory = rf.stores.memory
    const memoryOk = memory && !memory.error
    const missed = Object.entries(REFRESH_TARGETS).filter(([store, target]) => {
      const s = rf.stores[store]
      return s && !s.error && Math.max(s.sequential.perSec, s.concurrent.perSec) < target
    })
    // The profile's shares of busy time (idle excluded) applied to the CPU per refresh measured
    // without the profiler: an estimate of where that CPU goes.
    const remains = (profile, cpuUs) => {
      const busy = 1 - (profile.categories.find((c) => c.category.startsWith('idle'))?.share ?? 0)
      return [
        ['signing', 'signing'],
        ['Web Request', 'Web Request/Response/Headers'],
        ['refresh-token crypto', 'refresh-token crypto'],
        ['store', 'store code + client'],
        ['garbage collection', 'GC'],
        ['other JavaScript', 'other JS'],
      ]
        .map(([prefix, label]) => [
          label,
          profile.categories.find((c) => c.category.startsWith(prefix))?.share,
        ])
        .filter(([, share]) => Number.isFinite(share))
        .map(([label, share]) => `${label} ≈ ${fixed((share / busy) * cpuUs, 0)} µs`)
        .join(', ')
    }
    for (const [store, target] of missed) {
      const s = rf.stores[store]
      const best = Math.max(s.sequential.perSec, s.concurrent.perSec)
      const budget = 1e6 / target
      const profile = profiles[store] && !profiles[store].error ? profiles[store] : undefined
      const parts = [
        `- **Refresh on ${store}: ${int(best)}/s < ${int(target)}/s (${ratio(best / target)} of the target).** ` +
          `The Node process spends ${int(s.concurrent.cpuUs)} µs of CPU per refresh (${r.config.refresh.concurrency} concurrent sessions; ` +
          `${int(1e6 / s.concurrent.cpuUs)} refreshes per CPU-second at best); the target needs ≤ ${int(budget)} µs, ` +
          `${int(s.concurrent.cpuUs - budget)} µs less.`,
      ]
      if (profile) {
        parts.push(
          `Split by the ${store} profile's shares of busy time (section 3), those ${int(s.concurrent.cpuUs)} µs are: ${remains(profile, s.concurrent.cpuUs)}.`,
        )
      }
      if (memoryOk && store !== 'memory') {
        parts.push(
          `The memory store, whose own cost is negligible, needs ${int(memory.concurrent.cpuUs)} µs of CPU per refresh in the same run.`,
        )
        if (memory.concurrent.cpuUs > budget) {
          parts.push(
            `Even a store that costs nothing leaves a refresh over the ${int(budget)} µs budget` +
              (nodeSign ? ` (one Ed25519 signature alone: ${duration(nodeSign.p50Ns)} p50, section 2)` : '') +
              `: **≥ ${int(target)}/s per Node process is out of reach on this VM**; more throughput means more processes (or cores), or a target restated per process.`,
          )
        }
      }
      out.push(parts.join(' '))
    }
  }
  const sc = r.sections.scale
  if (sc) {
    const largest = sc.byCount.at(-1)
    const first = sc.byCount[0]
    const v = (c, id) => c.variants.find((x) => x.id === id)
    const pair = (x) => `${fixed(x?.ratio)} by req/s, ${fixed(x?.cpuRatio)} by CPU`
    const st = largest.latch
    const cache = st.statsAvailable
      ? `its verify cache (bound ${int(st.stats.verifyCache.maxEntries)}) answered ${pct(st.rounds?.hitRate)} of the measured requests from the cache`
      : "`sessions.stats()` is not available in this build, so the verify cache's bound and hit rate are not shown"
    const rev = largest.revocation?.['better-auth-cache']
    out.push(
      `- **Cost as work grows (section 7): Latch ÷ bare = ${pair(v(first, 'latch'))} at ${int(first.count)} session${first.count === 1 ? '' : 's'}, ` +
        `${pair(v(largest, 'latch'))} at ${int(largest.count)}**; at ${int(largest.count)} sessions ${cache}. Beside it at ${int(largest.count)}: ` +
        (v(largest, 'latch-sqlite')
          ? `Latch on the SQLite store ${pair(v(largest, 'latch-sqlite'))}, `
          : '') +
        `express-session + Redis ${pair(v(largest, 'express-session'))}, better-auth ${pair(v(largest, 'better-auth'))}, ` +
        `better-auth with its cookie cache ${pair(v(largest, 'better-auth-cache'))}` +
        (rev && !rev.error
          ? `; the cookie cache accepted a revoked session for ${rev.refused ? ms(rev.lastAcceptedMs ?? 0) : `more than ${ms(rev.capMs)}`} (maxAge ${sc.cookieCacheMaxAgeSec} s)` +
            `; refused at the first request after the revocation: ${
              Object.entries(largest.revocation)
                .filter(([, p]) => p.refused && p.acceptedRequests === 0)
                .map(([id]) => v(largest, id).label)
                .join(', ') || 'none'
            }.`
          : '.'),
    )
  }
  const client = r.sections.sizes?.bundles?.clientMinimal
  if (client && client.gzip > CLIENT_LIMIT) {
    const modules = r.sections.sizes.bundles.clientMinimalBySource?.modules ?? []
    out.push(
      `- **Client minimal import ${bytes(client.gzip)} > ${bytes(CLIENT_LIMIT)} (${ratio(client.gzip / CLIENT_LIMIT)}).** ` +
        `\`createSessionClient\` statically reaches every module (${modules.length} source modules; largest: ` +
        `${modules
          .slice(0, 4)
          .map((m) => `\`${m.file.split('/').pop()}\` ${bytes(m.bytes)}`)
          .join(
            ', ',
          )}), so tree-shaking removes almost nothing compared with importing everything (${bytes(r.sections.sizes.bundles.clientAll?.gzip)}).`,
    )
  }
  const token = r.sections.sizes?.tokens
  if (token && token.accessTokenUuidSub > ACCESS_TOKEN_LIMIT && token.accessToken <= ACCESS_TOKEN_LIMIT) {
    out.push(
      `- **Access token: ${token.accessToken} B with \`sub = alice\`, but ${token.accessTokenUuidSub} B with a UUID user id** — over the ${ACCESS_TOKEN_LIMIT} B ` +
        'budget for the most common kind of user id.',
    )
  }
  return out
}
