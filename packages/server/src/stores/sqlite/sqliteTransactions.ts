/**
 * The SQLite store's multi-statement operations, each one transaction: revocation, claims update,
 * key insertion (a compare-and-swap on the newest kid) and the bounded sweep.
 * @module
 */
import type { Revocation, SessionRecord, SessionStore, StaleMark } from '../SessionStore.js'
import type { SqliteConnection } from './sqliteDriver.js'
import { rowToSession, type SessionRow } from './sqliteSchema.js'
import type { SqliteStatements } from './sqliteStatements.js'

/** Wraps the store's multi-statement operations in transactions on `db`. */
export function sqliteTransactions(db: SqliteConnection, sql: SqliteStatements) {
  // One transaction per call: each session is looked up, handed to `make`, deleted and recorded
  // atomically; a throwing `make` rolls the whole call back.
  const revokeTx = db.transaction((ids: string[], make: (record: SessionRecord) => Revocation) => {
    const made: Revocation[] = []
    for (const id of new Set(ids)) {
      const row = sql.getSession.get(id) as SessionRow | undefined
      if (!row) continue
      const revocation = make(rowToSession(row))
      sql.deleteSession.run(id)
      sql.putRevocation.run(revocation)
      made.push({ ...revocation })
    }
    return made
  })
  // Like `revokeTx`: claims, version and mark of each session change together; a throwing `make`
  // rolls back. `userId` picks the sessions inside the transaction, so a session created at the
  // same moment is either in it or created after it (SQLite has one writer).
  const claimsTx = db.transaction(
    (
      target: { ids: string[] } | { userId: string },
      claims: string,
      make: (record: SessionRecord) => StaleMark,
    ): StaleMark[] => {
      const made: StaleMark[] = []
      const ids =
        'ids' in target
          ? new Set(target.ids)
          : (sql.userSessionIds.all(target.userId) as { id: string }[]).map((r) => r.id)
      for (const id of ids) {
        const row = sql.setClaims.get(claims, id) as SessionRow | undefined
        if (!row) continue
        const mark = make(rowToSession(row))
        sql.putStaleMark.run(mark)
        made.push({ ...mark })
      }
      return made
    },
  )
  const addKeyTx = db.transaction((key: Parameters<SessionStore['addKey']>[0], expected: string | null) => {
    const latest = (sql.latestKid.get() as { kid: string } | undefined)?.kid ?? null
    if (latest !== expected) return false
    return sql.insertKey.run(key).changes === 1
  })
  const sweepTx = db.transaction((sessionsBefore: number, revocationsBefore: number, limit: number) => {
    return (
      sql.sweepSessions.run(sessionsBefore, limit).changes +
      sql.sweepRevocations.run(revocationsBefore, limit).changes +
      sql.sweepStaleMarks.run(revocationsBefore, limit).changes +
      sql.sweepNonces.run(revocationsBefore, limit).changes
    )
  })
  return { revokeTx, claimsTx, addKeyTx, sweepTx }
}
