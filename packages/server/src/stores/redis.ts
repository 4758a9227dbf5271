/**
 * Redis session store (`ioredis`), for many instances and high throughput. Works with one Redis
 * and is laid out for Redis Cluster: every script touches one hash slot.
 *
 * @module
 */
import { type Cluster, Redis, type RedisOptions } from 'ioredis'
import { pickRotation } from './memory.js'
import { RevocationHub } from './RevocationHub.js'
import { decodeKey, decodeRevocation, decodeSession, encodeFields } from './redisCodec.js'
import { redisKeys } from './redisKeys.js'
import {
  addKeyScript,
  createSessionScript,
  deleteKeysScript,
  getOrCreateSecretScript,
  putRevocationScript,
  rotateSessionScript,
  sweepRevocationsScript,
  touchUserIndexScript,
} from './redisScripts.js'
import { startRedisSubscriber } from './redisSubscriber.js'
import {
  EXPIRED_RETENTION_MS,
  type Revocation,
  type SessionRecord,
  type SessionStore,
} from './SessionStore.js'
import { StoreError } from './StoreError.js'
import { resolveSweepOptions, type SweepOptions, startSweeper } from './Sweeper.js'
import { compareNewestFirst, sessionEndsAt } from './sessionEndsAt.js'

// How old a user-index entry without its session must be before a listing prunes it.
const PRUNE_GRACE_MS = 5 * 60 * 1000

// How many session id → user id pairs a store remembers from its reads (see `rotateSession`).
const OWNER_MEMO_SIZE = 10_000

/** Options of {@link redisStore}. Give exactly one of `client` and `url`. */
export interface RedisStoreOptions extends SweepOptions {
  /**
   * A connected `ioredis` client or cluster. The store never closes it; it opens one more
   * connection (`duplicate()`) for the revocation subscription. No default.
   */
  client?: Redis | Cluster
  /** A `redis://` / `rediss://` URL; the store owns (and closes) the connections it opens. No default. */
  url?: string
  /**
   * Options for the connections opened from `url`, merged over fail-fast defaults so a refresh
   * during an outage is told `store_unavailable` quickly instead of hanging. Defaults to
   * `{ maxRetriesPerRequest: 1, connectTimeout: 5000, commandTimeout: 5000, enableAutoPipelining: true }`.
   */
  redisOptions?: RedisOptions
  /** Prefix of every key and of the pub/sub channel, so apps can share a Redis. Defaults to `'latch:'`. */
  keyPrefix?: string
}

/**
 * Creates a Redis {@link SessionStore}. Sessions are hashes that expire natively
 * `EXPIRED_RETENTION_MS` after their idle/absolute expiry; rotation and key insertion are Lua
 * compare-and-swaps; revocations live in a sorted set and are pushed over pub/sub on a dedicated
 * subscriber connection, which calls `onResync` after every reconnect. A periodic bounded sweep
 * removes expired revocations.
 *
 * @example
 * const sessions = createSessionManager({ store: redisStore({ url: process.env.REDIS_URL }) })
 */
