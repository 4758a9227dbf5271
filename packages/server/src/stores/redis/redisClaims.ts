/**
 * Claims updates on the Redis store: new claims and version written to each session by a script
 * on its slot, a stale mark recorded for it, and the marks pushed over pub/sub. A user-wide update
 * also covers a session whose create is in flight, by leaving the claims for that create.
 * @module
 */
import { encodePush } from '../RevocationHub.js'
import type { SessionRecord, StaleMark } from '../SessionStore.js'
import type { RedisContext } from './RedisContext.js'
import { putRevocationScript, setClaimsScript, setOrLeaveClaimsScript } from './redisScripts.js'

/**
 * How long claims left for a session being created wait for its create (which follows its index
 * write within a round trip); a leftover index entry's pending claims go after this.
 */
const PENDING_CLAIMS_TTL_MS = 60_000

/** Sets the claims of the sessions of `ids` that exist; returns their stale marks. */
export async function updateSessionClaims(
  { client, keys, readSession }: RedisContext,
  ids: string[],
  claims: Record<string, unknown>,
  make: (record: SessionRecord) => StaleMark,
): Promise<StaleMark[]> {
  const records = (await Promise.all([...new Set(ids)].map(readSession))).filter((r) => r !== null)
  // Every mark first, so a throwing `make` changes nothing; the version is the store's (below).
  const entries = records.map((record) => ({
    record,
    mark: { ...make({ ...record, claims, claimsVersion: record.claimsVersion + 1 }) },
  }))
  const encoded = JSON.stringify(claims)
  const made = await Promise.all(
    entries.map(async ({ record, mark }) => {
      // Claims and version in one script on the session's slot, so every read (and every
      // rotation, which reads them in its own script) sees both or neither. The mark is on
      // the `{stale}` slot, so it follows: claims first, then the mark naming the version the
      // script made; a token refreshed in between already carries the new claims and version.
      const version = Number(await setClaimsScript.run(client, [keys.session(record.id)], [encoded]))
      if (!(version > 0)) return null
      mark.version = version
      await putRevocationScript.run(
        client,
        [keys.staleIndex, keys.staleData],
        [mark.sessionId, mark.expiresAt, JSON.stringify(mark)],
      )
      return mark
    }),
  )
  const actual = made.filter((m) => m !== null)
  if (actual.length > 0) await client.publish(keys.channel, JSON.stringify(encodePush({ stale: actual })))
  return actual
}

/**
 * Sets the claims of every session of `userId`, including one being created now; returns the
 * marks of the sessions that were stored.
 */
export async function updateUserClaims(
  { client, keys, readSession }: RedisContext,
  userId: string,
  claims: Record<string, unknown>,
  make: (record: SessionRecord) => StaleMark,
): Promise<StaleMark[]> {
  const ids = await client.zrange(keys.user(userId), '0', '-1')
  const records = await Promise.all(ids.map(readSession))
  const encoded = JSON.stringify(claims)
  const owner = JSON.stringify(userId)
  // Every mark first, so a throwing `make` changes nothing. An id listed without a session
  // (a create between its index write and its session write, or a leftover) gets its mark
  // from a stand-in of the record its create will store: these claims, version 1.
  const entries = ids.flatMap((id, i) => {
    const record = records[i]
    if (record && record.userId !== userId) return [] // an index entry is only a hint
    const next = record
      ? { ...record, claims, claimsVersion: record.claimsVersion + 1 }
      : pendingStandIn(id, userId, claims)
    return [{ id, mark: { ...make(next) } }]
  })
  const made = await Promise.all(
    entries.map(async ({ id, mark }) => {
      // One script on the session's slot decides whether the create is before (update it)
      // or after (leave the claims for it): a session created concurrently is covered.
      const version = Number(
        await setOrLeaveClaimsScript.run(
          client,
          [keys.session(id), keys.pendingClaims(id)],
          [encoded, owner, PENDING_CLAIMS_TTL_MS],
        ),
      )
      if (version === 0) return null
      mark.version = version === -1 ? 1 : version
      await putRevocationScript.run(
        client,
        [keys.staleIndex, keys.staleData],
        [mark.sessionId, mark.expiresAt, JSON.stringify(mark)],
      )
      return { mark, stored: version !== -1 }
    }),
  )
  const pushed = made.filter((m) => m !== null).map((m) => m.mark)
  if (pushed.length > 0) await client.publish(keys.channel, JSON.stringify(encodePush({ stale: pushed })))
  // Counted: the sessions that were stored. Marks for sessions still being created are
  // pushed (they stale the token their create signed) but are not sessions yet.
  return made.filter((m) => m?.stored === true).map((m) => m!.mark)
}

/** The record a create in flight will store once it applies a user-wide update's claims. */
function pendingStandIn(id: string, userId: string, claims: Record<string, unknown>): SessionRecord {
  return {
    id,
    userId,
    createdAt: 0,
    lastRefreshedAt: 0,
    expiresAt: 0,
    absoluteExpiresAt: null,
    generation: 0,
    currentHash: '',
    previousHash: null,
    rotatedAt: null,
    successorSealed: null,
    claims,
    claimsVersion: 1,
    userAgent: null,
    ip: null,
  }
}
