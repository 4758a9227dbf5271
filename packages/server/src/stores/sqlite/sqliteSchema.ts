/**
 * The SQLite store's tables: the migrations and the migration step run at open, and the row
 * types and decoders.
 * @module
 */
import type { KeyRevocation, Revocation, SessionRecord, StaleMark, StoredKey } from '../SessionStore.js'
import { parseStoredClaims, StoreError } from '../StoreError.js'
import type { SqliteConnection } from './sqliteDriver.js'

/**
 * Schema migrations of the SQLite store, in order; the schema version is the number applied.
 * Never edit a shipped entry: append a new one (existing databases only run what they lack).
 */
export function sqliteMigrations(p: string): string[] {
  return [
    `CREATE TABLE ${p}sessions (
       id TEXT PRIMARY KEY,
       user_id TEXT NOT NULL,
       created_at INTEGER NOT NULL,
       last_refreshed_at INTEGER NOT NULL,
       expires_at INTEGER NOT NULL,
       absolute_expires_at INTEGER,
       ends_at INTEGER NOT NULL,
       generation INTEGER NOT NULL,
       current_hash TEXT NOT NULL,
       previous_hash TEXT,
       rotated_at INTEGER,
       successor_sealed TEXT,
       claims TEXT NOT NULL,
       user_agent TEXT,
       ip TEXT
     ) WITHOUT ROWID;
     CREATE INDEX ${p}sessions_user ON ${p}sessions (user_id, created_at);
     CREATE INDEX ${p}sessions_ends ON ${p}sessions (ends_at);
     CREATE TABLE ${p}revocations (
       session_id TEXT PRIMARY KEY,
       user_id TEXT NOT NULL,
       reason TEXT NOT NULL,
       revoked_at INTEGER NOT NULL,
       expires_at INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX ${p}revocations_expires ON ${p}revocations (expires_at);
     CREATE TABLE ${p}keys (
       seq INTEGER PRIMARY KEY AUTOINCREMENT,
       kid TEXT NOT NULL UNIQUE,
       alg TEXT NOT NULL,
       public_jwk TEXT,
       private_jwk TEXT NOT NULL,
       created_at INTEGER NOT NULL
     );
     CREATE TABLE ${p}secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`,
    // 2: claims updates (stale marks) and key revocation.
    `CREATE TABLE ${p}stale_marks (
       session_id TEXT PRIMARY KEY,
       user_id TEXT NOT NULL,
       marked_at INTEGER NOT NULL,
       expires_at INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX ${p}stale_marks_expires ON ${p}stale_marks (expires_at);
     CREATE TABLE ${p}revoked_keys (kid TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL) WITHOUT ROWID;`,
    // 3: claims versions (issue #22). Existing sessions are at version 0, as are the tokens
    // issued before it (they carry none); existing marks keep version 0 and their time, which
    // is how they are judged, so nothing pending is lost and nobody is signed out.
    `ALTER TABLE ${p}sessions ADD COLUMN claims_version INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE ${p}stale_marks ADD COLUMN version INTEGER NOT NULL DEFAULT 0;`,
    // 4: bound refresh (issue #25): the key
    // thumbprint a session is bound to, and spent proof `jti`s (hashed) until they expire.
    `ALTER TABLE ${p}sessions ADD COLUMN binding TEXT;
     CREATE TABLE ${p}nonces (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
     CREATE INDEX ${p}nonces_expires ON ${p}nonces (expires_at);`,
  ]
}

/**
 * Creates or upgrades the schema in one `BEGIN IMMEDIATE` transaction, so two processes opening
 * the same file at once serialise and the second finds the work done.
 */
export function migrateSqlite(db: SqliteConnection, prefix: string): number {
  const migrations = sqliteMigrations(prefix)
  const meta = `${prefix}meta`
  const run = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS ${meta} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`)
    const row = db.prepare(`SELECT value FROM ${meta} WHERE key = 'schema_version'`).get() as
      | { value: string }
      | undefined
    const current = row ? Number(row.value) : 0
    if (!Number.isSafeInteger(current) || current > migrations.length) {
      throw new StoreError(
        'schema_too_new',
        `The SQLite schema (version ${row?.value}) is newer than this version of Latch understands (${migrations.length}); upgrade @latch/server.`,
      )
    }
    for (let v = current; v < migrations.length; v++) db.exec(migrations[v]!)
    db.prepare(`INSERT OR REPLACE INTO ${meta} (key, value) VALUES ('schema_version', ?)`).run(
      String(migrations.length),
    )
    return migrations.length
  })
  return run.immediate()
}

/** A row of the sessions table. */
export interface SessionRow {
  id: string
  user_id: string
  created_at: number
  last_refreshed_at: number
  expires_at: number
  absolute_expires_at: number | null
  generation: number
  current_hash: string
  previous_hash: string | null
  rotated_at: number | null
  successor_sealed: string | null
  claims: string
  claims_version: number
  user_agent: string | null
  ip: string | null
  /** Added by migration 3 (bound refresh); `null` for sessions that are not bound. */
  binding?: string | null
}

/** Reads a session row back; a row that does not parse is a {@link StoreError} `corrupt_record`. */
export function rowToSession(row: SessionRow): SessionRecord {
  const claims = parseStoredClaims(row.claims)
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastRefreshedAt: row.last_refreshed_at,
    expiresAt: row.expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    generation: row.generation,
    currentHash: row.current_hash,
    previousHash: row.previous_hash,
    rotatedAt: row.rotated_at,
    successorSealed: row.successor_sealed,
    claims,
    claimsVersion: Number(row.claims_version),
    userAgent: row.user_agent,
    ip: row.ip,
    binding: row.binding ?? null,
  }
}

/** A row of the revocations table. */
export interface RevocationRow {
  session_id: string
  user_id: string
  reason: Revocation['reason']
  revoked_at: number
  expires_at: number
}

export function rowToRevocation(row: RevocationRow): Revocation {
  return {
    sessionId: row.session_id,
    userId: row.user_id,
    reason: row.reason,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at,
  }
}

/** A row of the keys table. */
export interface KeyRow {
  kid: string
  alg: string
  public_jwk: string | null
  private_jwk: string
  created_at: number
}

export function rowToKey(row: KeyRow): StoredKey {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    privateJwk: row.private_jwk,
    createdAt: row.created_at,
  }
}

/** A row of the stale-marks table. */
export interface StaleMarkRow {
  session_id: string
  user_id: string
  version: number
  marked_at: number
  expires_at: number
}

export function rowToStaleMark(row: StaleMarkRow): StaleMark {
  return {
    sessionId: row.session_id,
    userId: row.user_id,
    version: Number(row.version),
    markedAt: Number(row.marked_at),
    expiresAt: Number(row.expires_at),
  }
}

/** A row of the revoked-keys table. */
export interface RevokedKeyRow {
  kid: string
  revoked_at: number
}

export function rowToKeyRevocation(row: RevokedKeyRow): KeyRevocation {
  return { kid: row.kid, revokedAt: Number(row.revoked_at) }
}