export function redisStore(options: RedisStoreOptions): SessionStore {
  if (
    typeof options !== 'object' ||
    options === null ||
    (options.client === undefined) === (options.url === undefined)
  ) {
    throw new TypeError('Give redisStore() exactly one of the `client` and `url` options.')
  }
  if (options.url !== undefined && (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))) {
    throw new TypeError('The `url` option must be a redis:// or rediss:// URL.')
  }
  const prefix = options.keyPrefix ?? 'latch:'
  if (typeof prefix !== 'string' || /[{}\s]/.test(prefix) || prefix.length > 100) {
    throw new TypeError(
      'The `keyPrefix` option must be a string without braces or spaces, at most 100 characters.',
    )
  }

  const sweep = resolveSweepOptions(options)

  // Fail fast while Redis is down: the manager answers 503 and the client retries later,
  // rather than every refresh hanging through ioredis' default 20 retries.
  const connectionOptions: RedisOptions = {
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    commandTimeout: 5000,
    // Commands issued in the same tick (concurrent refreshes, a rotation and its index touch)
    // leave in one socket write: a write syscall per command was a fifth of a refresh's CPU.
    enableAutoPipelining: true,
    ...options.redisOptions,
  }
  // Typed as `Redis`: a `Cluster` has the same command methods, but TypeScript cannot resolve
  // overloaded methods on the union.
  const client = (options.client ?? new Redis(options.url!, connectionOptions)) as Redis
  const owned = options.client === undefined
  // Failures surface as rejected commands; without a listener ioredis would also log every
  // reconnect attempt to the console.
  if (owned) client.on('error', () => {})

  const keys = redisKeys(prefix)
  const hub = new RevocationHub()
  let subscriber: Promise<Redis> | null = null
  let closed = false
  const open = (): void => {
    if (closed) throw new StoreError('store_closed', 'The Redis store was used after close().')
  }

  const touchUserIndex = (userId: string, sessionId: string, score: number | '', endsAt: number) =>
    touchUserIndexScript.run(
      client,
      [keys.user(userId)],
      [score, sessionId, Math.max(60_000, Math.ceil(endsAt + EXPIRED_RETENTION_MS - Date.now()))],
    )

  // Session id → user id, from recent reads. A session's owner never changes and ids are never
  // reused, so an entry cannot go stale; it only lets `rotateSession` send the user-index touch
  // together with the compare-and-swap instead of one round trip later.
  const owners = new Map<string, string>()
  const rememberOwner = (record: SessionRecord | null) => {
    if (record === null || owners.has(record.id)) return
    // Map iteration is insertion order: dropping the first key forgets the oldest entry.
    if (owners.size >= OWNER_MEMO_SIZE) owners.delete(owners.keys().next().value!)
    owners.set(record.id, record.userId)
  }

  const readSession = async (id: string) => decodeSession(await client.hgetall(keys.session(id)))

  const revoke = async (
    ids: string[],
    make: (record: SessionRecord) => Revocation,
  ): Promise<Revocation[]> => {
    const records = (await Promise.all([...new Set(ids)].map(readSession))).filter((r) => r !== null)
    // Build every entry first, so a throwing `make` changes nothing.
    const entries = records.map((record) => ({ record, revocation: { ...make(record) } }))
    const made = await Promise.all(
      entries.map(async ({ record, revocation }) => {
        // Cross-slot, so not one transaction: record the revocation first, then delete. A crash
        // in between leaves a revoked-but-present session (refused by every verifier; a retry
        // finishes it), never a deleted session whose access tokens still pass.
        await putRevocationScript.run(
          client,
          [keys.revocationIndex, keys.revocationData],
          [revocation.sessionId, revocation.expiresAt, JSON.stringify(revocation)],
        )
        owners.delete(record.id)
        const deleted = await client.del(keys.session(record.id))
        await client.zrem(keys.user(record.userId), record.id)
        return deleted === 1 ? revocation : null
      }),
    )
    const actual = made.filter((r) => r !== null)
    if (actual.length > 0) await client.publish(keys.channel, JSON.stringify(actual))
    return actual
  }

  const store: SessionStore = {
    name: 'redis',
    async createSession(record) {
      open()
      const endsAt = sessionEndsAt(record)
      // Index first: an index entry without a session is pruned on read; a session missing from
      // its user's index would escape "revoke all".
      await touchUserIndex(record.userId, record.id, record.createdAt, endsAt)
      const created = await createSessionScript.run(
        client,
        [keys.session(record.id)],
        [endsAt + EXPIRED_RETENTION_MS, ...encodeFields(record)],
      )
      if (created !== 1) throw new StoreError('session_exists', 'A session with this id already exists.')
    },
    async getSession(id) {
      open()
      const record = await readSession(id)
      rememberOwner(record)
      return record
    },
    async rotateSession(id, expectedHash, update) {
      open()
      const fields = pickRotation(update)
      const rotating = rotateSessionScript.run(
        client,
        [keys.session(id)],
        [
          JSON.stringify(expectedHash),
          fields.expiresAt + EXPIRED_RETENTION_MS,
          EXPIRED_RETENTION_MS,
          ...encodeFields(fields),
        ],
      )
      // If the touch fails the caller sees an error and retries within the reuse grace, which
      // answers with the same successor; the index must not expire before the session it lists.
      const owner = owners.get(id)
      if (owner !== undefined) {
        // Owner known from the read that preceded this rotation: send the touch in the same
        // round trip (it only ever lengthens the index's TTL, so touching for a compare-and-swap
        // that loses is harmless: the session is still listed and lives at least as long).
        const [userId] = await Promise.all([rotating, touchUserIndex(owner, id, '', fields.expiresAt)])
        return typeof userId === 'string'
      }
      const userId = await rotating
      if (typeof userId !== 'string') return false
      await touchUserIndex(JSON.parse(userId), id, '', fields.expiresAt)
      return true
    },
    async listUserSessions(userId, now) {
      open()
      const flat = await client.zrange(keys.user(userId), '0', '-1', 'WITHSCORES')
      const ids = flat.filter((_, i) => i % 2 === 0)
      const records = await Promise.all(ids.map(readSession))
      // Prune entries of sessions that are gone (expired by TTL), but not young ones: createSession
      // writes the index before the session, and pruning in between would hide a live session.
      const pruneBefore = Date.now() - PRUNE_GRACE_MS
      const gone = ids.filter((_, i) => records[i] === null && Number(flat[2 * i + 1]) < pruneBefore)
      if (gone.length > 0) await client.zrem(keys.user(userId), ...gone)
      return records
        .filter((r): r is SessionRecord => r !== null && r.userId === userId && sessionEndsAt(r) > now)
        .sort(compareNewestFirst)
    },
    async revokeSessions(ids, make) {
      open()
      return revoke(ids, make)
    },
    async revokeUserSessions(userId, exceptSessionId, make) {
      open()
      const ids = await client.zrange(keys.user(userId), '0', '-1')
      const records = await Promise.all(ids.filter((id) => id !== exceptSessionId).map(readSession))
      // Re-check the owner: an index entry is only a hint.
      return revoke(
        records.filter((r) => r !== null && r.userId === userId).map((r) => r!.id),
        make,
      )
    },
    async listRevocations(now) {
      open()
      const ids = await client.zrangebyscore(keys.revocationIndex, `(${now}`, '+inf')
      const out: Revocation[] = []
      for (let i = 0; i < ids.length; i += 1000) {
        const raws = await client.hmget(keys.revocationData, ...ids.slice(i, i + 1000))
        for (const raw of raws) if (raw !== null) out.push(decodeRevocation(raw))
      }
      return out
    },
    async subscribeRevocations(revocationSubscriber) {
      open()
      subscriber ??= startRedisSubscriber(client, keys.channel, hub)
      try {
        await subscriber
      } catch (error) {
        subscriber = null
        throw error
      }
      const remove = hub.add(revocationSubscriber)
      return async () => remove()
    },
    async listKeys() {
      open()
      const kids = await client.lrange(keys.keyOrder, 0, -1)
      if (kids.length === 0) return []
      const raws = await client.hmget(keys.keyData, ...kids)
      return raws.filter((r) => r !== null).map(decodeKey)
    },
    async addKey(key, expectedLatestKid) {
      open()
      const added = await addKeyScript.run(
        client,
        [keys.keyOrder, keys.keyData],
        [expectedLatestKid ?? '', key.kid, JSON.stringify(key)],
      )
      return added === 1
    },
    async deleteKeys(kids) {
      open()
      if (kids.length > 0) await deleteKeysScript.run(client, [keys.keyOrder, keys.keyData], kids)
    },
    async getOrCreateSecret(name, candidate) {
      open()
      return (await getOrCreateSecretScript.run(client, [keys.secrets], [name, candidate])) as string
    },
    async deleteExpired(_sessionsBefore, revocationsBefore, limit) {
      open()
      // Sessions leave by their native TTL; only the revocation list needs sweeping.
      return (await sweepRevocationsScript.run(
        client,
        [keys.revocationIndex, keys.revocationData],
        [revocationsBefore, limit],
      )) as number
    },
    async close() {
      if (closed) return
      closed = true
      stopSweep()
      hub.clear()
      const sub = await subscriber?.catch(() => null)
      sub?.disconnect()
      if (owned) await client.quit().catch(() => client.disconnect())
    },
  }
  // Sessions expire natively; the sweep keeps the revocation list from growing forever.
  const stopSweep = startSweeper(sweep, (a, b, c) => store.deleteExpired(a, b, c))
  return store
}
