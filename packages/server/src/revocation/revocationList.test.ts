/**
 * Stale marks by claims version: a token older than its session's mark is stale, whatever the
 * clocks say; and marks and tokens written before claims versions (the upgrade) keep the
 * behaviour of the release that wrote them, with no refresh loop.
 */
import { describe, expect, test } from 'vitest'
import { memoryStore } from '../stores/memory.js'
import type { StaleMark } from '../stores/SessionStore.js'
import { RevocationList } from './revocationList.js'

const T = 1_800_000_000_000
const mark = (version: number, markedAt = T): StaleMark => ({
  sessionId: 's',
  userId: 'u',
  version,
  markedAt,
  expiresAt: markedAt + 600_000,
})

function list(now = T) {
  return new RevocationList(memoryStore(), () => now)
}

describe('RevocationList stale marks', () => {
  test('by version: older than the mark is stale, at or above it is not, whatever the times', () => {
    const revocations = list()
    revocations.addStale([mark(2)])
    // A token issued "later" by a clock running ahead is still stale when its version is old…
    expect(revocations.check('s', { version: 1, issuedAt: T + 60_000 })).toBe('stale')
    // …and one issued "earlier" by a clock running behind is fine when its version is current.
    expect(revocations.check('s', { version: 2, issuedAt: T - 60_000 })).toBe(null)
    expect(revocations.check('s', { version: 3, issuedAt: T - 60_000 })).toBe(null)
    // Another session, or no token (a refresh asking about theft): never stale.
    expect(revocations.check('other', { version: 0, issuedAt: 0 })).toBe(null)
    expect(revocations.check('s')).toBe(null)
  })

  test('the highest version wins, whatever order the marks arrive in', () => {
    const revocations = list()
    revocations.addStale([mark(3)])
    revocations.addStale([mark(2, T + 5000)])
    expect(revocations.check('s', { version: 2, issuedAt: T + 10_000 })).toBe('stale')
    expect(revocations.check('s', { version: 3, issuedAt: 0 })).toBe(null)
  })

  test('a token from before claims versions (no cv) counts as version 0: any new mark stales it once', () => {
    const revocations = list()
    revocations.addStale([mark(1)])
    expect(revocations.check('s', { version: null, issuedAt: T + 1 })).toBe('stale')
    expect(revocations.check('s', { version: 1, issuedAt: T })).toBe(null)
  })

  test('a mark from before claims versions (version 0) is judged by time, as that release did', () => {
    const revocations = list()
    revocations.addStale([mark(0, T + 500)])
    // Old tokens keep their millisecond iat: exactly the old rule.
    expect(revocations.check('s', { version: null, issuedAt: T + 499 })).toBe('stale')
    expect(revocations.check('s', { version: null, issuedAt: T + 500 })).toBe(null)
    // A whole-second token counts from the end of its second: one issued in the mark's second
    // (after the mark, by the refresh it asked for) is not refused again and again.
    expect(revocations.check('s', { version: 0, issuedAt: T })).toBe(null)
    expect(revocations.check('s', { version: 0, issuedAt: T - 1000 })).toBe('stale')
    // A later versioned mark of the same session applies on top.
    revocations.addStale([mark(1, T + 800)])
    expect(revocations.check('s', { version: 0, issuedAt: T })).toBe('stale')
    expect(revocations.check('s', { version: 1, issuedAt: T })).toBe(null)
  })

  test('a lapsed mark is forgotten', () => {
    const revocations = list(T + 600_001)
    revocations.addStale([mark(5)])
    expect(revocations.check('s', { version: 0, issuedAt: 0 })).toBe(null)
    expect(revocations.size).toBe(0)
  })
})
