/**
 * PostgreSQL session store (`pg`), for many instances with durable sessions.
 *
 * This module is the store object: a method per `SessionStore` member, each one statement or one
 * transaction. In `postgres/`: options, pool and migrate-once queries, schema and migrations,
 * revocation and claims-update transactions, the sweep, and the LISTEN connection.
 * @module
 */

import { PostgresListener } from './postgres/PostgresListener.js'
import { updateClaimsWhere } from './postgres/postgresClaims.js'
import {
  openPostgresPool,
  type PostgresStoreOptions,
  postgresQueries,
  resolvePostgresTarget,
} from './postgres/postgresConnection.js'
import { revokeWhere } from './postgres/postgresRevocations.js'
import {
  LOCK_CLASS,
  notifyPayloads,
  postgresNames,
  rowToKey,
  rowToKeyRevocation,
  rowToRevocation,
  rowToSession,
  rowToStaleMark,
  SESSION_COLUMNS,
} from './postgres/postgresSchema.js'
import { deleteExpiredRows } from './postgres/postgresSweep.js'
import { encodePush, RevocationHub } from './RevocationHub.js'
import { currentRotationFields, pickRotation } from './rotationRule.js'
import type { SessionStore } from './SessionStore.js'
import { parseStoredClaims, StoreError } from './StoreError.js'
import { resolveSweepOptions, startSweeper } from './Sweeper.js'
import { sessionEndsAt } from './sessionEndsAt.js'

export type { PostgresStoreOptions } from './postgres/postgresConnection.js'

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
  const { schema, prefix } = resolvePostgresTarget(options)
  const sweep = resolveSweepOptions(options)
  const { pool, owned } = openPostgresPool(options)
  const n = postgresNames(schema, prefix)
  const hub = new RevocationHub()
  const listener = new PostgresListener({ ...pool.options }, n.channel, hub)
  let closed = false
  const { connect, query, transaction } = postgresQueries(pool, n, schema, prefix, () => closed)

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
      return revokeWhere(transaction, n, 'id = ANY($1::text[])', [[...new Set(ids)]], make)
    },
    async revokeUserSessions(userId, exceptSessionId, make) {
      return revokeWhere(
        transaction,
        n,
        'user_id = $1 AND id IS DISTINCT FROM $2',
        [userId, exceptSessionId],
        make,
      )
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
      return updateClaimsWhere(transaction, n, 'id = ANY($2::text[])', [[...new Set(ids)]], claims, make)
    },
    async updateUserClaims(userId, claims, make) {
      return updateClaimsWhere(transaction, n, 'user_id = $2', [userId], claims, make)
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
      return deleteExpiredRows(query, n, sessionsBefore, revocationsBefore, limit)
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
