/**
 * The Postgres store's bounded sweep: deletes up to `limit` expired rows from each table that
 * expires (sessions, revocations, stale marks, spent proof nonces).
 * @module
 */
import type { PostgresQueries } from './postgresConnection.js'
import type { PostgresNames } from './postgresSchema.js'

/** Deletes expired rows, at most `limit` per table; resolves how many went. */
export async function deleteExpiredRows(
  query: PostgresQueries['query'],
  n: PostgresNames,
  sessionsBefore: number,
  revocationsBefore: number,
  limit: number,
): Promise<number> {
  // SKIP LOCKED: instances sweeping at once take different rows instead of queueing.
  const s = await query(
    `DELETE FROM ${n.sessions} WHERE id IN
       (SELECT id FROM ${n.sessions} WHERE ends_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [sessionsBefore, limit],
  )
  const r = await query(
    `DELETE FROM ${n.revocations} WHERE session_id IN
       (SELECT session_id FROM ${n.revocations} WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [revocationsBefore, limit],
  )
  const m = await query(
    `DELETE FROM ${n.staleMarks} WHERE session_id IN
       (SELECT session_id FROM ${n.staleMarks} WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [revocationsBefore, limit],
  )
  const nonces = await query(
    `DELETE FROM ${n.nonces} WHERE key IN
       (SELECT key FROM ${n.nonces} WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [revocationsBefore, limit],
  )
  return (s.rowCount ?? 0) + (r.rowCount ?? 0) + (m.rowCount ?? 0) + (nonces.rowCount ?? 0)
}
