/**
 * What the parts of the Redis store share: its client, its key layout, and the two things its
 * revocation and claims writes need of the store itself.
 * @module
 */
import type { Redis } from 'ioredis'
import type { SessionRecord } from '../SessionStore.js'
import type { redisKeys } from './redisKeys.js'

/** One Redis store's client and keys, and the store's session read and memo. */
export interface RedisContext {
  client: Redis
  keys: ReturnType<typeof redisKeys>
  /** Reads one session; `null` when there is none. */
  readSession(id: string): Promise<SessionRecord | null>
  /** Drops what the store remembers of a session (it is being deleted). */
  forget(sessionId: string): void
}
