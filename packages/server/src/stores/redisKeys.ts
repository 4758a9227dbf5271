/**
 * Key layout of the Redis store. Laid out for Redis Cluster: every Lua script touches keys of one
 * hash slot, which `{…}` hash tags guarantee (all keys of one session, of the revocation list, of
 * the key ring). The prefix may not contain braces, so it can never become the hash tag.
 */
export function redisKeys(prefix: string) {
  return {
    /** Hash: one session, fields JSON-encoded. Expires natively `EXPIRED_RETENTION_MS` past its end. */
    session: (id: string) => `${prefix}session:{${id}}`,
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
    /** Hash: secret name → value. */
    secrets: `${prefix}{secrets}`,
    /** Pub/sub channel of pushed revocations (a JSON array per message). */
    channel: `${prefix}revocations`,
  }
}
