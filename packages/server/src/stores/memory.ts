/**
 * In-memory session store, for tests and throwaway development servers: everything is lost when
 * the process ends and nothing is shared between processes.
 *
 * @module
 */
import { safeEqual } from '../encoding.js'
import { RevocationHub } from './RevocationHub.js'
import { currentRotationOf, pickRotation } from './rotationRule.js'
import type {
  KeyRevocation,
  Revocation,
  RevocationSubscriber,
  RotationUpdate,
  SessionRecord,
  SessionStore,
  StaleMark,
  StoredKey,
} from './SessionStore.js'
import { StoreError } from './StoreError.js'
import { resolveSweepOptions, type SweepOptions, startSweeper } from './Sweeper.js'
import { compareNewestFirst, sessionEndsAt } from './sessionEndsAt.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions extends SweepOptions {
  /**
   * How often to delete expired sessions and revocations. `0` turns it off.
   * Defaults to `0`: a memory store lives as long as a test or a dev server, and a sweep driven by
   * the real clock would fight a test's fake clock.
   */
  sweepIntervalMs?: number
}

/**
 * Creates an in-memory {@link SessionStore}. Rotation is atomic because JavaScript runs one
 * callback at a time; records are deep-copied in and out, so callers can never change what is
 * stored by mutating an object they passed or received. Revocations are pushed in process.
 *
 * @example
 * const sessions = createSessionManager({ store: memoryStore() })
 */
