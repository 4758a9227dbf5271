/**
 * The one interface every store implements (memory, SQLite, Redis, Postgres).
 *
 * Stores are dumb on purpose: the session manager decides (see `refresh/rotation.ts`), the store only
 * applies a decision atomically. Every operation that decides a race (rotation, key insertion,
 * secret creation) is a compare-and-swap inside the store itself, so two server instances racing
 * on one token or one key can never both win.
 *
 * All times are epoch milliseconds. Every method may reject when the backing server is
 * unreachable; the manager turns that into `store_unavailable` and never signs anyone out for it.
 *
 * @module
 */

/**
 * How long after its expiry a store keeps a session (so a late refresh is told
 * `session_expired`, not `unauthorized`) before the sweep or a native TTL removes it.
 */
export const EXPIRED_RETENTION_MS = 24 * 60 * 60 * 1000

/** A session as a store keeps it. Never holds a token or a secret in plain text. */
export interface SessionRecord {
  /** Session id: the part of the refresh token before the dot. */
  id: string
  userId: string
  createdAt: number
  /** When the session was last refreshed (equals `createdAt` until the first refresh). */
  lastRefreshedAt: number
  /** Idle expiry: slides forward on every refresh. The store may forget the session after it. */
  expiresAt: number
  /** Absolute expiry, or `null` for none. */
  absoluteExpiresAt: number | null
  /** Refresh generation: 0 at creation, +1 per rotation. */
  generation: number
  /** Hash of the current refresh-token secret. */
  currentHash: string
  /** Hash of the refresh-token secret the last rotation replaced, or `null` before the first. */
  previousHash: string | null
  /** When the last rotation happened: the start of the reuse grace for `previousHash`. */
  rotatedAt: number | null
  /**
   * The current secret, sealed with a key only the holder of the previous token can derive, so a
   * retry with the previous token within the grace gets the same successor. `null` before the
   * first rotation.
   */
  successorSealed: string | null
  /** Application claims copied into every access token of the session. */
  claims: Record<string, unknown>
  /**
   * Claims version: 0 at creation, +1 by the store on every claims update, in the same atomic step
   * that writes the claims. Access tokens carry it (`cv`); a stale mark names the version a token
   * must have reached, so staleness never compares clocks.
   */
  claimsVersion: number
  userAgent: string | null
  ip: string | null
  /**
   * Bound refresh: the RFC 7638 thumbprint of the key the session is bound to, or `null` (or
   * absent, in records written before binding existed) when it is not bound. Set at creation,
   * never changed.
   */
  binding?: string | null
}

/** The fields a rotation replaces. */
export type RotationUpdate = Pick<
  SessionRecord,
  | 'generation'
  | 'currentHash'
  | 'previousHash'
  | 'rotatedAt'
  | 'successorSealed'
  | 'lastRefreshedAt'
  | 'expiresAt'
>

/** What `rotateIfCurrent` applies: a rotation whose generation and expiry the store derives. */
export type CurrentRotation = Omit<RotationUpdate, 'generation' | 'expiresAt'> & {
  /** The idle expiry after this refresh; the store caps it by the session's absolute expiry. */
  idleExpiresAt: number
  /**
   * The key thumbprint this request proved, or `null`: a session bound to another key (or to a
   * key when this is `null`) is not rotated. Absent means `null`.
   */
  binding?: string | null
}

/** What `rotateIfCurrent` saw and did. */
export interface CurrentRotationResult {
  /** The session as it was before this call changed anything; `null` when there is none. */
  before: SessionRecord | null
  /** This call rotated the session. */
  rotated: boolean
}

/** Why a session was revoked. `theft` lets later requests of the thief and the victim say so. */
export type RevocationReason = 'signout' | 'revoked' | 'theft' | 'expired'

/** An entry of the revocation list: kept until every access token of the session has expired. */
export interface Revocation {
  sessionId: string
  userId: string
  reason: RevocationReason
  revokedAt: number
  /** When the entry may be forgotten: `revokedAt` + access-token lifetime + clock tolerance. */
  expiresAt: number
}

