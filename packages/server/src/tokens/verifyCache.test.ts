import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { type CachedToken, VerifyCache } from './verifyCache.js'

const keyOf = (text: string) => createHash('sha256').update(text).digest('binary')
const NOW = 1_700_000_000

function entry(i: number, overrides: Partial<CachedToken> = {}): CachedToken {
  return {
    userId: `user-${i}`,
    sessionId: randomBytes(16).toString('base64url'),
    claims: null,
    version: 0,
    iat: NOW,
    exp: NOW + 600,
    ...overrides,
  }
}

/** A small deterministic PRNG (mulberry32), so hit rates are the same on every run. */
function prng(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Today's eviction before this cache: a Map in insertion order, the oldest entry dropped when full. */
class FifoModel {
  private readonly map = new Map<string, true>()
  hits = 0
  constructor(private readonly max: number) {}
  request(key: string): void {
    if (this.map.has(key)) {
      this.hits++
      return
    }
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!)
    this.map.set(key, true)
  }
}

/**
 * A skewed workload: `hot` sessions that keep coming back (`hotShare` of the requests, uniform
 * among them) and a stream of one-off tokens (crawlers, a login then nothing) for the rest.
 */
function skewed(seed: number, requests: number, hot: number, hotShare: number): string[] {
  const random = prng(seed)
  const keys: string[] = []
  let oneOff = 0
  for (let i = 0; i < requests; i++) {
    keys.push(random() < hotShare ? `hot-${Math.floor(random() * hot)}` : `once-${oneOff++}`)
  }
  return keys
}

function hitRates(workload: string[], max: number) {
  const clock = new VerifyCache(max)
  const fifo = new FifoModel(max)
  const hashed = workload.map(keyOf)
  const entries = new Map<string, CachedToken>()
  for (let i = 0; i < workload.length; i++) {
    const key = hashed[i]!
    fifo.request(key)
    if (clock.find(key) !== -1) clock.hits++
    else {
      const made = entries.get(key) ?? entry(i)
      entries.set(key, made)
      clock.add(key, made, NOW)
    }
  }
  return {
    clock: clock.hits / workload.length,
    fifo: fifo.hits / workload.length,
    evictions: clock.evictions,
  }
}

