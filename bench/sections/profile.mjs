// Where a refresh's time goes: runs sequential refreshes on one store under the V8 CPU
// profiler (in this process, via node:inspector) and attributes every sample to a category, so
// the report can say *why* a throughput target is missed, not only by how much.
import { mkdtempSync, rmSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAsChild } from '../lib/child.mjs'
import { createHeaderSession, createLatch, openStore, refreshOnce } from '../lib/latch.mjs'

// First match wins; tested against "functionName url" of each frame from the leaf up (so a
// helper called from inside a matched frame, e.g. `Buffer.from` inside `signOneShot`, counts
// with it). Native frames have no url: they are attributed to the first JS caller that matches.
const SIGNING = 'signing (node:crypto Ed25519 sign)'
const REFRESH_CRYPTO = 'refresh-token crypto (HMAC, AES-GCM seal, hashing, randomness)'
const WEB = 'Web Request/Response/Headers (undici, URL, streams)'
const STORE = 'store (Latch store code + better-sqlite3 / ioredis, socket writes)'
const GC = 'garbage collection'
const IDLE = 'idle (waiting: I/O, store round trips)'
const OTHER = 'other JavaScript (manager logic, JSON, base64, promises)'
const CATEGORIES = [
  // `signCompactJws` (packages/server/src/tokens/jwsSigner.ts) → node:crypto `sign` → `signOneShot`.
  [SIGNING, /^(signOneShot|signCompactJws) |node:internal\/crypto\/sig\b/],
  [
    REFRESH_CRYPTO,
    /(createHmac|Hmac|Hash|digest|Cipheriv|createCipher|randomFill|randomBytes|getRandomValues|crypto\/(random|hash|cipher|keys))/,
  ],
  [WEB, /(undici|webstreams|abort_controller|js_transferable|node:internal\/url)/],
  [
    STORE,
    /(better-sqlite3|ioredis|redis-parser|denque|standard-as-callback|cluster-key-slot|\/server\/dist\/(sqlite|redis|postgres)\.js|^(getSession|rotateSession) .*\/server\/dist\/chunk-|^\S* node:(net|internal\/stream_base_commons))/,
  ],
  [GC, /\(garbage collector\)/],
  [IDLE, /\(idle\)/],
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
    let category = OTHER
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

runAsChild(async ({ store: storeName = 'memory', redisUrl, timeMs = 3000 }) => {
  const dir = mkdtempSync(join(tmpdir(), 'latch-bench-profile-'))
  const opened = await openStore(storeName, { redisUrl, sqlitePath: join(dir, 'sessions.db') })
  const latch = await createLatch({}, opened.store)
  const session = new Session()
  session.connect()
  try {
    const { sessions } = latch
    let { refreshToken: token } = await createHeaderSession(sessions, 'profiled')
    for (let i = 0; i < 300; i++) token = (await refreshOnce(sessions, token)).refreshToken
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    await session.post('Profiler.start')
    const cpu = process.cpuUsage()
    const started = performance.now()
    let count = 0
    while (performance.now() - started < timeMs && count < 100_000) {
      const answer = await refreshOnce(sessions, token)
      if (answer.status !== 200) throw new Error(`refresh answered ${answer.status}`)
      token = answer.refreshToken
      count++
    }
    const elapsed = performance.now() - started
    const used = process.cpuUsage(cpu)
    const { profile } = await session.post('Profiler.stop')
    return {
      store: storeName,
      refreshes: count,
      usPerRefresh: (elapsed * 1000) / count,
      cpuUsPerRefresh: (used.user + used.system) / count,
      categories: categorize(profile),
    }
  } finally {
    session.disconnect()
    await latch.close()
    await opened.close(opened.store)
    rmSync(dir, { recursive: true, force: true })
  }
})
