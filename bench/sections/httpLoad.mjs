// The load generator of the HTTP section: one long-lived process (so no run pays for a process
// start), separate from every server under test, taking jobs over IPC. Loopback only.
import autocannon from 'autocannon'

function fire(options) {
  return new Promise((resolve, reject) => {
    // Not tracked (no progress bar or table): the orchestrator prints one line per run.
    autocannon(options, (err, result) => (err ? reject(err) : resolve(result)))
  })
}

async function load({ url, headers, connections, durationSec, warmupSec, timeoutSec }) {
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
}

process.on('message', async (message) => {
  if (message?.type === 'stop') process.exit(0)
  if (message?.type !== 'load') return
  try {
    process.send({ type: 'reply', data: await load(message.job) })
  } catch (err) {
    process.send({ type: 'error', message: String(err?.stack ?? err) })
  }
})
process.send({ type: 'ready' })