describe('verify cache', () => {
  test('finds what was added, rebuilds the session id and times, forgets deleted entries', () => {
    const cache = new VerifyCache(50_000, { maxTokenAge: 600, tolerance: 5 })
    const added = Array.from({ length: 20_000 }, (_, i) => ({
      key: keyOf(`token-${i}`),
      entry: entry(i, { iat: NOW + i, exp: NOW + i + 600 }),
    }))
    for (const { key, entry } of added) cache.add(key, entry, NOW)
    expect(cache.size).toBe(20_000)
    // Delete every third entry (the last slot moves into each hole), then check every entry.
    for (let i = 0; i < added.length; i += 3) cache.delete(cache.find(added[i]!.key))
    const wrong: number[] = []
    for (let i = 0; i < added.length; i++) {
      const { key, entry } = added[i]!
      const slot = cache.find(key)
      const right =
        i % 3 === 0
          ? slot === -1
          : slot !== -1 &&
            cache.sessionId(slot) === entry.sessionId &&
            cache.userId(slot) === entry.userId &&
            cache.iat(slot) === entry.iat &&
            cache.exp(slot) === entry.exp &&
            cache.validUntil(slot) === entry.exp + 5
      if (!right) wrong.push(i)
    }
    expect(wrong).toEqual([])
    expect(cache.size).toBe(20_000 - Math.ceil(20_000 / 3))
    expect(cache.find(keyOf('never added'))).toBe(-1)
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.find(added[1]!.key)).toBe(-1)
  }, 30_000)

  test('claims: empty claims are not stored, others follow their entry through moves and evictions', () => {
    const cache = new VerifyCache(3)
    const claims = { role: 'admin' }
    cache.add(keyOf('a'), entry(1, { claims }), NOW)
    cache.add(keyOf('b'), entry(2, { claims: {} }), NOW)
    cache.add(keyOf('c'), entry(3, { claims: { role: 'c' } }), NOW)
    expect(cache.claims(cache.find(keyOf('a')))).toBe(claims)
    expect(cache.claims(cache.find(keyOf('b')))).toBeNull()
    // Deleting `a` moves `c` into its slot, claims with it.
    cache.delete(cache.find(keyOf('a')))
    expect(cache.claims(cache.find(keyOf('c')))).toEqual({ role: 'c' })
    cache.add(keyOf('d'), entry(4), NOW)
    // Full: the next one evicts the first entry without credit, and its claims go with it.
    cache.add(keyOf('e'), entry(5), NOW)
    const left = ['b', 'c', 'd', 'e'].filter((k) => cache.find(keyOf(k)) !== -1)
    expect(left).toHaveLength(3)
    for (const k of left) expect(cache.claims(cache.find(keyOf(k)))).toEqual(k === 'c' ? { role: 'c' } : null)
  })

  test('skips what it cannot hold exactly: foreign session ids, fractional exp, huge times, size 0', () => {
    const cache = new VerifyCache(10)
    cache.add(keyOf('a'), entry(1, { sessionId: 'not-a-22-char-base64url' }), NOW)
    cache.add(keyOf('b'), entry(2, { sessionId: 'AAAAAAAAAAAAAAAAAAAAAB' }), NOW) // non-canonical last char
    cache.add(keyOf('c'), entry(3, { exp: NOW + 600.5 }), NOW)
    cache.add(keyOf('d'), entry(4, { exp: 2 ** 33 }), NOW)
    expect(cache.size).toBe(0)
    // A token with a claims version has a whole-second `iat`; a finer one is not cached.
    cache.add(keyOf('e'), entry(5, { iat: NOW + 0.123, version: 3 }), NOW)
    expect(cache.find(keyOf('e'))).toBe(-1)
    // A token from before claims versions keeps its `iat` milliseconds (a pre-version stale mark reads them).
    cache.add(keyOf('f'), entry(6, { iat: NOW + 0.123, version: null }), NOW)
    expect(cache.iat(cache.find(keyOf('f')))).toBe(NOW + 0.123)
    expect(cache.version(cache.find(keyOf('f')))).toBe(null)
    cache.add(keyOf('h'), entry(8, { version: 0x7fff_ffff }), NOW)
    expect(cache.version(cache.find(keyOf('h')))).toBe(0x7fff_ffff)
    expect(cache.iat(cache.find(keyOf('h')))).toBe(NOW)
    cache.add(keyOf('i'), entry(9, { version: 2 ** 31 }), NOW)
    expect(cache.find(keyOf('i'))).toBe(-1)
    // Times past 2038 (above int32) come back whole: the record keeps them as 32 unsigned bits.
    const late = 2 ** 32 - 1_000
    cache.add(keyOf('g'), entry(7, { iat: late + 0.5, exp: late + 600, version: null }), late)
    const slot = cache.find(keyOf('g'))
    expect([cache.iat(slot), cache.exp(slot), cache.validUntil(slot)]).toEqual([
      late + 0.5,
      late + 600,
      late + 600,
    ])
    const off = new VerifyCache(0)
    off.add(keyOf('e'), entry(5), NOW)
    expect(off.size).toBe(0)
    expect(off.find(keyOf('e'))).toBe(-1)
  })

  test('the bound holds, and a full cache evicts expired entries before live ones', () => {
    const cache = new VerifyCache(100)
    for (let i = 0; i < 100; i++) cache.add(keyOf(`t${i}`), entry(i, { exp: NOW + (i < 50 ? 1 : 600) }), NOW)
    for (let i = 100; i < 150; i++) cache.add(keyOf(`t${i}`), entry(i), NOW + 10)
    expect(cache.size).toBe(100)
    // Fifty expired entries made room: no live entry was evicted.
    expect(cache.evictions).toBe(0)
    for (let i = 50; i < 150; i++) expect(cache.find(keyOf(`t${i}`))).not.toBe(-1)
    for (let i = 150; i < 1000; i++) cache.add(keyOf(`t${i}`), entry(i), NOW + 10)
    expect(cache.size).toBe(100)
    expect(cache.evictions).toBe(850)
  })

  test('tokens in use stay ahead of one-off tokens (GCLOCK against the old insertion-order eviction)', () => {
    // 800 hot sessions fit in a 1 000-entry cache; 30 % of the requests are one-off tokens.
    const mostlyHot = hitRates(skewed(1, 100_000, 800, 0.7), 1_000)
    // 5 000 hot sessions do not fit; half the traffic is one-off.
    const overfull = hitRates(skewed(2, 100_000, 5_000, 0.5), 1_000)
    console.log(
      `verify cache hit rate, GCLOCK vs FIFO: 800 hot in 1 000 entries, 30 % one-off: ` +
        `${(mostlyHot.clock * 100).toFixed(1)} % vs ${(mostlyHot.fifo * 100).toFixed(1)} %; ` +
        `5 000 hot in 1 000 entries, 50 % one-off: ${(overfull.clock * 100).toFixed(1)} % vs ${(overfull.fifo * 100).toFixed(1)} %`,
    )
    // Hot tokens are 70 % of the traffic and all fit (the best possible rate is 70 %).
    expect(mostlyHot.clock).toBeGreaterThan(0.6)
    expect(mostlyHot.clock).toBeGreaterThan(mostlyHot.fifo + 0.15)
    expect(overfull.clock).toBeGreaterThan(overfull.fifo)
  }, 60_000)
})
