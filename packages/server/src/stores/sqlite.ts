/**
 * SQLite session store (`better-sqlite3` 12.x/13.x, or `node:sqlite` on Node ≥ 22.15): the
 * embedded default for one machine.
 *
 * This module is the store object: options, opening the database, and a method per `SessionStore`
 * member over its statements. In `sqlite/`: the driver layer, schema and migrations, the prepared
 * statements, the multi-statement transactions, and the hubs shared by stores on one file.
 * @module
 */
import type Database from 'better-sqlite3'
import { pickRotation } from './rotationRule.js'
import type { Revocation, SessionRecord, SessionStore, StaleMark } from './SessionStore.js'
import { StoreError } from './StoreError.js'
import { resolveSweepOptions, type SweepOptions, startSweeper } from './Sweeper.js'
import { sessionEndsAt } from './sessionEndsAt.js'
import {
  defaultSqliteDriver,
  detectSqliteDriver,
  type NodeSqliteDatabase,
  openSqliteFile,
  type SqliteDriverName,
  sqliteErrorCode,
  wrapSqlite,
} from './sqlite/sqliteDriver.js'
import { acquireSqliteHub } from './sqlite/sqliteHubs.js'
import {
  type KeyRow,
  migrateSqlite,
  type RevocationRow,
  type RevokedKeyRow,
  rowToKey,
  rowToKeyRevocation,
  rowToRevocation,
  rowToSession,
  rowToStaleMark,
  type SessionRow,
  type StaleMarkRow,
} from './sqlite/sqliteSchema.js'
import { sqliteStatements } from './sqlite/sqliteStatements.js'
import { sqliteTransactions } from './sqlite/sqliteTransactions.js'

export type { NodeSqliteDatabase, SqliteDriverName } from './sqlite/sqliteDriver.js'

/** Options of {@link sqliteStore}. Give exactly one of `path` and `database`. */
export interface SqliteStoreOptions extends SweepOptions {
  /** Database file, created if missing (`':memory:'` for a private in-memory database). No default. */
  path?: string
  /**
   * An open database to use instead of `path`: a `better-sqlite3` `Database` or a `node:sqlite`
   * `DatabaseSync` (the driver follows from it). The store never closes it. No default.
   */
  database?: Database.Database | NodeSqliteDatabase
  /**
   * Which SQLite library opens `path`: `'better-sqlite3'` (a native addon, the faster one, see
   * BENCHMARKS.md) or `'node:sqlite'` (built into Node ≥ 22.15, no native build; prints an
   * ExperimentalWarning on Node 22). Defaults to `'better-sqlite3'` when it is installed, else
   * `'node:sqlite'` where Node has it.
   */
  driver?: SqliteDriverName
  /** Prefix of every table and index name (letters, digits, `_`). Defaults to `'latch_'`. */
  tablePrefix?: string
  /** How long a statement waits for another process's write lock before failing. Defaults to `5000` ms. */
  busyTimeoutMs?: number
}

/**
 * Creates a SQLite {@link SessionStore}: WAL mode, prepared statements, schema created and
 * migrated automatically (versioned in `<prefix>meta`), rotation as one
 * `UPDATE … WHERE id = ? AND current_hash = ?`, in-process revocation push, and a periodic bounded
 * sweep of expired rows on an unref'd timer.
 *
 * @example
 * const sessions = createSessionManager({ store: sqliteStore({ path: 'sessions.db' }) })
 */
