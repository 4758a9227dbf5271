// Section 6: server memory, in its own process started with --expose-gc so every reading follows
// a full collection. (1) 100 000 live sessions in the memory store; (2) a full verified-token
// cache, overfilled past its bound to show the bound holds.
import { randomBytes } from 'node:crypto'
import { runAsChild } from '../lib/child.mjs'
import { bearerRequest, createHeaderSession, createLatch } from '../lib/latch.mjs'

async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  // ArrayBuffer backing stores live outside the V8 heap: a cache built on typed arrays would
  // otherwise measure as free.
  const { rss, heapUsed, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed: heapUsed + arrayBuffers }
}

const b64 = (n) => randomBytes(n).toString('base64url')

/** 100 000 sessions: one created by the manager, the rest stored as copies of its record with fresh ids and hashes. */
async function liveSessions(count) {
  const latch = await createLatch({})
  try {
    const { sessions, store } = latch
    const { sessionId } = await createHeaderSession(sessions, 'user-0')
    const template = await store.getSession(sessionId)
    const before = await settle()
    const started = performance.now()
    for (let i = 1; i < count; i++) {
      await store.createSession({
        ...template,
        id: b64(16 + (template.id.length > 22 ? 8 : 0)).slice(0, template.id.length),
        userId: `user-${i % 10_000}`,
        currentHash: b64(32).slice(0, template.currentHash.length),
        claims: {},
      })
    }
    const seconds = (performance.now() - started) / 1000
    const after = await settle()
    const listed = await store.listUserSessions('user-1', Date.now())
    return {
      sessions: count,
      rssBefore: before.rss,
      rssAfter: after.rss,
      heapBefore: before.heapUsed,
      heapAfter: after.heapUsed,
      bytesPerSession: (after.heapUsed - before.heapUsed) / count,
      insertPerSec: count / seconds,
      sampleUserSessions: listed.length,
    }
  } finally {
    await latch.close()
  }
}

/**
 * Verifies `overfill` × the cache size distinct tokens, then shows the bound from outside: the
 * newest `cacheSize` tokens verify at hit cost, the oldest were evicted and cost a signature check.
 */
async function verifyCache(cacheSize, overfill) {
  const latch = await createLatch({ verifyCacheSize: cacheSize })
  try {
    const { sessions } = latch
    const total = Math.round(cacheSize * overfill)
    const requests = []
    for (let i = 0; i < total; i++)
      requests.push(bearerRequest((await createHeaderSession(sessions, `u${i}`)).accessToken))
    const before = await settle()
    const atSize = []
    for (let i = 0; i < total; i++) {
      await sessions.verify(requests[i])
      if (i + 1 === cacheSize) atSize.push(await settle())
    }
    const after = await settle()
    const timeVerify = async (slice) => {
      const t = performance.now()
      for (const request of slice) await sessions.verify(request)
      return ((performance.now() - t) * 1000) / slice.length
    }
    const probe = Math.min(1000, Math.floor(cacheSize / 4))
    // Newest first: re-verifying old tokens re-inserts them and would evict the newest.
    const newestUs = await timeVerify(requests.slice(total - probe))
    const oldestUs = await timeVerify(requests.slice(0, probe))
    return {
      cacheSize,
      verified: total,
      rssBefore: before.rss,
      rssAtSize: atSize[0]?.rss,
      rssAfter: after.rss,
      heapBefore: before.heapUsed,
      heapAtSize: atSize[0]?.heapUsed,
      heapAfter: after.heapUsed,
      bytesPerEntry: (atSize[0].heapUsed - before.heapUsed) / cacheSize,
      growthPastBound: after.heapUsed - atSize[0].heapUsed,
      probe,
      newestVerifyUs: newestUs,
      oldestVerifyUs: oldestUs,
      // Hits are ~100× cheaper than misses: the newest must be hits, the oldest misses.
      boundHolds: oldestUs > 5 * newestUs,
    }
  } finally {
    await latch.close()
  }
}

// One part per process, so neither measurement inherits the other's heap.
runAsChild(async ({ part, sessions = 100_000, cacheSize = 10_000, overfill = 1.2 }) => {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc')
  const baseline = await settle()
  if (part === 'sessions') return { baseline, ...(await liveSessions(sessions)) }
  if (part === 'cache') return { baseline, ...(await verifyCache(cacheSize, overfill)) }
  throw new Error(`unknown part ${part}`)
})
