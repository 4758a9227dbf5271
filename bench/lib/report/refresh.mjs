// BENCHMARKS.md section: refresh throughput and CPU per store.
import { fixed, int, verdict } from '../stats.mjs'
import {
  MEMORY_REFRESH_CPU_US,
  pct,
  REDIS_VS_MEMORY,
  REFRESH_TARGETS,
  sectionError,
  table,
} from './shared.mjs'

/** Per-store refresh profiles (older results hold one memory-store profile). */
export function profilesOf(rf) {
  if (rf?.profiles) return rf.profiles
  return rf?.profile ? { memory: rf.profile } : {}
}

/** The memory store's refreshes through `handle(new Request(…))` beside the adapters' path, when measured. */
function webRefreshLine(rf) {
  const web = rf.web
  const memory = rf.stores.memory
  if (!web || web.error || !memory || memory.error) return []
  return [
    `The Web-standard path for comparison: the memory store through \`sessions.handle(new Request(…))\` (the harness building the ` +
      `\`Request\` and reading the \`Response\`, as a Web framework would) does ${int(web.concurrent.perSec)} refreshes/s with ` +
      `${web.concurrent.sessions} concurrent sessions at ${int(web.concurrent.cpuUs)} µs of CPU per refresh, against ` +
      `${int(memory.concurrent.cpuUs)} µs through \`answer\`: the Web objects cost ${int(web.concurrent.cpuUs - memory.concurrent.cpuUs)} µs per refresh.`,
    '',
  ]
}

export function refreshSection(r) {
  const rf = r.sections.refresh
  if (!rf) return sectionError(r, 'refresh')
  const rows = Object.entries(rf.stores).map(([store, s]) => {
    if (s.error) return [store, `failed: ${s.error}`, '', '', '', '']
    const figures = [
      store,
      int(s.sequential.perSec),
      int(s.concurrent.perSec),
      `${int(s.contended.perSec)} (${int(s.contended.bursts)} bursts, 1 rotation each)`,
      `${int(s.concurrent.cpuUs)} µs → ${int(1e6 / s.concurrent.cpuUs)}/s`,
    ]
    const best = Math.max(s.sequential.perSec, s.concurrent.perSec)
    const memory = rf.stores.memory && !rf.stores.memory.error ? rf.stores.memory : null
    if (store === 'redis' && memory) {
      const relative = best / Math.max(memory.sequential.perSec, memory.concurrent.perSec)
      return [
        ...figures,
        `≥ ${REDIS_VS_MEMORY} × memory`,
        verdict(relative, REDIS_VS_MEMORY, 'higher', (x) => `${fixed(x)} × memory`),
      ]
    }
    if (store === 'memory')
      return [
        ...figures,
        `CPU ≤ ${MEMORY_REFRESH_CPU_US} µs`,
        verdict(s.concurrent.cpuUs, MEMORY_REFRESH_CPU_US, 'lower', (x) => `${int(x)} µs`),
      ]
    const target = REFRESH_TARGETS[store]
    return [
      ...figures,
      target ? `≥ ${int(target)}` : 'report',
      target ? verdict(best, target, 'higher', (x) => `${int(x)}/s`) : '',
    ]
  })
  const out = [
    '## 3. Refresh throughput per store',
    '',
    "Refreshes through the manager's real endpoint in header mode, the way the express adapter calls it — `answerRequest(sessions, view)`, " +
      'a light request view in, a plain answer out, no Web `Request` or `Response` — so ' +
      'each figure includes parsing, the refresh-token MAC check, the store read, the rotation decision, the compare-and-swap, signing ' +
      `a new access token and building the answer. One server process; Redis ${r.redisVersion ?? ''} and PostgreSQL ${r.postgresVersion ?? ''} run as separate ` +
      'processes on the same 2 cores (PostgreSQL with its durable defaults: `fsync` and `synchronous_commit` on). ' +
      `Median of ${r.config.refresh.runs} runs of ${r.config.refresh.timeMs / 1000} s each.`,
    '',
    table(
      [
        'store',
        'sequential /s',
        `${r.config.refresh.concurrency} concurrent sessions /s`,
        `contended: ${r.config.refresh.burst} concurrent refreshes of one token /s`,
        'Node CPU per refresh (concurrent) → refreshes per CPU-second',
        'target',
        'verdict',
      ],
      rows,
    ),
    '',
    ...webRefreshLine(rf),
    '- *sequential*: one session refreshing in a loop, each refresh presenting the token the previous one returned.',
    '- *Node CPU per refresh*: user + system CPU of the benchmark process (libuv thread-pool work included, ' +
      'the Redis / PostgreSQL server processes excluded) divided by refreshes; its inverse is what one Node process could sustain with ' +
      'a core to itself, whatever else shares the machine.',
    `- *contended*: bursts of ${r.config.refresh.burst} simultaneous refreshes of the same token; the harness checks every burst gets 200 everywhere, ` +
      'one single successor token and generation +1 (exactly one rotation, the others answered idempotently within the reuse grace), never a theft verdict.',
  ]
  const profiles = profilesOf(rf)
  const stores = Object.keys(profiles).filter((store) => !profiles[store].error)
  if (stores.length > 0) {
    const names = []
    for (const store of stores)
      for (const c of profiles[store].categories) if (!names.includes(c.category)) names.push(c.category)
    const cell = (store, name) => {
      const c = profiles[store].categories.find((x) => x.category === name)
      return c ? `${fixed(c.share * profiles[store].usPerRefresh, 0)} µs (${pct(c.share)})` : '—'
    }
    out.push(
      '',
      "Where a refresh's time goes: one session refreshing sequentially on each store under the V8 sampling profiler " +
        `(${r.config.profile?.timeMs ? `${r.config.profile.timeMs / 1000} s per store, ` : ''}100 µs interval); every sampled frame's self time goes to the first category matched from the leaf up, ` +
        'shown as µs per refresh (share × wall time per refresh, profiler overhead included) and share. ' +
        `Wall time per refresh: ${stores.map((store) => `${store} ${fixed(profiles[store].usPerRefresh, 0)} µs`).join(', ')}` +
        (stores.every((store) => Number.isFinite(profiles[store].cpuUsPerRefresh))
          ? `; Node CPU per refresh while profiled (the profiler's own thread included): ${stores.map((store) => `${store} ${fixed(profiles[store].cpuUsPerRefresh, 0)} µs`).join(', ')}.`
          : '.'),
      '',
      table(
        ['category', ...stores],
        names.map((name) => [name, ...stores.map((store) => cell(store, name))]),
      ),
    )
  }
  return out.join('\n')
}
