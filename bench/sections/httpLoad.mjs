// The load generator of the HTTP sections: one long-lived process (so no run pays for a process
// start), separate from every server under test, taking jobs over IPC. Loopback only.
//
// A job either sends one fixed `headers` set, or cycles through a cookie list loaded earlier with
// `{ type: 'cookies', name, file }` (one `Cookie` header per line): request k carries cookie
// k mod N, the cursor persisting across jobs, so successive runs go on through the list the way N
// users would, not restart at the first one. With `jar`, a `Set-Cookie` answer replaces that
// cookie in the list, as a browser would keep it (better-auth's cookie cache renews its cookie).
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { applySetCookie } from '../lib/cookies.mjs'

const lists = new Map()

function fire(options) {
  return new Promise((resolve, reject) => {
    // Not tracked (no progress bar or table): the orchestrator prints one line per run.
    autocannon(options, (err, result) => (err ? reject(err) : resolve(result)))
  })
}

/** autocannon's `requests`: one request whose cookie is the list's next one. */
function cycling(list, jar, counter) {
  const request = {
    setupRequest(req, context) {
      const i = list.cursor++ % list.cookies.length
      context.i = i
      req.headers = { ...req.headers, cookie: list.cookies[i] }
      return req
    },
  }
  // onResponse makes autocannon collect bodies: only when the jar needs the headers.
  if (jar) {
    request.onResponse = (_status, _body, context, headers) => {
      const set = headers?.['set-cookie'] ?? headers?.['Set-Cookie']
      if (!set) return
      counter.renewed++
      list.cookies[context.i] = applySetCookie(list.cookies[context.i], Array.isArray(set) ? set : [set])
    }
  }
  return [request]
}

async function load({
  url,
  headers,
  connections,
  durationSec,
  warmupSec,
  timeoutSec,
  cookieList,
  jar,
  amount,
}) {
  const target = new URL(url)
  if (target.hostname !== '127.0.0.1') throw new Error('the load generator only targets 127.0.0.1')
  const base = { url, headers, connections, pipelining: 1, timeout: timeoutSec ?? 10 }
  const counter = { renewed: 0 }
  if (cookieList) {
    const list = lists.get(cookieList)
    if (!list) throw new Error(`no cookie list ${cookieList}`)
    base.requests = cycling(list, jar, counter)
  }
  if (warmupSec > 0) await fire({ ...base, duration: warmupSec })
  counter.renewed = 0
  const r = await fire(amount ? { ...base, amount } : { ...base, duration: durationSec })
  return {
    rps: r.requests.total / (r.duration || durationSec),
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationSec: r.duration,
    renewed: counter.renewed,
  }
}

process.on('message', async (message) => {
  if (message?.type === 'stop') process.exit(0)
  try {
    if (message?.type === 'cookies') {
      const cookies = readFileSync(message.file, 'utf8').split('\n').filter(Boolean)
      if (message.limit) cookies.length = Math.min(cookies.length, message.limit)
      lists.set(message.name, { cookies, cursor: 0 })
      process.send({ type: 'reply', data: { count: cookies.length } })
    } else if (message?.type === 'drop') {
      lists.delete(message.name)
      process.send({ type: 'reply', data: {} })
    } else if (message?.type === 'load') {
      process.send({ type: 'reply', data: await load(message.job) })
    }
  } catch (err) {
    process.send({ type: 'error', message: String(err?.stack ?? err) })
  }
})
process.send({ type: 'ready' })
