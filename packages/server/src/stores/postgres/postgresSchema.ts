/**
 * The Postgres store's tables: their quoted names under a schema and prefix, the migrations and
 * the migrate-under-lock that applies them, the row decoders, and the NOTIFY payload splitting.
 * @module
 */
import { createHash } from 'node:crypto'
import type pg from 'pg'
import { markVersion } from '../RevocationHub.js'
import type { KeyRevocation, Revocation, SessionRecord, StaleMark, StoredKey } from '../SessionStore.js'
import { parseStoredClaims, StoreError } from '../StoreError.js'

/** Quoted, validated SQL names of one store's tables under its schema and prefix. */
export interface PostgresNames {
  schema: string
  meta: string
  sessions: string
  revocations: string
  keys: string
  secrets: string
  staleMarks: string
  revokedKeys: string
  /** Spent proof `jti`s of bound refresh (hashed), until they expire. */
  nonces: string
  /** Plain (unquoted) prefix, for index names. */
  prefix: string
  /** LISTEN/NOTIFY channel: short and deterministic, so every instance on the same tables agrees. */
  channel: string
  /** Second argument of `pg_advisory_xact_lock(int, int)` for schema migrations and key insertion. */
  lockKey: number
}

/** The first `pg_advisory_xact_lock` argument: "La" in ASCII, so our locks are recognisable. */
export const LOCK_CLASS = 0x4c61

export function postgresNames(schema: string, prefix: string): PostgresNames {
  const q = (name: string) => `"${schema}"."${prefix}${name}"`
  const digest = createHash('sha256').update(`${schema}\0${prefix}`).digest()
  return {
    schema: `"${schema}"`,
    meta: q('meta'),
    sessions: q('sessions'),
    revocations: q('revocations'),
    keys: q('keys'),
    secrets: q('secrets'),
    staleMarks: q('stale_marks'),
    revokedKeys: q('revoked_keys'),
    nonces: q('nonces'),
    prefix,
    channel: `latch_revocations_${digest.subarray(0, 8).toString('hex')}`,
    lockKey: digest.readInt32BE(8),
  }
}

/**
 * Schema migrations, in order; the schema version is the number applied. Never edit a shipped
 * entry: append a new one. Exported for the migration tests.
 */
export function postgresMigrations(n: PostgresNames): string[] {
  const p = n.prefix
  return [
    `CREATE TABLE ${n.sessions} (
       id text PRIMARY KEY,
       user_id text NOT NULL,
       created_at bigint NOT NULL,
       last_refreshed_at bigint NOT NULL,
       expires_at bigint NOT NULL,
       absolute_expires_at bigint,
       ends_at bigint NOT NULL,
       generation integer NOT NULL,
       current_hash text NOT NULL,
       previous_hash text,
       rotated_at bigint,
       successor_sealed text,
       claims text NOT NULL,
       user_agent text,
       ip text
     );
     CREATE INDEX "${p}sessions_user" ON ${n.sessions} (user_id, created_at DESC);
     CREATE INDEX "${p}sessions_ends" ON ${n.sessions} (ends_at);
     CREATE TABLE ${n.revocations} (
       session_id text PRIMARY KEY,
       user_id text NOT NULL,
       reason text NOT NULL,
       revoked_at bigint NOT NULL,
       expires_at bigint NOT NULL
     );
     CREATE INDEX "${p}revocations_expires" ON ${n.revocations} (expires_at);
     CREATE TABLE ${n.keys} (
       seq bigserial PRIMARY KEY,
       kid text NOT NULL UNIQUE,
       alg text NOT NULL,
       public_jwk text,
       private_jwk text NOT NULL,
       created_at bigint NOT NULL
     );
     CREATE TABLE ${n.secrets} (name text PRIMARY KEY, value text NOT NULL);`,
    // 2: claims updates (stale marks) and key revocation.
    `CREATE TABLE ${n.staleMarks} (
       session_id text PRIMARY KEY,
       user_id text NOT NULL,
       marked_at bigint NOT NULL,
       expires_at bigint NOT NULL
     );
     CREATE INDEX "${p}stale_marks_expires" ON ${n.staleMarks} (expires_at);
     CREATE TABLE ${n.revokedKeys} (kid text PRIMARY KEY, revoked_at bigint NOT NULL);`,
    // 3: claims versions (issue #22). Existing sessions are at version 0, as are the tokens
    // issued before it (they carry none); existing marks keep version 0 and their time, which
    // is how they are judged, so nothing pending is lost and nobody is signed out.
    `ALTER TABLE ${n.sessions} ADD COLUMN claims_version integer NOT NULL DEFAULT 0;
     ALTER TABLE ${n.staleMarks} ADD COLUMN version integer NOT NULL DEFAULT 0;`,
    // 4: bound refresh (issue #25): the key
    // thumbprint a session is bound to, and spent proof `jti`s (hashed) until they expire.
    `ALTER TABLE ${n.sessions} ADD COLUMN binding text;
     CREATE TABLE ${n.nonces} (key text PRIMARY KEY, expires_at bigint NOT NULL);
     CREATE INDEX "${p}nonces_expires" ON ${n.nonces} (expires_at);`,
  ]
}