export function sqliteStore(options: SqliteStoreOptions): SessionStore {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('sqliteStore() needs an options object with `path` or `database`.')
  }
  const { path, database } = options
  if ((path === undefined) === (database === undefined)) {
    throw new TypeError('Give sqliteStore() exactly one of the `path` and `database` options.')
  }
  if (path !== undefined && (typeof path !== 'string' || path === '')) {
    throw new TypeError('The `path` option must be a non-empty file path string.')
  }
  const prefix = options.tablePrefix ?? 'latch_'
  if (typeof prefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(prefix)) {
    throw new TypeError(
      'The `tablePrefix` option must be letters, digits and `_` (at most 41), not starting with a digit.',
    )
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new TypeError('The `busyTimeoutMs` option must be a non-negative integer.')
  }
  const sweep = resolveSweepOptions(options)
  const { driver } = options
  if (driver !== undefined && driver !== 'better-sqlite3' && driver !== 'node:sqlite') {
    throw new TypeError("The `driver` option must be 'better-sqlite3' or 'node:sqlite'.")
  }
  if (database !== undefined) {
    const given = detectSqliteDriver(database)
    if (given === null) {
      throw new TypeError(
        'The `database` option must be a better-sqlite3 Database or a node:sqlite DatabaseSync.',
      )
    }
    if (driver !== undefined && driver !== given) {
      throw new TypeError(
        `The \`driver\` option says '${driver}' but the \`database\` given is a ${given} database.`,
      )
    }
  }

  const db = database ? wrapSqlite(database) : openSqliteFile(path!, driver ?? defaultSqliteDriver())
  const owned = database === undefined
  try {
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`)
    // WAL lets readers run during a write; a no-op answer ("memory") for in-memory databases.
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = NORMAL')
    migrateSqlite(db, prefix)
  } catch (error) {
    if (owned) db.close()
    throw error
  }

  const { hub, release: releaseHub } = acquireSqliteHub(db, prefix)
  const sql = sqliteStatements(db, prefix)
  const { revokeTx, claimsTx, addKeyTx, sweepTx } = sqliteTransactions(db, sql)
  const updateClaims = (
    target: { ids: string[] } | { userId: string },
    claims: Record<string, unknown>,
    make: (r: SessionRecord) => StaleMark,
  ) => {
    const made = claimsTx.immediate(target, JSON.stringify(claims), make)
    hub.publishBatch({ stale: made })
    return made
  }

  let closed = false
  const unsubscribes = new Set<() => void>()
  const open = (): void => {
    if (closed) throw new StoreError('store_closed', 'The SQLite store was used after close().')
  }
  const revoke = (ids: string[], make: (record: SessionRecord) => Revocation): Revocation[] => {
    const made = revokeTx.immediate(ids, make)
    hub.publish(made)
    return made
  }

  const store: SessionStore = {
    name: 'sqlite',
    async createSession(record) {
      open()
      try {
        sql.insertSession.run({
          ...record,
          endsAt: sessionEndsAt(record),
          claims: JSON.stringify(record.claims),
          binding: record.binding ?? null,
        })
      } catch (error) {
        if (sqliteErrorCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new StoreError('session_exists', 'A session with this id already exists.', { cause: error })
        }
        throw error
      }
    },
    async getSession(id) {
      open()
      const row = sql.getSession.get(id) as SessionRow | undefined
      return row ? rowToSession(row) : null
    },
    async rotateSession(id, expectedHash, update, expectedClaimsVersion) {
      open()
      return (
        sql.rotate.run({
          ...pickRotation(update),
          id,
          expectedHash,
          expectedClaimsVersion: expectedClaimsVersion ?? null,
        }).changes === 1
      )
    },
    async claimNonce(key, expiresAt, now) {
      open()
      return sql.claimNonce.run(key, expiresAt, now).changes === 1
    },
    async listUserSessions(userId, now) {
      open()
      return (sql.listUser.all(userId, now) as SessionRow[]).map(rowToSession)
    },
    async revokeSessions(ids, make) {
      open()
      return revoke(ids, make)
    },
    async revokeUserSessions(userId, exceptSessionId, make) {
      open()
      const ids = (sql.userIds.all(userId, exceptSessionId) as { id: string }[]).map((r) => r.id)
      return revoke(ids, make)
    },
    async listRevocations(now) {
      open()
      return (sql.listRevocations.all(now) as RevocationRow[]).map(rowToRevocation)
    },
    async subscribeRevocations(subscriber) {
      open()
      const remove = hub.add(subscriber)
      unsubscribes.add(remove)
      return async () => {
        unsubscribes.delete(remove)
        remove()
      }
    },
    async listKeys() {
      open()
      return (sql.listKeys.all() as KeyRow[]).map(rowToKey)
    },
    async addKey(key, expectedLatestKid) {
      open()
      return addKeyTx.immediate(key, expectedLatestKid)
    },
    async deleteKeys(kids) {
      open()
      db.transaction(() => {
        for (const kid of kids) sql.deleteKey.run(kid)
      })()
    },
    async revokeKey(revocation) {
      open()
      const entry = { kid: revocation.kid, revokedAt: revocation.revokedAt }
      if (sql.insertRevokedKey.run(entry).changes !== 1) return false
      hub.publishBatch({ keys: [entry] })
      return true
    },
    async listRevokedKeys() {
      open()
      return (sql.listRevokedKeys.all() as RevokedKeyRow[]).map(rowToKeyRevocation)
    },
    async updateSessionClaims(ids, claims, make) {
      open()
      return updateClaims({ ids }, claims, make)
    },
    async updateUserClaims(userId, claims, make) {
      open()
      return updateClaims({ userId }, claims, make)
    },
    async listStaleMarks(now) {
      open()
      return (sql.listStaleMarks.all(now) as StaleMarkRow[]).map(rowToStaleMark)
    },
    async getOrCreateSecret(name, candidate) {
      open()
      sql.insertSecret.run(name, candidate)
      return (sql.getSecret.get(name) as { value: string }).value
    },
    async deleteExpired(sessionsBefore, revocationsBefore, limit) {
      open()
      return sweepTx.immediate(sessionsBefore, revocationsBefore, limit)
    },
    async close() {
      if (closed) return
      closed = true
      stopSweep()
      for (const remove of unsubscribes) remove()
      unsubscribes.clear()
      releaseHub()
      if (owned) db.close()
    },
  }
  const stopSweep = startSweeper(sweep, (s, r, l) => store.deleteExpired(s, r, l))
  return store
}
