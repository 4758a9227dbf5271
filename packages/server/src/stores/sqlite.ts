/**
 * SQLite session store (`better-sqlite3` 12.x/13.x, or `node:sqlite` on Node ≥ 22.15): the
 * embedded default for one machine.
 *
 * One piece (over 300 lines): one `SessionStore` implementation, a method per interface member over
 * one database; schema and driver are in `sqliteSchema.ts` and `sqliteDriver.ts`.
 * @module
 */
import type Database from 'better-sqlite3'
import { RevocationHub } from './RevocationHub.js'
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
} from './sqliteDriver.js'
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
} from './sqliteSchema.js'

export type { NodeSqliteDatabase, SqliteDriverName } from './sqliteDriver.js'

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

// Stores opened in one process on the same file share a hub, so a revocation made through one
// reaches subscribers of the other. Other processes are not told: SQLite is a one-process store.
const hubs = new Map<string, { hub: RevocationHub; refs: number }>()
const memoryHubs = new WeakMap<object, RevocationHub>()

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

  const hubKey = db.file === null ? null : `${db.file}\0${prefix}`
  let hub: RevocationHub
  if (hubKey === null) {
    hub = memoryHubs.get(db.handle) ?? new RevocationHub()
    memoryHubs.set(db.handle, hub)
  } else {
    const entry = hubs.get(hubKey) ?? { hub: new RevocationHub(), refs: 0 }
    entry.refs++
    hubs.set(hubKey, entry)
    hub = entry.hub
  }

  const t = (name: string) => `${prefix}${name}`
  const sql = {
    insertSession: db.prepare(
      `INSERT INTO ${t('sessions')} (id, user_id, created_at, last_refreshed_at, expires_at, absolute_expires_at, ends_at,
         generation, current_hash, previous_hash, rotated_at, successor_sealed, claims, claims_version, user_agent, ip, binding)
       VALUES (@id, @userId, @createdAt, @lastRefreshedAt, @expiresAt, @absoluteExpiresAt, @endsAt,
         @generation, @currentHash, @previousHash, @rotatedAt, @successorSealed, @claims, @claimsVersion, @userAgent, @ip, @binding)`,
    ),
    getSession: db.prepare(`SELECT * FROM ${t('sessions')} WHERE id = ?`),
    rotate: db.prepare(
      `UPDATE ${t('sessions')} SET generation = @generation, current_hash = @currentHash,
         previous_hash = @previousHash, rotated_at = @rotatedAt, successor_sealed = @successorSealed,
         last_refreshed_at = @lastRefreshedAt, expires_at = @expiresAt,
         ends_at = min(@expiresAt, coalesce(absolute_expires_at, @expiresAt))
       WHERE id = @id AND current_hash = @expectedHash
         AND (@expectedClaimsVersion IS NULL OR claims_version = @expectedClaimsVersion)`,
    ),
    listUser: db.prepare(
      `SELECT * FROM ${t('sessions')} WHERE user_id = ? AND ends_at > ? ORDER BY created_at DESC, id ASC`,
    ),
    userIds: db.prepare(`SELECT id FROM ${t('sessions')} WHERE user_id = ? AND id IS NOT ?`),
    deleteSession: db.prepare(`DELETE FROM ${t('sessions')} WHERE id = ?`),
    putRevocation: db.prepare(
      `INSERT OR REPLACE INTO ${t('revocations')} (session_id, user_id, reason, revoked_at, expires_at)
       VALUES (@sessionId, @userId, @reason, @revokedAt, @expiresAt)`,
    ),
    listRevocations: db.prepare(`SELECT * FROM ${t('revocations')} WHERE expires_at > ?`),
    listKeys: db.prepare(`SELECT * FROM ${t('keys')} ORDER BY seq ASC`),
    latestKid: db.prepare(`SELECT kid FROM ${t('keys')} ORDER BY seq DESC LIMIT 1`),
    insertKey: db.prepare(
      `INSERT OR IGNORE INTO ${t('keys')} (kid, alg, public_jwk, private_jwk, created_at)
       VALUES (@kid, @alg, @publicJwk, @privateJwk, @createdAt)`,
    ),
    deleteKey: db.prepare(`DELETE FROM ${t('keys')} WHERE kid = ?`),
    insertSecret: db.prepare(`INSERT OR IGNORE INTO ${t('secrets')} (name, value) VALUES (?, ?)`),
    getSecret: db.prepare(`SELECT value FROM ${t('secrets')} WHERE name = ?`),
    sweepSessions: db.prepare(
      `DELETE FROM ${t('sessions')} WHERE id IN (SELECT id FROM ${t('sessions')} WHERE ends_at < ? LIMIT ?)`,
    ),
    setClaims: db.prepare(
      `UPDATE ${t('sessions')} SET claims = ?, claims_version = claims_version + 1 WHERE id = ? RETURNING *`,
    ),
    userSessionIds: db.prepare(`SELECT id FROM ${t('sessions')} WHERE user_id = ?`),
    putStaleMark: db.prepare(
      `INSERT INTO ${t('stale_marks')} (session_id, user_id, version, marked_at, expires_at)
       VALUES (@sessionId, @userId, @version, @markedAt, @expiresAt)
       ON CONFLICT (session_id) DO UPDATE SET version = max(version, excluded.version),
         marked_at = max(marked_at, excluded.marked_at), expires_at = max(expires_at, excluded.expires_at)`,
    ),
    listStaleMarks: db.prepare(`SELECT * FROM ${t('stale_marks')} WHERE expires_at > ?`),
    insertRevokedKey: db.prepare(
      `INSERT OR IGNORE INTO ${t('revoked_keys')} (kid, revoked_at) VALUES (@kid, @revokedAt)`,
    ),
    listRevokedKeys: db.prepare(`SELECT * FROM ${t('revoked_keys')}`),
    sweepStaleMarks: db.prepare(
      `DELETE FROM ${t('stale_marks')} WHERE session_id IN
         (SELECT session_id FROM ${t('stale_marks')} WHERE expires_at < ? LIMIT ?)`,
    ),
    // Takes the key over only when the one there has expired: `changes` says whether this call won.
    claimNonce: db.prepare(
      `INSERT INTO ${t('nonces')} (key, expires_at) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE expires_at <= ?`,
    ),
    sweepNonces: db.prepare(
      `DELETE FROM ${t('nonces')} WHERE key IN (SELECT key FROM ${t('nonces')} WHERE expires_at < ? LIMIT ?)`,
    ),
    sweepRevocations: db.prepare(
      `DELETE FROM ${t('revocations')} WHERE session_id IN
         (SELECT session_id FROM ${t('revocations')} WHERE expires_at < ? LIMIT ?)`,
    ),
  }

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
  const updateClaims = (
    target: { ids: string[] } | { userId: string },
    claims: Record<string, unknown>,
    make: (r: SessionRecord) => StaleMark,
  ) => {
    const made = claimsTx.immediate(target, JSON.stringify(claims), make)
    hub.publishBatch({ stale: made })
    return made
  }
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
      if (hubKey !== null) {
        const entry = hubs.get(hubKey)
        if (entry && --entry.refs === 0) hubs.delete(hubKey)
      }
      if (owned) db.close()
    },
  }
  const stopSweep = startSweeper(sweep, (s, r, l) => store.deleteExpired(s, r, l))
  return store
}
