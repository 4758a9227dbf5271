/**
 * Session revocation on the Redis store: each revocation is recorded in the revocation list,
 * the session deleted, and the batch pushed over pub/sub; plus the chunked read of the
 * revocation list and of the stale marks, which are kept the same way.
 * @module
 */
import type { Revocation, SessionRecord } from '../SessionStore.js'
import type { RedisContext } from './RedisContext.js'
import { putRevocationScript } from './redisScripts.js'

/** Revokes the sessions of `ids` that exist; returns the revocations made by this call. */
export async function revokeSessions(
  { client, keys, readSession, forget }: RedisContext,
  ids: string[],
  make: (record: SessionRecord) => Revocation,
): Promise<Revocation[]> {
  const records = (await Promise.all([...new Set(ids)].map(readSession))).filter((r) => r !== null)
  // Build every entry first, so a throwing `make` changes nothing.
  const entries = records.map((record) => ({ record, revocation: { ...make(record) } }))
  const made = await Promise.all(
    entries.map(async ({ record, revocation }) => {
      // Cross-slot, so not one transaction: record the revocation first, then delete. A crash
      // in between leaves a revoked-but-present session (refused by every verifier; a retry
      // finishes it), never a deleted session whose access tokens still pass.
      await putRevocationScript.run(
        client,
        [keys.revocationIndex, keys.revocationData],
        [revocation.sessionId, revocation.expiresAt, JSON.stringify(revocation)],
      )
      forget(record.id)
      const deleted = await client.del(keys.session(record.id))
      await client.zrem(keys.user(record.userId), record.id)
      return deleted === 1 ? revocation : null
    }),
  )
  const actual = made.filter((r) => r !== null)
  if (actual.length > 0) await client.publish(keys.channel, JSON.stringify(actual))
  return actual
}

/** Revokes every session of `userId` but `exceptSessionId`. */
export async function revokeUserSessions(
  context: RedisContext,
  userId: string,
  exceptSessionId: string | null,
  make: (record: SessionRecord) => Revocation,
): Promise<Revocation[]> {
  const ids = await context.client.zrange(context.keys.user(userId), '0', '-1')
  const records = await Promise.all(ids.filter((id) => id !== exceptSessionId).map(context.readSession))
  // Re-check the owner: an index entry is only a hint.
  return revokeSessions(
    context,
    records.filter((r) => r !== null && r.userId === userId).map((r) => r!.id),
    make,
  )
}

/**
 * The entries of a list kept as a sorted set of ids scored by expiry (`index`) beside a hash of
 * their JSON (`data`) that expire after `now`, read 1000 at a time.
 */
export async function listUnexpired<T>(
  { client }: RedisContext,
  index: string,
  data: string,
  now: number,
  decode: (raw: string) => T,
): Promise<T[]> {
  const ids = await client.zrangebyscore(index, `(${now}`, '+inf')
  const out: T[] = []
  for (let i = 0; i < ids.length; i += 1000) {
    const raws = await client.hmget(data, ...ids.slice(i, i + 1000))
    for (const raw of raws) if (raw !== null) out.push(decode(raw))
  }
  return out
}