export function memoryStore(options: MemoryStoreOptions = {}): SessionStore {
  const sweep = resolveSweepOptions(options, 0)
  const sessions = new Map<string, SessionRecord>()
  const revocations = new Map<string, Revocation>()
  const keys: StoredKey[] = []
  const secrets = new Map<string, string>()
  const staleMarks = new Map<string, StaleMark>()
  const revokedKeys = new Map<string, KeyRevocation>()
  /** Spent proof `jti`s (hashed) and when each may be forgotten. */
  const nonces = new Map<string, number>()
  const hub = new RevocationHub()
  let closed = false

  const open = (): void => {
    if (closed) throw new StoreError('store_closed', 'The memory store was used after close().')
  }

  const revoke = (records: SessionRecord[], make: (record: SessionRecord) => Revocation): Revocation[] => {
    // Build every entry before changing anything, so a throwing `make` leaves the store as it was.
    const made = records.map((record) => structuredClone(make(structuredClone(record))))
    for (const [i, record] of records.entries()) {
      sessions.delete(record.id)
      revocations.set(made[i]!.sessionId, made[i]!)
    }
    hub.publish(made)
    return made.map((r) => ({ ...r }))
  }

  const updateClaims = (
    records: SessionRecord[],
    claims: Record<string, unknown>,
    make: (record: SessionRecord) => StaleMark,
  ): StaleMark[] => {
    const updated = records.map((record) => ({
      ...record,
      claims: structuredClone(claims),
      claimsVersion: (record.claimsVersion ?? 0) + 1,
    }))
    // As in `revoke`: every mark first, so a throwing `make` changes nothing.
    const made = updated.map((record) => structuredClone(make(structuredClone(record))))
    for (const [i, record] of updated.entries()) {
      sessions.set(record.id, record)
      staleMarks.set(record.id, made[i]!)
    }
    hub.publishBatch({ stale: made })
    return made.map((m) => ({ ...m }))
  }

  const store: SessionStore = {
    name: 'memory',

    async createSession(record) {
      open()
      if (sessions.has(record.id))
        throw new StoreError('session_exists', 'A session with this id already exists.')
      sessions.set(record.id, structuredClone(record))
    },

    async getSession(id) {
      open()
      const record = sessions.get(id)
      return record ? structuredClone(record) : null
    },

    async rotateSession(id, expectedHash, update: RotationUpdate, expectedClaimsVersion?: number) {
      open()
      const record = sessions.get(id)
      if (!record || !safeEqual(expectedHash, record.currentHash)) return false
      if (expectedClaimsVersion !== undefined && (record.claimsVersion ?? 0) !== expectedClaimsVersion)
        return false
      sessions.set(id, { ...record, ...pickRotation(update) })
      return true
    },

    async claimNonce(key, expiresAt, now) {
      open()
      const until = nonces.get(key)
      if (until !== undefined && until > now) return false
      // Forget expired entries now and then, so a long-lived dev server does not grow forever.
      if (nonces.size >= 10_000) for (const [k, t] of nonces) if (t <= now) nonces.delete(k)
      nonces.set(key, expiresAt)
      return true
    },

    async rotateIfCurrent(id, presentedHash, rotation, now) {
      open()
      const record = sessions.get(id) ?? null
      const update = currentRotationOf(record, presentedHash, rotation, now)
      // The stored object is replaced, never changed, so the caller may keep the one it read.
      if (update) sessions.set(id, { ...record!, ...update })
      return { before: record && structuredClone(record), rotated: update !== null }
    },

    async listUserSessions(userId, now) {
      open()
      return [...sessions.values()]
        .filter((r) => r.userId === userId && sessionEndsAt(r) > now)
        .sort(compareNewestFirst)
        .map((r) => structuredClone(r))
    },

    async revokeSessions(ids, make) {
      open()
      const records = [...new Set(ids)].flatMap((id) => sessions.get(id) ?? [])
      return revoke(records, make)
    },

    async revokeUserSessions(userId, exceptSessionId, make) {
      open()
      const records = [...sessions.values()].filter((r) => r.userId === userId && r.id !== exceptSessionId)
      return revoke(records, make)
    },

    async listRevocations(now) {
      open()
      return [...revocations.values()].filter((r) => r.expiresAt > now).map((r) => ({ ...r }))
    },

    async subscribeRevocations(subscriber: RevocationSubscriber) {
      open()
      const remove = hub.add(subscriber)
      return async () => remove()
    },

    async listKeys() {
      open()
      return keys.map((k) => ({ ...k }))
    },

    async addKey(key, expectedLatestKid) {
      open()
      const latest = keys.at(-1)?.kid ?? null
      if (latest !== expectedLatestKid || keys.some((k) => k.kid === key.kid)) return false
      keys.push({ ...key })
      return true
    },

    async deleteKeys(kids) {
      open()
      const drop = new Set(kids)
      for (let i = keys.length - 1; i >= 0; i--) if (drop.has(keys[i]!.kid)) keys.splice(i, 1)
    },

    async revokeKey(revocation) {
      open()
      if (revokedKeys.has(revocation.kid)) return false
      revokedKeys.set(revocation.kid, { kid: revocation.kid, revokedAt: revocation.revokedAt })
      hub.publishBatch({ keys: [{ kid: revocation.kid, revokedAt: revocation.revokedAt }] })
      return true
    },

    async listRevokedKeys() {
      open()
      return [...revokedKeys.values()].map((k) => ({ ...k }))
    },

    async updateSessionClaims(ids, claims, make) {
      open()
      const records = [...new Set(ids)].flatMap((id) => sessions.get(id) ?? [])
      return updateClaims(records, claims, make)
    },

    async updateUserClaims(userId, claims, make) {
      open()
      return updateClaims(
        [...sessions.values()].filter((r) => r.userId === userId),
        claims,
        make,
      )
    },

    async listStaleMarks(now) {
      open()
      return [...staleMarks.values()].filter((m) => m.expiresAt > now).map((m) => ({ ...m }))
    },

    async getOrCreateSecret(name, candidate) {
      open()
      if (!secrets.has(name)) secrets.set(name, candidate)
      return secrets.get(name)!
    },

    async deleteExpired(sessionsBefore, revocationsBefore, limit) {
      open()
      let sessionsDeleted = 0
      for (const [id, record] of sessions) {
        if (sessionsDeleted >= limit) break
        if (sessionEndsAt(record) < sessionsBefore) {
          sessions.delete(id)
          sessionsDeleted++
        }
      }
      let revocationsDeleted = 0
      for (const [id, revocation] of revocations) {
        if (revocationsDeleted >= limit) break
        if (revocation.expiresAt < revocationsBefore) {
          revocations.delete(id)
          revocationsDeleted++
        }
      }
      let marksDeleted = 0
      for (const [id, mark] of staleMarks) {
        if (marksDeleted >= limit) break
        if (mark.expiresAt < revocationsBefore) {
          staleMarks.delete(id)
          marksDeleted++
        }
      }
      let noncesDeleted = 0
      for (const [key, until] of nonces) {
        if (noncesDeleted >= limit) break
        if (until < revocationsBefore) {
          nonces.delete(key)
          noncesDeleted++
        }
      }
      return sessionsDeleted + revocationsDeleted + marksDeleted + noncesDeleted
    },

    async close() {
      if (closed) return
      closed = true
      stopSweep()
      hub.clear()
    },
  }

  const stopSweep = startSweeper(sweep, (s, r, l) => store.deleteExpired(s, r, l))
  return store
}