/** A signing key as stored. Keys are append-only: the newest is the signer, older ones retire. */
export interface StoredKey {
  kid: string
  /** JWS algorithm, e.g. `EdDSA`, `ES256`. */
  alg: string
  /** Public JWK (JSON) for asymmetric keys, `null` for symmetric ones. */
  publicJwk: string | null
  /** Private JWK (JSON), sealed when a key-encryption secret is configured. */
  privateJwk: string
  createdAt: number
}

/**
 * A "stale" mark: the session's claims changed to version `version`, so its access tokens that
 * carry an older claims version carry old claims and are answered `try_refresh` (the refresh
 * issues the new claims).
 */
export interface StaleMark {
  sessionId: string
  userId: string
  /**
   * The claims version a token must have reached (the session's `claimsVersion` after the
   * update). `0` only on a mark written before claims versions existed: such a mark is judged
   * by `markedAt` against the token's `iat`, as that release did.
   */
  version: number
  /** When the claims changed (epoch ms, the updating instance's clock): bookkeeping only, except for a `version` 0 mark. */
  markedAt: number
  /** When the mark may be forgotten: `markedAt` + access-token lifetime + clock tolerance. */
  expiresAt: number
}

/** A revoked signing key: never used again, its tokens refused everywhere. Kept for good. */
export interface KeyRevocation {
  kid: string
  revokedAt: number
}

/**
 * Push between instances: revocations, stale marks and key revocations travel on one channel
 * (Redis pub/sub, Postgres NOTIFY, in process for single-node stores).
 */
export interface RevocationSubscriber {
  /** Revocations made by any instance (including this one). */
  onRevoked(revocations: Revocation[]): void
  /** The subscription was lost and is back: pushes may have been missed, reload the list. */
  onResync(): void
  /** Claims changed on these sessions (any instance, including this one). */
  onStale?(marks: StaleMark[]): void
  /** These signing keys were revoked (any instance, including this one). */
  onKeysRevoked?(keys: KeyRevocation[]): void
}

/**
 * The store interface. Implementations: `memoryStore()`, `sqliteStore()` (`@latch/server/sqlite`),
 * `redisStore()` (`@latch/server/redis`), `postgresStore()` (`@latch/server/postgres`).
 */
export interface SessionStore {
  /** A short name for logs and errors, e.g. `sqlite`. */
  readonly name: string

  /** Saves a new session. Rejects if the id exists (ids are random; a clash is a bug). */
  createSession(record: SessionRecord): Promise<void>

  /**
   * The session, or `null` when unknown. Expired sessions are still returned until
   * `deleteExpired` removes them, so the manager can answer `session_expired` rather than
   * `unauthorized`; stores with native TTLs keep them one `EXPIRED_RETENTION_MS` past expiry.
   */
  getSession(id: string): Promise<SessionRecord | null>

  /**
   * Applies `update` only if the session exists and its `currentHash` still equals
   * `expectedHash` (and, when `expectedClaimsVersion` is given, its `claimsVersion` still equals
   * it: the claims the caller read are still current), in one atomic step. Resolves `true` when
   * this call rotated, `false` when another caller got there first, the claims changed, or the
   * session is gone.
   */
  rotateSession(
    id: string,
    expectedHash: string,
    update: RotationUpdate,
    expectedClaimsVersion?: number,
  ): Promise<boolean>

  /**
   * Optional (needed for bound refresh): remembers `key` until `expiresAt` and resolves `true`,
   * or resolves `false` when `key` is already remembered and not expired at `now` — atomically,
   * so of instances racing with one key exactly one gets `true`. Keys are short (43-character
   * base64url hashes). `deleteExpired` forgets expired ones.
   */
  claimNonce?(key: string, expiresAt: number, now: number): Promise<boolean>

  /**
   * Optional: the common refresh in one step, one round trip on a networked store. Reads the
   * session and, only when its `currentHash` equals `presentedHash` and it is live at `now`
   * (`now` before `expiresAt`, and before `absoluteExpiresAt` when set), applies `rotation` with
   * `generation + 1` and `expiresAt = min(idleExpiresAt, absoluteExpiresAt)`, atomically, as
   * `rotateSession` would — and only when the session's `binding` is `null` or equals
   * `rotation.binding`. Resolves the record as read before any change and whether this call
   * rotated. Without it the manager calls `getSession`, then `rotateSession`.
   */
  rotateIfCurrent?(
    id: string,
    presentedHash: string,
    rotation: CurrentRotation,
    now: number,
  ): Promise<CurrentRotationResult>

