/**
 * The SQLite store's prepared statements, one per operation, over the tables of one prefix.
 * Named parameters (`@name`) take a record's fields as they are.
 * @module
 */
import type { SqliteConnection } from './sqliteDriver.js'

/** Prepares every statement of the store on `db`, for the tables named with `prefix`. */
export function sqliteStatements(db: SqliteConnection, prefix: string) {
  const t = (name: string) => `${prefix}${name}`
  return {
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
}

/** The prepared statements of one store. */
export type SqliteStatements = ReturnType<typeof sqliteStatements>
