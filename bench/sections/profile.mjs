// Where a refresh's time goes: runs sequential refreshes on the memory store under the V8 CPU
// profiler (in this process, via node:inspector) and attributes every sample to a category, so
// the report can say *why* a throughput target is missed, not only by how much.
import { Session } from 'node:inspector/promises'
import { runAsChild } from '../lib/child.mjs'
import { createHeaderSession, createLatch, refreshOnce } from '../lib/latch.mjs'

// First match wins; tested against "functionName url" of each frame from the leaf up.
const CATEGORIES = [
  [
    'signing (jose SignJWT → WebCrypto Ed25519 sign)',
    /(webcrypto|crypto\/cfrg|crypto\/ec\b|jws_sign|jwt\/sign|crypto\/util)/,
  ],
  [
    'refresh-token MAC / hashing / randomness',
    /(createHmac|Hmac|Hash|digest|randomFill|getRandomValues|crypto\/random|crypto\/hash)/,
  ],
  ['Web Request/Response/Headers (undici)', /(undici|webstreams|headers)/],
  ['store', /(stores?\/|chunk-[A-Z0-9]+\.js.*(getSession|rotateSession))/],
  ['garbage collection', /\(garbage collector\)/],
  ['idle (waiting: threadpool crypto jobs, I/O)', /\(idle\)/],
]

function categorize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const time = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const totals = new Map()
  let all = 0
  for (const [id, t] of time) {
    all += t
    let category = 'other JavaScript (manager logic, JSON, base64)'
    // Walk from the sampled frame towards the root; the first frame that matches decides.
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur).callFrame
      const label = `${frame.functionName} ${frame.url}`
      const hit = CATEGORIES.find(([, re]) => re.test(label))
      if (hit) {
        category = hit[0]
        break
      }
    }
    totals.set(category, (totals.get(category) ?? 0) + t)
  }
  return [...totals].map(([category, t]) => ({ category, share: t / all })).sort((a, b) => b.share - a.share)
}

runAsChild(async ({ timeMs = 3000 }) => {
  const latch = await createLatch({})
  const session = new Session()
  session.connect()
  try {
    const { sessions } = latch
    let { refreshToken: token } = await createHeaderSession(sessions, 'profiled')
    for (let i = 0; i < 300; i++) token = (await refreshOnce(sessions, token)).refreshToken
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    await session.post('Profiler.start')
    const started = performance.now()
    let count = 0
    while (performance.now() - started < timeMs && count < 100_000) {
      const answer = await refreshOnce(sessions, token)
      if (answer.status !== 200) throw new Error(`refresh answered ${answer.status}`)
      token = answer.refreshToken
      count++
    }
    const elapsed = performance.now() - started
    const { profile } = await session.post('Profiler.stop')
    return { refreshes: count, usPerRefresh: (elapsed * 1000) / count, categories: categorize(profile) }
  } finally {
    session.disconnect()
    await latch.close()
  }
})