  /** The user's live sessions at `now`, newest first. */
  listUserSessions(userId: string, now: number): Promise<SessionRecord[]>

  /**
   * Deletes the given sessions and records a revocation for each one that existed, atomically
   * per session, then pushes them to subscribers. Resolves the revocations actually made.
   * `make` builds the entry for an existing session (it knows `userId`).
   */
  revokeSessions(ids: string[], make: (record: SessionRecord) => Revocation): Promise<Revocation[]>

  /** Like `revokeSessions` for every session of `userId` except `exceptSessionId`. */
  revokeUserSessions(
    userId: string,
    exceptSessionId: string | null,
    make: (record: SessionRecord) => Revocation,
  ): Promise<Revocation[]>

  /** Revocations whose `expiresAt` is after `now`, for loading the list at start or on resync. */
  listRevocations(now: number): Promise<Revocation[]>

  /**
   * Subscribes to revocations made by any instance. Single-node stores push in process.
   * Resolves a function that ends the subscription.
   */
  subscribeRevocations(subscriber: RevocationSubscriber): Promise<() => Promise<void>>

  /** All stored signing keys, oldest first. */
  listKeys(): Promise<StoredKey[]>

  /**
   * Inserts `key` only if the newest stored key's kid is `expectedLatestKid` (`null`: the store
   * has no key). Resolves `true` when inserted, so instances starting at once agree on one key.
   */
  addKey(key: StoredKey, expectedLatestKid: string | null): Promise<boolean>

  /** Deletes keys that no token can still need. */
  deleteKeys(kids: string[]): Promise<void>

  /**
   * Records `revocation.kid` as revoked for good, then pushes it to subscribers. Resolves `false`
   * (and pushes nothing) when that kid was already revoked. Does not check that the key exists:
   * the key ring does, and a revoked kid must stay refused even after its key is deleted.
   */
  revokeKey(revocation: KeyRevocation): Promise<boolean>

  /** Every revoked kid, for loading at start and on resync. */
  listRevokedKeys(): Promise<KeyRevocation[]>

  /**
   * Replaces the application claims of the given sessions, adds 1 to each one's `claimsVersion`
   * and records a stale mark for each one that exists (atomically per session: claims, version
   * and mark together), then pushes the marks. `make` builds the mark from the record as
   * updated (new claims and version). Resolves the marks made.
   */
  updateSessionClaims(
    ids: string[],
    claims: Record<string, unknown>,
    make: (record: SessionRecord) => StaleMark,
  ): Promise<StaleMark[]>

  /**
   * Like `updateSessionClaims` for every session of `userId`, including one whose creation
   * overlaps this call: either this call updates it, or its `createSession` stores these claims
   * (one version up) and a mark for it is pushed. Resolves the marks of the sessions updated.
   */
  updateUserClaims(
    userId: string,
    claims: Record<string, unknown>,
    make: (record: SessionRecord) => StaleMark,
  ): Promise<StaleMark[]>

  /** Stale marks whose `expiresAt` is after `now`, for loading at start or on resync. */
  listStaleMarks(now: number): Promise<StaleMark[]>

  /**
   * Returns the secret stored under `name`, storing `candidate` first if there is none (atomic:
   * every instance gets the same value).
   */
  getOrCreateSecret(name: string, candidate: string): Promise<string>

  /**
   * Deletes sessions whose idle or absolute expiry is before `sessionsBefore`, and revocations
   * and stale marks whose `expiresAt` is before `revocationsBefore`, at most `limit` of each (bounded, so a
   * periodic sweep never blocks the store). Resolves how many rows went. Stores whose sessions
   * expire by a native TTL (Redis) delete only revocations here.
   */
  deleteExpired(sessionsBefore: number, revocationsBefore: number, limit: number): Promise<number>

  /** Releases connections and timers. The manager calls it from its own `close()` only if it created the store. */
  close(): Promise<void>
}
