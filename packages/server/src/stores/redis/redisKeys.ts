/**
 * Key layout of the Redis store. Laid out for Redis Cluster: every command and Lua script touches
 * keys of one hash slot, which `{…}` hash tags guarantee (all keys of one session, of the
 * revocation list, of the key ring). The prefix may not contain braces, so it can never become the
 * hash tag. Slot choices (docs/many-instances.md, "Redis Cluster"): a session by its id and a
 * user's index by its whole key, so both spread over the masters and are never used together in
 * one command; the shared keys on the fixed tags `{keys}`, `{secrets}`, `{revocations}` (slots
 * 2915, 8731, 10721 whatever the prefix), unchanged from single-Redis deployments so their data
 * moves into a cluster as it is; stale marks (claims updates) on `{stale}` (slot 9679), revoked
 * kids beside the key ring on `{keys}`.
 */
export function redisKeys(prefix: string) {
  return {
    /** Hash: one session, fields JSON-encoded. Expires natively `EXPIRED_RETENTION_MS` past its end. */
    session: (id: string) => `${prefix}session:{${id}}`,
    /**
     * Hash: claims a user-wide update left for a session listed in its user's index but not yet
     * stored (a create in flight), on the session's slot; the create applies them. Expires soon.
     */
    pendingClaims: (id: string) => `${prefix}pending-claims:{${id}}`,
    /** Sorted set: a user's session ids scored by `createdAt`; its TTL only ever grows. */
    user: (userId: string) => `${prefix}user:${userId}`,
    /** Sorted set: revoked session ids scored by the entry's `expiresAt`. */
    revocationIndex: `${prefix}{revocations}:index`,
    /** Hash: session id → revocation JSON. */
    revocationData: `${prefix}{revocations}:data`,
    /** List: kids, oldest first (the last one signs). */
    keyOrder: `${prefix}{keys}:order`,
    /** Hash: kid → stored key JSON. */
    keyData: `${prefix}{keys}:data`,
    /** Sorted set: session ids with a stale mark, scored by the mark's `expiresAt`. */
    staleIndex: `${prefix}{stale}:index`,
    /** Hash: session id → stale mark JSON. */
    staleData: `${prefix}{stale}:data`,
    /** Hash: revoked kid → revocation JSON (kept for good). Same slot as the key ring. */
    revokedKeys: `${prefix}{keys}:revoked`,
    /**
     * String with a native TTL: a spent proof `jti` of bound refresh (hashed). Keyed by its own
     * value (no hash tag), so nonces spread over a cluster's masters.
     */
    nonce: (key: string) => `${prefix}nonce:${key}`,
    /** Hash: secret name → value. */
    secrets: `${prefix}{secrets}`,
    /** Pub/sub channel of pushes: revocations, stale marks, key revocations (a JSON array per message, see `encodePush`). */
    channel: `${prefix}revocations`,
  }
}
