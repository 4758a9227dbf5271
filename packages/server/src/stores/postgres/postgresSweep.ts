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
  // Sessions end at `ends_at`; revocations, stale marks and proof nonces at `expires_at`.
  const tables: [table: string, key: string, end: string, before: number][] = [
    [n.sessions, 'id', 'ends_at', sessionsBefore],
    [n.revocations, 'session_id', 'expires_at', revocationsBefore],
    [n.staleMarks, 'session_id', 'expires_at', revocationsBefore],
    [n.nonces, 'key', 'expires_at', revocationsBefore],
  ]
  let deleted = 0
  for (const [table, key, end, before] of tables) {
    // SKIP LOCKED: instances sweeping at once take different rows instead of queueing.
    const result = await query(
      `DELETE FROM ${table} WHERE ${key} IN
         (SELECT ${key} FROM ${table} WHERE ${end} < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, limit],
    )
    deleted += result.rowCount ?? 0
  }
  return deleted
}
