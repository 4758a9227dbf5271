import { randomBytes } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, test } from 'vitest'
import { DEFAULT_VERIFY_CACHE_SIZE } from '../SessionManagerOptions.js'
import { VerifyCache } from './verifyCache.js'

// `--expose-gc` for this process only, so every heap reading follows a full collection.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** JS heap plus the typed arrays' backing stores (outside the heap, but memory all the same). */
function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc()
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}

const ENTRIES = 100_000
const NOW = 1_700_000_000

/**
 * Memory per entry of `ENTRIES` tokens as a real verification leaves them: a fresh session-id string
 * (22 characters, as issued), a user id, no claims. The keys are built before the first reading,
 * so only what the cache keeps counts.
 */
function bytesPerEntry(maxEntries: number, userIdOf: (i: number) => string) {
  const keys = Array.from({ length: ENTRIES }, () => randomBytes(32).toString('binary'))
  const before = heapUsed()
  const cache = new VerifyCache(maxEntries)
  for (let i = 0; i < ENTRIES; i++) {
    cache.add(
      keys[i]!,
      {
        userId: userIdOf(i),
        sessionId: randomBytes(16).toString('base64url'),
        claims: {},
        version: 0,
        iat: NOW,
        exp: NOW + 600,
      },
      NOW,
    )
  }
  const after = heapUsed()
  expect(cache.size).toBe(ENTRIES)
  // The keys stay reachable until here: freeing them between the readings would hide the cache.
  expect(keys.length).toBe(ENTRIES)
  return (after - before) / ENTRIES
}

describe('verify cache memory', () => {
  test('at most 150 B per entry (heap and typed arrays), measured over 100 000 entries', () => {
    const exact = bytesPerEntry(ENTRIES, (i) => `user-${i}`)
    const byDefault = bytesPerEntry(DEFAULT_VERIFY_CACHE_SIZE, (i) => `user-${i}`)
    // Flattened: `randomUUID` returns a rope of its parts, a JSON-parsed `sub` is one flat string.
    const uuid = bytesPerEntry(DEFAULT_VERIFY_CACHE_SIZE, () => Buffer.from(crypto.randomUUID()).toString())
    console.log(
      `verify cache heap per entry (100 000 entries): ${exact.toFixed(1)} B at verifyCacheSize 100 000, ` +
        `${byDefault.toFixed(1)} B at the default ${DEFAULT_VERIFY_CACHE_SIZE} (user ids "user-N"), ` +
        `${uuid.toFixed(1)} B with UUID user ids`,
    )
    // The target is 150 B; the bounds leave a margin below it (measured: ~93, ~105, ~128 B).
    expect(exact).toBeLessThan(120)
    expect(byDefault).toBeLessThan(125)
    expect(uuid).toBeLessThan(145)
  }, 60_000)
})
