// The load generator of the HTTP section, run in its own process so it never shares an event
// loop (or a core, as far as the OS allows) with the server under test. Loopback only.
import autocannon from 'autocannon'
import { runAsChild } from '../lib/child.mjs'

function fire(options) {
  return new Promise((resolve, reject) => {
    // Not tracked (no progress bar or table): the orchestrator prints one line per run.
    autocannon(options, (err, result) => (err ? reject(err) : resolve(result)))
  })
}

runAsChild(async ({ url, headers, connections, durationSec, warmupSec, timeoutSec }) => {
  const target = new URL(url)
  if (target.hostname !== '127.0.0.1') throw new Error('the load generator only targets 127.0.0.1')
  const base = { url, headers, connections, pipelining: 1, timeout: timeoutSec ?? 10 }
  if (warmupSec > 0) await fire({ ...base, duration: warmupSec })
  const r = await fire({ ...base, duration: durationSec })
  return {
    rps: r.requests.total / (r.duration || durationSec),
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationSec: r.duration,
  }
})
