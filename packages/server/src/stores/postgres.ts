/**
 * PostgreSQL session store (`pg`), for many instances with durable sessions.
 *
 * One piece (over 300 lines): one `SessionStore` implementation, a method per interface member over
 * one pool; schema and migrations are in `postgresSchema.ts`, notifications in `PostgresListener.ts`.
 * @module
 */
import { createHash } from 'node:crypto'
import pg from 'pg'
import { PostgresListener } from './PostgresListener.js'
import {
  LOCK_CLASS,
  migratePostgres,
  notifyPayloads,
  postgresNames,
  rowToKey,
  rowToKeyRevocation,
  rowToRevocation,
  rowToSession,
  rowToStaleMark,
  SESSION_COLUMNS,
} from './postgresSchema.js'
import { encodePush, RevocationHub } from './RevocationHub.js'
import { currentRotationFields, pickRotation } from './rotationRule.js'
import type { Revocation, SessionRecord, SessionStore, StaleMark } from './SessionStore.js'
import { parseStoredClaims, StoreError } from './StoreError.js'
import { resolveSweepOptions, type SweepOptions, startSweeper } from './Sweeper.js'
import { sessionEndsAt } from './sessionEndsAt.js'

/** Options of {@link postgresStore}. Give exactly one of `pool` and `connectionString`. */
export interface PostgresStoreOptions extends SweepOptions {
  /**
   * A `pg` Pool to run queries on. The store never ends it; it opens one extra dedicated
   * connection with the pool's settings for LISTEN. No default.
   */
  pool?: pg.Pool
  /** A `postgres://` connection string; the store owns (and ends) the pool it opens. No default. */
  connectionString?: string
  /** Extra settings for the pool opened from `connectionString`. Defaults to `{ max: 10, connectionTimeoutMillis: 5000, query_timeout: 10000 }`. */
  poolOptions?: pg.PoolConfig
  /** Schema holding the tables; created if missing. Defaults to `'public'`. */
  schema?: string
  /** Prefix of every table and index name. Defaults to `'latch_'`. */
  tablePrefix?: string
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/

/**
 * Creates a Postgres {@link SessionStore}: schema created and migrated automatically under an
 * advisory lock (versioned in `<prefix>meta`), rotation as one `UPDATE … WHERE … RETURNING`,
 * revocations pushed with NOTIFY (sent on commit) to a dedicated LISTEN connection that
 * reconnects and calls `onResync`, and a periodic bounded delete of expired rows.
 *
 * @example
 * const sessions = createSessionManager({ store: postgresStore({ connectionString: process.env.DATABASE_URL }) })
 */
export function postgresStore(options: PostgresStoreOptions): SessionStore {
  if (
    typeof options !== 'object' ||
    options === null ||
    (options.pool === undefined) === (options.connectionString === undefined)
  ) {
    throw new TypeError('Give postgresStore() exactly one of the `pool` and `connectionString` options.')
  }
  if (options.connectionString !== undefined && typeof options.connectionString !== 'string') {
    throw new TypeError('The `connectionString` option must be a postgres:// URL string.')
  }
  const schema = options.schema ?? 'public'
  if (typeof schema !== 'string' || !IDENTIFIER.test(schema)) {
    throw new TypeError(
      'The `schema` option must be letters, digits and `_` (at most 40), not starting with a digit.',
    )
  }
  const prefix = options.tablePrefix ?? 'latch_'
  if (typeof prefix !== 'string' || !(prefix === '' || IDENTIFIER.test(prefix))) {
    throw new TypeError(
      'The `tablePrefix` option must be letters, digits and `_` (at most 40), not starting with a digit.',
    )
  }
  const sweep = resolveSweepOptions(options)

  const owned = options.pool === undefined
  const pool =
    options.pool ??
    new pg.Pool({
      max: 10,
      connectionTimeoutMillis: 5000,
      // A hung server must fail queries (→ 503), not hold every refresh open forever.
      query_timeout: 10_000,
      ...options.poolOptions,
      connectionString: options.connectionString,
    })
  // An idle pooled connection that dies emits 'error' on the pool; unhandled, it would crash the process.
  if (owned) pool.on('error', () => {})
  const n = postgresNames(schema, prefix)
  const hub = new RevocationHub()
  const listener = new PostgresListener({ ...pool.options }, n.channel, hub)
  let closed = false

  // Migrate once before the first query; a failure (database down at start) is retried next call.
  let ready: Promise<void> | null = null
  const connect = async (): Promise<pg.PoolClient> => {
    if (closed) throw new StoreError('store_closed', 'The Postgres store was used after close().')
    ready ??= (async () => {
      const client = await pool.connect()
      try {
        await migratePostgres(client, n)
      } finally {
        client.release()
      }
    })().catch((error) => {
      ready = null
      throw error
    })
    await ready
    return pool.connect()
  }
  // The refresh path's statements are prepared once per connection (a named statement): planning
  // them on every call was a large share of the server's work. Names carry the schema and prefix,
  // so stores sharing a pool never collide.
  const statementTag = createHash('sha256').update(`${schema}\0${prefix}`).digest('hex').slice(0, 12)
  const query = async (text: string, values?: unknown[], name?: string) => {
    const client = await connect()
    try {
      return await (name === undefined
        ? client.query(text, values)
        : client.query({ name: `latch_${statementTag}_${name}`, text, values }))
    } finally {
      client.release()
    }
  }
  const transaction = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await connect()
    try {
      await client.query('BEGIN')
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  // DELETE … RETURNING decides which caller revoked each session; `make`, the revocation rows and
  // the NOTIFY share the transaction, so a throwing `make` or a failed insert deletes nothing, and
  // other instances hear only of committed revocations.
  const revoke = (where: string, values: unknown[], make: (record: SessionRecord) => Revocation) =>
    transaction(async (client) => {
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

  // As `revoke`: UPDATE … RETURNING picks the sessions, the marks and the NOTIFY share the
  // transaction, so other instances hear only of committed claims.
  const updateClaims = (
    where: string,
    values: unknown[],
    claims: Record<string, unknown>,
    make: (record: SessionRecord) => StaleMark,
  ) =>
    transaction(async (client) => {
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

  const store: SessionStore = {
    name: 'postgres',
    async createSession(r) {
      try {
        await query(
          `INSERT INTO ${n.sessions} (id, user_id, created_at, last_refreshed_at, expires_at, absolute_expires_at,
             ends_at, generation, current_hash, previous_hash, rotated_at, successor_sealed, claims, user_agent, ip,
             claims_version, binding)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
          [
            r.id,
            r.userId,
            r.createdAt,
            r.lastRefreshedAt,
            r.expiresAt,
            r.absoluteExpiresAt,
            sessionEndsAt(r),
            r.generation,
            r.currentHash,
            r.previousHash,
            r.rotatedAt,
            r.successorSealed,
            JSON.stringify(r.claims),
            r.userAgent,
            r.ip,
            r.claimsVersion ?? 0,
            r.binding ?? null,
          ],
        )
      } catch (error) {
        if ((error as { code?: string }).code === '23505') {
          throw new StoreError('session_exists', 'A session with this id already exists.', { cause: error })
        }
        throw error
      }
    },
    async getSession(id) {
      const { rows } = await query(
        `SELECT ${SESSION_COLUMNS} FROM ${n.sessions} WHERE id = $1`,
        [id],
        'get_session',
      )
      return rows[0] ? rowToSession(rows[0]) : null
    },
    async rotateSession(id, expectedHash, update, expectedClaimsVersion) {
      const u = pickRotation(update)
      const { rows } = await query(
        `UPDATE ${n.sessions} SET generation = $3, current_hash = $4, previous_hash = $5, rotated_at = $6,
           successor_sealed = $7, last_refreshed_at = $8, expires_at = $9,
           ends_at = LEAST($9, COALESCE(absolute_expires_at, $9))
         WHERE id = $1 AND current_hash = $2 AND ($10::integer IS NULL OR claims_version = $10::integer)
         RETURNING id`,
        [
          id,
          expectedHash,
          u.generation,
          u.currentHash,
          u.previousHash,
          u.rotatedAt,
          u.successorSealed,
          u.lastRefreshedAt,
          u.expiresAt,
          expectedClaimsVersion ?? null,
        ],
        'rotate_session',
      )
      return rows.length === 1
    },
    async rotateIfCurrent(id, presentedHash, rotation, now) {
      const r = currentRotationFields(rotation)
      // One statement, one round trip. The UPDATE is the compare-and-swap: its conditions are
      // re-checked on the newest row version, so of concurrent calls one rotates. `before` reads
      // the statement's snapshot (WITH sub-statements never see each other's writes): the record
      // as it was. No row lock: locking first measured 20 % fewer refreshes/s.
      const { rows } = await query(
        `WITH before AS (SELECT ${SESSION_COLUMNS} FROM ${n.sessions} WHERE id = $1),
         rotated AS (
           UPDATE ${n.sessions} SET generation = generation + 1, current_hash = $3,
             previous_hash = $4, rotated_at = $5, successor_sealed = $6, last_refreshed_at = $7,
             expires_at = LEAST($8::bigint, COALESCE(absolute_expires_at, $8::bigint)),
             ends_at = LEAST($8::bigint, COALESCE(absolute_expires_at, $8::bigint))
           WHERE id = $1 AND current_hash = $2 AND $9::float8 < expires_at
             AND (absolute_expires_at IS NULL OR $9::float8 < absolute_expires_at)
             AND (binding IS NULL OR binding = $10::text)
           RETURNING claims, claims_version
         )
         SELECT b.*, r.claims AS rotated_claims, r.claims_version AS rotated_claims_version,
           r.claims_version IS NOT NULL AS rotated
         FROM before b LEFT JOIN rotated r ON true`,
        [
          id,
          presentedHash,
          r.currentHash,
          r.previousHash,
          r.rotatedAt,
          r.successorSealed,
          r.lastRefreshedAt,
          rotation.idleExpiresAt,
          now,
          rotation.binding ?? null,
        ],
        'rotate_if_current',
      )
      const row = rows[0]
      if (!row) return { before: null, rotated: false }
      const before = rowToSession(row)
      // `before` is the statement's snapshot; the UPDATE applied to the newest row version. A
      // claims update committed in between is in that version: its claims and version are what
      // this rotation's token must carry, so they come from the row the UPDATE wrote.
      if (row.rotated !== true) return { before, rotated: false }
      before.claims = parseStoredClaims(row.rotated_claims)
      before.claimsVersion = Number(row.rotated_claims_version)
      return { before, rotated: true }
    },
    async claimNonce(key, expiresAt, now) {
      // Takes the key over only when the one there has expired; RETURNING says whether we won.
      const { rows } = await query(
        `INSERT INTO ${n.nonces} AS t (key, expires_at) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE t.expires_at <= $3
         RETURNING key`,
        [key, expiresAt, now],
        'claim_nonce',
      )
      return rows.length === 1
    },
    async listUserSessions(userId, now) {
      const { rows } = await query(
        `SELECT * FROM ${n.sessions} WHERE user_id = $1 AND ends_at > $2 ORDER BY created_at DESC, id COLLATE "C" ASC`,
        [userId, now],
      )
      return rows.map(rowToSession)
    },
    async revokeSessions(ids, make) {
      if (ids.length === 0) {
        if (closed) throw new StoreError('store_closed', 'The Postgres store was used after close().')
        return []
      }
      return revoke('id = ANY($1::text[])', [[...new Set(ids)]], make)
    },
    async revokeUserSessions(userId, exceptSessionId, make) {
      return revoke('user_id = $1 AND id IS DISTINCT FROM $2', [userId, exceptSessionId], make)
    },
    async listRevocations(now) {
      const { rows } = await query(`SELECT * FROM ${n.revocations} WHERE expires_at > $1`, [now])
      return rows.map(rowToRevocation)
    },
    async subscribeRevocations(subscriber) {
      await connect().then((c) => c.release())
      await listener.start()
      const remove = hub.add(subscriber)
      return async () => remove()
    },
    async listKeys() {
      const { rows } = await query(`SELECT * FROM ${n.keys} ORDER BY seq ASC`)
      return rows.map(rowToKey)
    },
    async addKey(key, expectedLatestKid) {
      // READ COMMITTED alone would let two instances both see "no key" and both insert.
      return transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, n.lockKey])
        const { rows } = await client.query(`SELECT kid FROM ${n.keys} ORDER BY seq DESC LIMIT 1`)
        if ((rows[0]?.kid ?? null) !== expectedLatestKid) return false
        const inserted = await client.query(
          `INSERT INTO ${n.keys} (kid, alg, public_jwk, private_jwk, created_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (kid) DO NOTHING RETURNING kid`,
          [key.kid, key.alg, key.publicJwk, key.privateJwk, key.createdAt],
        )
        return inserted.rows.length === 1
      })
    },
    async deleteKeys(kids) {
      await query(`DELETE FROM ${n.keys} WHERE kid = ANY($1::text[])`, [kids])
    },
    async revokeKey(revocation) {
      return transaction(async (client) => {
        const inserted = await client.query(
          `INSERT INTO ${n.revokedKeys} (kid, revoked_at) VALUES ($1, $2) ON CONFLICT (kid) DO NOTHING RETURNING kid`,
          [revocation.kid, revocation.revokedAt],
        )
        if (inserted.rows.length === 0) return false
        const [payload] = notifyPayloads(
          encodePush({ keys: [{ kid: revocation.kid, revokedAt: revocation.revokedAt }] }),
        )
        await client.query('SELECT pg_notify($1, $2)', [n.channel, payload])
        return true
      })
    },
    async listRevokedKeys() {
      const { rows } = await query(`SELECT * FROM ${n.revokedKeys}`)
      return rows.map(rowToKeyRevocation)
    },
    async updateSessionClaims(ids, claims, make) {
      if (ids.length === 0) {
        if (closed) throw new StoreError('store_closed', 'The Postgres store was used after close().')
        return []
      }
      return updateClaims('id = ANY($2::text[])', [[...new Set(ids)]], claims, make)
    },
    async updateUserClaims(userId, claims, make) {
      return updateClaims('user_id = $2', [userId], claims, make)
    },
    async listStaleMarks(now) {
      const { rows } = await query(`SELECT * FROM ${n.staleMarks} WHERE expires_at > $1`, [now])
      return rows.map(rowToStaleMark)
    },
    async getOrCreateSecret(name, candidate) {
      const { rows } = await query(
        `WITH ins AS (INSERT INTO ${n.secrets} (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value)
         SELECT value FROM ins UNION ALL SELECT value FROM ${n.secrets} WHERE name = $1`,
        [name, candidate],
      )
      if (rows[0]) return rows[0].value as string
      // The conflicting row was inserted by a transaction our snapshot cannot see yet: read again.
      const again = await query(`SELECT value FROM ${n.secrets} WHERE name = $1`, [name])
      return again.rows[0].value as string
    },
    async deleteExpired(sessionsBefore, revocationsBefore, limit) {
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
    },
    async close() {
      if (closed) return
      closed = true
      stopSweep()
      hub.clear()
      await listener.stop()
      if (owned) await pool.end()
    },
  }
  const stopSweep = startSweeper(sweep, (s, r, l) => store.deleteExpired(s, r, l))
  return store
}
