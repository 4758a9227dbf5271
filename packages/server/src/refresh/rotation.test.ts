import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import type { SessionRecord } from '../stores/SessionStore.js'
import { decideRefresh } from './rotation.js'

const NOW = 1_000_000
const GRACE = 10_000
const eq = (a: string, b: string) => a === b

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: 'sid',
    userId: 'alice',
    createdAt: 0,
    lastRefreshedAt: 0,
    expiresAt: NOW + 1000,
    absoluteExpiresAt: null,
    generation: 2,
    currentHash: 'current',
    previousHash: 'previous',
    rotatedAt: NOW - 5000,
    successorSealed: 'sealed',
    claims: {},
    claimsVersion: 0,
    userAgent: null,
    ip: null,
    ...overrides,
  }
}

describe('decideRefresh', () => {
  test('rule 1: the current token rotates', () => {
    expect(decideRefresh(record(), { hash: 'current', issued: true }, NOW, GRACE, eq)).toEqual({
      action: 'rotate',
    })
  })

  test('rule 1b: the current token from a client that saw an older generation, within the grace, is answered again', () => {
    // The record is at generation 2, rotated 5 s ago.
    const current = (seenGeneration?: number, r = record()) =>
      decideRefresh(r, { hash: 'current', issued: true, seenGeneration }, NOW, GRACE, eq).action
    expect(current(1)).toBe('reissue')
    expect(current(0)).toBe('reissue')
    // Not behind, or not saying: rotate.
    expect(current(2)).toBe('rotate')
    expect(current(3)).toBe('rotate')
    expect(current(undefined)).toBe('rotate')
    // Behind, but past the grace (the boundary still inside), or never rotated: rotate.
    expect(current(1, record({ rotatedAt: NOW - GRACE }))).toBe('reissue')
    expect(current(1, record({ rotatedAt: NOW - GRACE - 1 }))).toBe('rotate')
    expect(current(0, record({ rotatedAt: null, previousHash: null, successorSealed: null }))).toBe('rotate')
    // It changes nothing for any other token.
    expect(
      decideRefresh(record(), { hash: 'previous', issued: true, seenGeneration: 0 }, NOW, GRACE, eq).action,
    ).toBe('replay')
    expect(
      decideRefresh(record(), { hash: 'older', issued: true, seenGeneration: 0 }, NOW, GRACE, eq).action,
    ).toBe('theft')
    expect(
      decideRefresh(record(), { hash: 'current', issued: false, seenGeneration: 0 }, NOW, GRACE, eq).action,
    ).toBe('unauthorized')
  })

  test('rule 2: the previous token within the grace replays the successor', () => {
    expect(decideRefresh(record(), { hash: 'previous', issued: true }, NOW, GRACE, eq)).toEqual({
      action: 'replay',
    })
    // The boundary itself is still inside the grace.
    const atEdge = record({ rotatedAt: NOW - GRACE })
    expect(decideRefresh(atEdge, { hash: 'previous', issued: true }, NOW, GRACE, eq).action).toBe('replay')
  })

  test('rule 3: the previous token after the grace is theft', () => {
    const late = record({ rotatedAt: NOW - GRACE - 1 })
    expect(decideRefresh(late, { hash: 'previous', issued: true }, NOW, GRACE, eq).action).toBe('theft')
  })

  test('rule 3: a zero grace makes any reuse theft', () => {
    const r = record({ rotatedAt: NOW - 1 })
    expect(decideRefresh(r, { hash: 'previous', issued: true }, NOW, 0, eq).action).toBe('theft')
  })

  test('rule 3: an older generation the server issued is theft', () => {
    expect(decideRefresh(record(), { hash: 'older', issued: true }, NOW, GRACE, eq).action).toBe('theft')
  })

  test('rule 3 needs proof of issue: a made-up token is unauthorized even when its hash matches', () => {
    for (const hash of ['current', 'previous', 'older']) {
      expect(decideRefresh(record(), { hash, issued: false }, NOW, GRACE, eq).action).toBe('unauthorized')
    }
  })

  test('rule 4: unknown session is unauthorized', () => {
    expect(decideRefresh(null, { hash: 'current', issued: true }, NOW, GRACE, eq).action).toBe('unauthorized')
  })

  test('rule 4: idle and absolute expiry are session_expired, before any theft verdict', () => {
    const idle = record({ expiresAt: NOW })
    const absolute = record({ absoluteExpiresAt: NOW - 1 })
    for (const r of [idle, absolute]) {
      for (const hash of ['current', 'previous', 'older']) {
        expect(decideRefresh(r, { hash, issued: true }, NOW, GRACE, eq).action).toBe('expired')
      }
    }
  })

  test('before the first rotation only the current token is accepted', () => {
    const fresh = record({ previousHash: null, rotatedAt: null, successorSealed: null, generation: 0 })
    expect(decideRefresh(fresh, { hash: 'current', issued: true }, NOW, GRACE, eq).action).toBe('rotate')
    expect(decideRefresh(fresh, { hash: 'other', issued: true }, NOW, GRACE, eq).action).toBe('theft')
  })

  test('property: the decision follows the rules for every combination', () => {
    const hashes = fc.constantFrom('current', 'previous', 'older')
    fc.assert(
      fc.property(
        fc.boolean(),
        hashes,
        fc.boolean(),
        fc.integer({ min: -5, max: 5 }),
        fc.integer({ min: -5, max: 5 }),
        fc.option(fc.integer({ min: -5, max: 5 })),
        fc.integer({ min: 0, max: 300 }),
        fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
        (exists, hash, issued, sinceRotation, untilIdle, untilAbsolute, grace, seenGeneration) => {
          const r = exists
            ? record({
                rotatedAt: NOW - sinceRotation * 1000,
                expiresAt: NOW + untilIdle * 1000,
                absoluteExpiresAt: untilAbsolute === null ? null : NOW + untilAbsolute * 1000,
              })
            : null
          const action = decideRefresh(r, { hash, issued, seenGeneration }, NOW, grace * 100, eq).action
          if (!issued || !r) return action === 'unauthorized'
          if (untilIdle <= 0 || (untilAbsolute !== null && untilAbsolute <= 0)) return action === 'expired'
          const inGrace = sinceRotation * 1000 <= grace * 100
          // The record is at generation 2.
          if (hash === 'current')
            return (
              action ===
              (seenGeneration !== undefined && seenGeneration < 2 && inGrace ? 'reissue' : 'rotate')
            )
          if (hash === 'previous' && inGrace) return action === 'replay'
          return action === 'theft'
        },
      ),
    )
  })
})
