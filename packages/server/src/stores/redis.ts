/**
 * Redis session store (`ioredis`), for many instances and high throughput. Works with one Redis
 * or a Redis Cluster (`nodes`, or a `Cluster` client): every command and script touches keys of
 * one hash slot (`redis/redisKeys.ts`).
 *
 * This module is the store object over one client: session writes and reads, the rotation path,
 * keys and secrets. In `redis/`: options and connection, key layout, Lua scripts, codec, the
 * session memo, revocation, claims updates and the pub/sub subscribers.
 * @module
 */
import { Cluster } from 'ioredis'
import { encodePush, RevocationHub } from './RevocationHub.js'
import type { RedisContext } from './redis/RedisContext.js'
import { updateSessionClaims, updateUserClaims } from './redis/redisClaims.js'
import { startClusterSubscriber } from './redis/redisClusterSubscriber.js'
import {
  decodeKey,
  decodeKeyRevocation,
  decodeRevocation,
  decodeSessionValues,
  decodeStaleMark,
  encodeFields,
  SESSION_READ_FIELDS,
} from './redis/redisCodec.js'
import { openRedisClient, type RedisStoreOptions, resolveRedisTarget } from './redis/redisConnection.js'
import { redisKeys } from './redis/redisKeys.js'
import { listUnexpired, revokeSessions, revokeUserSessions } from './redis/redisRevocations.js'
import {
  addKeyScript,
  createSessionScript,
  deleteKeysScript,
  getOrCreateSecretScript,
  rotateIfCurrentScript,
  rotateSessionScript,
  sweepRevocationsScript,
  touchUserIndexScript,
} from './redis/redisScripts.js'
import { startRedisSubscriber } from './redis/redisSubscriber.js'
import { SessionMemo } from './redis/SessionMemo.js'
import { currentRotationFields, currentRotationOf, pickRotation } from './rotationRule.js'
import { EXPIRED_RETENTION_MS, type SessionRecord, type SessionStore } from './SessionStore.js'
import { StoreError } from './StoreError.js'
import { resolveSweepOptions, startSweeper } from './Sweeper.js'
import { compareNewestFirst, sessionEndsAt } from './sessionEndsAt.js'

export type { RedisStoreOptions } from './redis/redisConnection.js'

// How old a user-index entry without its session must be before a listing prunes it.
const PRUNE_GRACE_MS = 5 * 60 * 1000

