/**
 * Claims updates on the Postgres store: one transaction writes the claims and bumps the version,
 * records a stale mark per session and sends the NOTIFY (delivered on commit).
 * @module
 */
import { encodePush } from '../RevocationHub.js'
import type { SessionRecord, StaleMark } from '../SessionStore.js'
import type { Transaction } from './postgresConnection.js'
import { notifyPayloads, type PostgresNames, rowToSession } from './postgresSchema.js'

/**
 * Sets `claims` on the sessions matching `where` (SQL over the sessions table whose parameters
 * start at `$2`: `$1` is the claims); returns their stale marks.
 */
export function updateClaimsWhere(
  transaction: Transaction,
  n: PostgresNames,
  where: string,
  values: unknown[],
  claims: Record<string, unknown>,
  make: (record: SessionRecord) => StaleMark,
): Promise<StaleMark[]> {
  // As revocation: UPDATE … RETURNING picks the sessions, the marks and the NOTIFY share the
  // transaction, so other instances hear only of committed claims.
  return transaction(async (client) => {
    // The version goes up in the same statement that writes the claims: no read can see one without the other.
    const { rows } = await client.query(
      `UPDATE ${n.sessions} SET claims = $1, claims_version = claims_version + 1 WHERE ${where} RETURNING *`,
      [JSON.stringify(claims), ...values],
    )
    const made = rows.map((row) => ({ ...make(rowToSession(row)) }))
    if (made.length === 0) return made
    await client.query(
      `INSERT INTO ${n.staleMarks} (session_id, user_id, marked_at, expires_at, version)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::integer[])
       ON CONFLICT (session_id) DO UPDATE SET user_id = excluded.user_id,
         version = GREATEST(${n.staleMarks}.version, excluded.version),
         marked_at = GREATEST(${n.staleMarks}.marked_at, excluded.marked_at),
         expires_at = GREATEST(${n.staleMarks}.expires_at, excluded.expires_at)`,
      [
        made.map((m) => m.sessionId),
        made.map((m) => m.userId),
        made.map((m) => m.markedAt),
        made.map((m) => m.expiresAt),
        made.map((m) => m.version),
      ],
    )
    for (const payload of notifyPayloads(encodePush({ stale: made })))
      await client.query('SELECT pg_notify($1, $2)', [n.channel, payload])
    return made
  })
}