/** How many schema migrations there are: the version a fully migrated schema records. */
export const postgresMigrationCount = (): number => postgresMigrations(postgresNames('s', 'p')).length

/**
 * Creates or upgrades the schema in one transaction under an advisory lock, so instances starting
 * at once serialise and all but the first find the work done.
 */
export async function migratePostgres(client: pg.PoolClient, n: PostgresNames): Promise<number> {
  const list = postgresMigrations(n)
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, n.lockKey])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${n.schema}`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${n.meta} (key text PRIMARY KEY, value text NOT NULL)`)
    const { rows } = await client.query(`SELECT value FROM ${n.meta} WHERE key = 'schema_version'`)
    const current = rows[0] ? Number(rows[0].value) : 0
    if (!Number.isSafeInteger(current) || current > list.length) {
      throw new StoreError(
        'schema_too_new',
        `The Postgres schema (version ${rows[0]?.value}) is newer than this version of Latch understands (${list.length}); upgrade @latch/server.`,
      )
    }
    for (let v = current; v < list.length; v++) await client.query(list[v]!)
    await client.query(
      `INSERT INTO ${n.meta} (key, value) VALUES ('schema_version', $1)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [String(list.length)],
    )
    await client.query('COMMIT')
    return list.length
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v))

/**
 * The columns `rowToSession` reads, named rather than `*` where a statement is prepared once per
 * connection: a later migration that adds a column would otherwise change a prepared statement's
 * result type, which Postgres refuses ("cached plan must not change result type") on every
 * instance still running until it reconnects.
 */
export const SESSION_COLUMNS =
  'id, user_id, created_at, last_refreshed_at, expires_at, absolute_expires_at, generation, current_hash, ' +
  'previous_hash, rotated_at, successor_sealed, claims, claims_version, user_agent, ip, binding'

/** A session from its row (`bigint` columns arrive as strings). */
export function rowToSession(row: any): SessionRecord {
  const claims = parseStoredClaims(row.claims)
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: Number(row.created_at),
    lastRefreshedAt: Number(row.last_refreshed_at),
    expiresAt: Number(row.expires_at),
    absoluteExpiresAt: num(row.absolute_expires_at),
    generation: row.generation,
    currentHash: row.current_hash,
    previousHash: row.previous_hash,
    rotatedAt: num(row.rotated_at),
    successorSealed: row.successor_sealed,
    claims,
    // Absent only from a row read before migration 3 ran (never, once the store has started).
    claimsVersion: row.claims_version === undefined ? 0 : Number(row.claims_version),
    userAgent: row.user_agent,
    ip: row.ip,
    binding: row.binding ?? null,
  }
}

export function rowToRevocation(row: any): Revocation {
  return {
    sessionId: row.session_id,
    userId: row.user_id,
    reason: row.reason,
    revokedAt: Number(row.revoked_at),
    expiresAt: Number(row.expires_at),
  }
}

export function rowToKey(row: any): StoredKey {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    privateJwk: row.private_jwk,
    createdAt: Number(row.created_at),
  }
}

export function rowToStaleMark(row: any): StaleMark {
  return {
    sessionId: row.session_id,
    userId: row.user_id,
    version: markVersion(row.version),
    markedAt: Number(row.marked_at),
    expiresAt: Number(row.expires_at),
  }
}

export function rowToKeyRevocation(row: any): KeyRevocation {
  return { kid: row.kid, revokedAt: Number(row.revoked_at) }
}

/**
 * Splits pushed entries (revocations, or any wire entries from `encodePush`) into NOTIFY payloads
 * under Postgres' 8000-byte limit.
 */
export function notifyPayloads(entries: readonly unknown[], maxBytes = 7000): string[] {
  const payloads: string[] = []
  let batch: string[] = []
  let size = 2
  for (const r of entries) {
    const json = JSON.stringify(r)
    const bytes = Buffer.byteLength(json) + 1
    if (batch.length > 0 && size + bytes > maxBytes) {
      payloads.push(`[${batch.join(',')}]`)
      batch = []
      size = 2
    }
    batch.push(json)
    size += bytes
  }
  if (batch.length > 0) payloads.push(`[${batch.join(',')}]`)
  return payloads
}
