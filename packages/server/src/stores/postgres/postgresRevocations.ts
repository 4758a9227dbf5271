/**
 * Session revocation on the Postgres store: one transaction deletes the sessions, records their
 * revocations and sends the NOTIFY (delivered on commit).
 * @module
 */
import type { Revocation, SessionRecord } from '../SessionStore.js'
import type { Transaction } from './postgresConnection.js'
import { notifyPayloads, type PostgresNames, rowToSession } from './postgresSchema.js'

/**
 * Revokes the sessions matching `where` (SQL over the sessions table, with `values` as its
 * parameters); returns the revocations made by this call.
 */
export function revokeWhere(
  transaction: Transaction,
  n: PostgresNames,
  where: string,
  values: unknown[],
  make: (record: SessionRecord) => Revocation,
): Promise<Revocation[]> {
  // DELETE … RETURNING decides which caller revoked each session; `make`, the revocation rows and
  // the NOTIFY share the transaction, so a throwing `make` or a failed insert deletes nothing, and
  // other instances hear only of committed revocations.
  return transaction(async (client) => {
    const { rows } = await client.query(`DELETE FROM ${n.sessions} WHERE ${where} RETURNING *`, values)
    const made = rows.map((row) => ({ ...make(rowToSession(row)) }))
    if (made.length === 0) return made
    await client.query(
      `INSERT INTO ${n.revocations} (session_id, user_id, reason, revoked_at, expires_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
       ON CONFLICT (session_id) DO UPDATE SET user_id = excluded.user_id, reason = excluded.reason,
         revoked_at = excluded.revoked_at, expires_at = excluded.expires_at`,
      [
        made.map((r) => r.sessionId),
        made.map((r) => r.userId),
        made.map((r) => r.reason),
        made.map((r) => r.revokedAt),
        made.map((r) => r.expiresAt),
      ],
    )
    for (const payload of notifyPayloads(made))
      await client.query('SELECT pg_notify($1, $2)', [n.channel, payload])
    return made
  })
}
