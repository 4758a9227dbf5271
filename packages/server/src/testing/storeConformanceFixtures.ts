/**
 * Fixtures and the per-test context of the store conformance suite. Test-only.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type {
  Revocation,
  RotationUpdate,
  SessionRecord,
  SessionStore,
  StoredKey,
} from '../stores/SessionStore.js'

/** What a store does differently, by design. */
export interface ConformanceCapabilities {
  /**
   * Sessions expire by a native TTL (`EXPIRED_RETENTION_MS` past expiry) rather than through
   * `deleteExpired`, which then only removes revocations. Defaults to `false`.
   */
  nativeSessionTtl?: boolean
}

/** Handed to each group of conformance tests. */
export interface ConformanceContext {
  /** Opens a first instance over a fresh namespace; `peer()` opens another over the same one. */
  setup(): Promise<{ store: SessionStore; peer: () => Promise<SessionStore> }>
  capabilities: ConformanceCapabilities
}

export const HOUR = 60 * 60 * 1000

/** Random session id in the refresh-token alphabet. */
export function makeId(): string {
  return randomBytes(16).toString('base64url')
}

/** A valid record with every nullable field filled, so round-trips are exercised fully. */
export function makeRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now()
  return {
    id: makeId(),
    userId: 'user-1',
    createdAt: now,
    lastRefreshedAt: now,
    expiresAt: now + 24 * HOUR,
    absoluteExpiresAt: null,
    generation: 0,
    currentHash: randomBytes(32).toString('base64url'),
    previousHash: null,
    rotatedAt: null,
    successorSealed: null,
    claims: { role: 'admin', nested: { a: [1, 'two', null, true] }, unicode: 'zoë ☃' },
    claimsVersion: 0,
    userAgent: 'Mozilla/5.0 (test)',
    ip: '2001:db8::1',
    binding: null,
    ...overrides,
  }
}

export function rotation(record: SessionRecord, overrides: Partial<RotationUpdate> = {}): RotationUpdate {
  const now = Date.now()
  return {
    generation: record.generation + 1,
    currentHash: randomBytes(32).toString('base64url'),
    previousHash: record.currentHash,
    rotatedAt: now,
    successorSealed: `sealed.${randomBytes(24).toString('base64url')}`,
    lastRefreshedAt: now,
    expiresAt: now + 48 * HOUR,
    ...overrides,
  }
}

export function makeKey(kid: string, createdAt = Date.now()): StoredKey {
  return {
    kid,
    alg: 'EdDSA',
    publicJwk: `{"kty":"OKP","x":"${kid}"}`,
    privateJwk: `{"d":"${kid}"}`,
    createdAt,
  }
}

export const revokeWith =
  (reason: Revocation['reason'], revokedAt = Date.now()) =>
  (record: SessionRecord): Revocation => ({
    sessionId: record.id,
    userId: record.userId,
    reason,
    revokedAt,
    expiresAt: revokedAt + 10 * 60 * 1000,
  })
