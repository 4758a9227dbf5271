// Runs the published conformance suite the way a user with a store of their own would: imported
// by package name from the build (`pnpm run build` first; scripts/test.sh does), against a store
// written here — a decorator that keeps an audit trail of writes around memoryStore, the shape
// of many real wrappers (metrics, tenancy, encryption at rest).
import { memoryStore, type SessionStore } from '@latch/server'
import { describeStoreConformance } from '@latch/server/testing'
import { expect, it } from 'vitest'

function auditedStore(inner: SessionStore, trail: string[]): SessionStore {
  return {
    ...inner,
    name: 'audited',
    async createSession(record) {
      await inner.createSession(record)
      trail.push(`create ${record.id}`)
    },
    // Forwards every argument: the expected claims version (the 4th) is what keeps a refresh
    // from issuing claims older than the latest update, and the suite checks it arrives.
    async rotateSession(id, expectedHash, update, expectedClaimsVersion) {
      const rotated = await inner.rotateSession(id, expectedHash, update, expectedClaimsVersion)
      if (rotated) trail.push(`rotate ${id}`)
      return rotated
    },
    async revokeSessions(ids, make) {
      const made = await inner.revokeSessions(ids, make)
      for (const r of made) trail.push(`revoke ${r.sessionId}`)
      return made
    },
  }
}

const trail: string[] = []
describeStoreConformance('audited (a user store via @latch/server/testing)', () => {
  // One process: a "second instance" is the same store, as for memoryStore.
  const store = auditedStore(memoryStore(), trail)
  return { open: async () => store }
})

it('ran the suite through the user store', () => {
  expect(trail.some((line) => line.startsWith('rotate '))).toBe(true)
})