// A user index's TTL is set this much beyond what the session being written needs, so the
// refreshes that follow (which each slide the session's expiry a little) need no index touch
// until they have used it up: one command per refresh instead of two.
const INDEX_TTL_SLACK_MS = EXPIRED_RETENTION_MS

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
  const { nodes, prefix } = resolveRedisTarget(options)
  const sweep = resolveSweepOptions(options)
  const { client, owned } = openRedisClient(options, nodes)

  const keys = redisKeys(prefix)
  const hub = new RevocationHub()
  let subscriber: Promise<{ disconnect(): void }> | null = null
  let closed = false
  const open = (): void => {
    if (closed) throw new StoreError('store_closed', 'The Redis store was used after close().')
  }

  const memo = new SessionMemo()

  // Adds the session to its user's index (when `score` is given) and makes sure the index lives
  // past `endsAt` plus the retention, with slack; remembers the bound it guaranteed.
  const touchUserIndex = async (userId: string, sessionId: string, score: number | '', endsAt: number) => {
    const sentAt = Date.now()
    const ttl = Math.max(60_000, Math.ceil(endsAt + EXPIRED_RETENTION_MS + INDEX_TTL_SLACK_MS - sentAt))
    await touchUserIndexScript.run(client, [keys.user(userId)], [score, sessionId, ttl])
    // Redis counts the TTL from when it runs the script, which is no earlier than `sentAt`.
    memo.remember(sessionId, userId, sentAt + ttl)
  }

  // HMGET rather than HGETALL: the values alone, in a known order, are half the reply to decode.
  const readSession = async (id: string) =>
    decodeSessionValues(await client.hmget(keys.session(id), ...SESSION_READ_FIELDS))

  // What the revocation and claims writes (redis/) need of this store.
  const context: RedisContext = { client, keys, readSession, forget: (id) => memo.delete(id) }

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
        [keys.session(record.id), keys.pendingClaims(record.id)],
        [endsAt + EXPIRED_RETENTION_MS, JSON.stringify(record.userId), ...encodeFields(record)],
      )
      // 2: a user-wide claims update ran while this session was being created and left its
      // claims, now stored as version 1; its mark (version 1) stales the token signed with the old ones.
      if (created !== 1 && created !== 2)
        throw new StoreError('session_exists', 'A session with this id already exists.')
    },
    async getSession(id) {
      open()
      const record = await readSession(id)
      if (record !== null) memo.remember(record.id, record.userId)
      return record
    },
    async rotateSession(id, expectedHash, update, expectedClaimsVersion) {
      open()
      const fields = pickRotation(update)
      // The user index must not expire before the session it lists. It is made long enough
      // *before* the compare-and-swap: a touch failing after a rotation was stored would answer
      // 503 for a rotation that happened, and a client retrying after the reuse grace would be
      // taken for a thief. (On a cluster the index may live on another master than the session.)
      // Touching for a swap that then loses is harmless: the index only ever lengthens.
      const needed = fields.expiresAt + EXPIRED_RETENTION_MS
      let known = memo.get(id)
      if (known === undefined) {
        // Not read through this store recently (rare: the manager reads before it rotates).
        const raw = await client.hget(keys.session(id), 'userId')
        if (raw === null) return false
        memo.remember(id, JSON.parse(raw))
        known = memo.get(id)!
      }
      if (known.indexUntil < needed) await touchUserIndex(known.userId, id, '', fields.expiresAt)
      const userId = await rotateSessionScript.run(
        client,
        [keys.session(id)],
        [
          JSON.stringify(expectedHash),
          needed,
          EXPIRED_RETENTION_MS,
          expectedClaimsVersion === undefined ? '' : String(expectedClaimsVersion),
          ...encodeFields(fields),
        ],
      )
      return typeof userId === 'string'
    },
    async rotateIfCurrent(id, presentedHash, rotation, now) {
      open()
      const known = memo.get(id)
      const needed = rotation.idleExpiresAt + EXPIRED_RETENTION_MS
      if (known === undefined || known.indexUntil < needed) {
        // The user index may need a touch first (see `rotateSession`), for which the owner must
        // be known: the two-step path, after which this store knows both.
        const before = await store.getSession(id)
        const update = currentRotationOf(before, presentedHash, rotation, now)
        return { before, rotated: update !== null && (await store.rotateSession(id, presentedHash, update)) }
      }
      const [rotated, before] = (await rotateIfCurrentScript.run(
        client,
        [keys.session(id)],
        [
          JSON.stringify(presentedHash),
          now,
          JSON.stringify(rotation.idleExpiresAt),
          EXPIRED_RETENTION_MS,
          encodeFields(currentRotationFields(rotation)).join('\n'),
          JSON.stringify(rotation.binding ?? null),
        ],
      )) as [number, string | (string | null)[] | undefined]
      if (before === undefined) return { before: null, rotated: false }
      return {
        before: decodeSessionValues(typeof before === 'string' ? before.split('\n') : before),
        rotated: rotated === 1,
      }
    },
    async claimNonce(key, expiresAt, now) {
      open()
      // SET NX with a native TTL: the key exists exactly while the proof could be accepted.
      const set = await client.set(keys.nonce(key), '1', 'PX', Math.max(1, Math.ceil(expiresAt - now)), 'NX')
      return set === 'OK'
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
      return revokeSessions(context, ids, make)
    },
    async revokeUserSessions(userId, exceptSessionId, make) {
      open()
      return revokeUserSessions(context, userId, exceptSessionId, make)
    },
    async listRevocations(now) {
      open()
      return listUnexpired(context, keys.revocationIndex, keys.revocationData, now, decodeRevocation)
    },
    async subscribeRevocations(revocationSubscriber) {
      open()
      subscriber ??=
        client instanceof Cluster
          ? startClusterSubscriber(client, nodes?.addresses ?? [], keys.channel, hub)
          : startRedisSubscriber(client, keys.channel, hub)
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
    async revokeKey(revocation) {
      open()
      const entry = { kid: revocation.kid, revokedAt: revocation.revokedAt }
      if ((await client.hsetnx(keys.revokedKeys, entry.kid, JSON.stringify(entry))) !== 1) return false
      await client.publish(keys.channel, JSON.stringify(encodePush({ keys: [entry] })))
      return true
    },
    async listRevokedKeys() {
      open()
      return Object.values(await client.hgetall(keys.revokedKeys)).map(decodeKeyRevocation)
    },
    async updateSessionClaims(ids, claims, make) {
      open()
      return updateSessionClaims(context, ids, claims, make)
    },
    async updateUserClaims(userId, claims, make) {
      open()
      return updateUserClaims(context, userId, claims, make)
    },
    async listStaleMarks(now) {
      open()
      return listUnexpired(context, keys.staleIndex, keys.staleData, now, decodeStaleMark)
    },
    async getOrCreateSecret(name, candidate) {
      open()
      return (await getOrCreateSecretScript.run(client, [keys.secrets], [name, candidate])) as string
    },
    async deleteExpired(_sessionsBefore, revocationsBefore, limit) {
      open()
      // Sessions leave by their native TTL; only the revocation list and stale marks need sweeping.
      const revocations = (await sweepRevocationsScript.run(
        client,
        [keys.revocationIndex, keys.revocationData],
        [revocationsBefore, limit],
      )) as number
      const marks = (await sweepRevocationsScript.run(
        client,
        [keys.staleIndex, keys.staleData],
        [revocationsBefore, limit],
      )) as number
      return revocations + marks
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
