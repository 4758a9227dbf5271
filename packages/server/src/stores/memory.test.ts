import { describe, expect, it, vi } from 'vitest'
import { describeStoreConformance, makeRecord } from '../testing/storeConformance.js'
import { memoryStore } from './memory.js'
import { EXPIRED_RETENTION_MS } from './SessionStore.js'

describeStoreConformance('memory', () => {
  // One process, one store: a "second instance" is the same object.
  const store = memoryStore()
  return { open: async () => store }
})

describe('memoryStore', () => {
  it('rejects bad options naming the option', () => {
    expect(() => memoryStore({ sweepIntervalMs: -1 })).toThrow(/`sweepIntervalMs`/)
    expect(() => memoryStore({ sweepBatchSize: 0 })).toThrow(/`sweepBatchSize`/)
  })

  it('sweeps expired sessions on its timer when asked to, using its clock', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      let now = 1_000_000_000_000
      const store = memoryStore({ sweepIntervalMs: 1000, now: () => now })
      const record = makeRecord({ createdAt: now, expiresAt: now + 1000 })
      await store.createSession(record)
      now += 1000 + EXPIRED_RETENTION_MS
      await vi.advanceTimersByTimeAsync(1000)
      expect(await store.getSession(record.id)).toEqual(record)
      now += 1
      await vi.advanceTimersByTimeAsync(1000)
      expect(await store.getSession(record.id)).toBeNull()
      await store.close()
    } finally {
      vi.useRealTimers()
    }
  })

  it('keeps pushing to other subscribers when one throws', async () => {
    const store = memoryStore()
    const seen: string[] = []
    await store.subscribeRevocations({
      onRevoked: () => {
        throw new Error('boom')
      },
      onResync: () => {},
    })
    await store.subscribeRevocations({ onRevoked: (r) => seen.push(r[0]!.sessionId), onResync: () => {} })
    const record = makeRecord()
    await store.createSession(record)
    const made = await store.revokeSessions([record.id], (r) => ({
      sessionId: r.id,
      userId: r.userId,
      reason: 'signout',
      revokedAt: 1,
      expiresAt: 2,
    }))
    expect(made).toHaveLength(1)
    expect(seen).toEqual([record.id])
  })
})
