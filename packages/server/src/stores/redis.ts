/**
 * Redis session store (`ioredis`), for many instances and high throughput. Works with one Redis
 * or a Redis Cluster (`nodes`, or a `Cluster` client): every command and script touches keys of
 * one hash slot (`redisKeys.ts`).
 *
 * One piece (over 300 lines): one `SessionStore` implementation, a method per interface member over
 * one client; scripts, keys, codec and subscribers are in `redisScripts.ts`, `redisKeys.ts`,
 * `redisCodec.ts` and the `redis*Subscriber.ts` files.
 * @module
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import { encodePush, RevocationHub } from './RevocationHub.js'
import { startClusterSubscriber } from './redisClusterSubscriber.js'
import {
  decodeKey,
  decodeKeyRevocation,
  decodeRevocation,
  decodeSessionValues,
  decodeStaleMark,
  encodeFields,
  SESSION_READ_FIELDS,
} from './redisCodec.js'
import { redisKeys } from './redisKeys.js'
import {
  addKeyScript,
  createSessionScript,
  deleteKeysScript,
  getOrCreateSecretScript,
  putRevocationScript,
  rotateIfCurrentScript,
  rotateSessionScript,
  setClaimsScript,
  setOrLeaveClaimsScript,
  sweepRevocationsScript,
  touchUserIndexScript,
} from './redisScripts.js'
import { startRedisSubscriber } from './redisSubscriber.js'
import { currentRotationFields, currentRotationOf, pickRotation } from './rotationRule.js'
import {
  EXPIRED_RETENTION_MS,
  type Revocation,
  type SessionRecord,
  type SessionStore,
  type StaleMark,
} from './SessionStore.js'
import { StoreError } from './StoreError.js'
import { resolveSweepOptions, type SweepOptions, startSweeper } from './Sweeper.js'
import { compareNewestFirst, sessionEndsAt } from './sessionEndsAt.js'

// How old a user-index entry without its session must be before a listing prunes it.
const PRUNE_GRACE_MS = 5 * 60 * 1000

// How many sessions a store remembers from its reads and writes (owner, user-index TTL; see
// `rotateSession`).
const OWNER_MEMO_SIZE = 10_000
/**
 * How long claims left for a session being created wait for its create (which follows its index
 * write within a round trip); a leftover index entry's pending claims go after this.
 */
const PENDING_CLAIMS_TTL_MS = 60_000

// A user index's TTL is set this much beyond what the session being written needs, so the
// refreshes that follow (which each slide the session's expiry a little) need no index touch
// until they have used it up: one command per refresh instead of two.
const INDEX_TTL_SLACK_MS = EXPIRED_RETENTION_MS

/** What a store knows about one session without asking Redis. */
interface SessionMemo {
  /** The owner: never changes, and session ids are never reused. */
  userId: string
  /** The owner's index lives at least until then (local clock, ms; 0: unknown). */
  indexUntil: number
}

/** Options of {@link redisStore}. Give exactly one of `client`, `url` and `nodes`. */
export interface RedisStoreOptions extends SweepOptions {
  /**
   * A connected `ioredis` client or `Cluster`. The store never closes it; it opens one more
   * connection for the revocation subscription (`duplicate()` of a `Redis`; for a `Cluster`, a
   * plain connection to one of its nodes). No default.
   */
  client?: Redis | Cluster
  /** A `redis://` / `rediss://` URL; the store owns (and closes) the connections it opens. No default. */
  url?: string
  /**
   * Redis Cluster: `redis://` / `rediss://` URLs of some of its nodes (credentials and TLS are
   * taken from the first). The store opens an `ioredis` `Cluster` and owns it. The revocation
   * subscriber connects to the first of these nodes that answers and moves on to the next when
   * its connection is lost, so ordering the list differently per instance spreads the
   * subscribers. No default.
   */
  nodes?: string[]
  /**
   * Options for the connections opened from `url` (or to each node of `nodes`), merged over
   * fail-fast defaults so a refresh during an outage is told `store_unavailable` quickly instead
   * of hanging. Defaults to
   * `{ maxRetriesPerRequest: 1, connectTimeout: 5000, commandTimeout: 5000, enableAutoPipelining: true }`.
   */
  redisOptions?: RedisOptions
  /**
   * Cluster-level `ioredis` options for `nodes` (`redisOptions` above go to every node
   * connection). Defaults to `{ enableAutoPipelining: true, maxRedirections: 6 }`, so a command
   * for the slots of a master that is down fails within about a second.
   */
  clusterOptions?: Omit<ClusterOptions, 'redisOptions'>
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
    [options.client, options.url, options.nodes].filter((o) => o !== undefined).length !== 1
  ) {
    throw new TypeError('Give redisStore() exactly one of the `client`, `url` and `nodes` options.')
  }
  if (options.url !== undefined && (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))) {
    throw new TypeError('The `url` option must be a redis:// or rediss:// URL.')
  }
  const nodes = options.nodes === undefined ? undefined : parseNodes(options.nodes)
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
  const client = (options.client ??
    (nodes
      ? new Cluster(
          nodes.addresses,
          clusterConnectionOptions(connectionOptions, nodes.redisOptions, options.clusterOptions),
        )
      : new Redis(options.url!, connectionOptions))) as Redis
  const owned = options.client === undefined
  // Failures surface as rejected commands; without a listener ioredis would also log every
  // reconnect attempt to the console.
  if (owned) client.on('error', () => {})

  const keys = redisKeys(prefix)
  const hub = new RevocationHub()
  let subscriber: Promise<{ disconnect(): void }> | null = null
  let closed = false
  const open = (): void => {
    if (closed) throw new StoreError('store_closed', 'The Redis store was used after close().')
  }

  // Session id → owner and how long its user index is known to live, from this store's recent
  // reads and writes. The owner never changes and ids are never reused. The index TTL only ever
  // grows, and the index exists as long as it lists the session (it can only vanish by expiring,
  // or by becoming empty, which needs this session removed from it: revoked). So `indexUntil`
  // stays a true lower bound for as long as the session exists.
  const memo = new Map<string, SessionMemo>()
  const remember = (sessionId: string, userId: string, indexUntil = 0) => {
    const known = memo.get(sessionId)
    if (known) {
      if (indexUntil > known.indexUntil) known.indexUntil = indexUntil
      return
    }
    // Map iteration is insertion order: dropping the first key forgets the oldest entry.
    if (memo.size >= OWNER_MEMO_SIZE) memo.delete(memo.keys().next().value!)
    memo.set(sessionId, { userId, indexUntil })
  }

  // Adds the session to its user's index (when `score` is given) and makes sure the index lives
  // past `endsAt` plus the retention, with slack; remembers the bound it guaranteed.
  const touchUserIndex = async (userId: string, sessionId: string, score: number | '', endsAt: number) => {
    const sentAt = Date.now()
    const ttl = Math.max(60_000, Math.ceil(endsAt + EXPIRED_RETENTION_MS + INDEX_TTL_SLACK_MS - sentAt))
    await touchUserIndexScript.run(client, [keys.user(userId)], [score, sessionId, ttl])
    // Redis counts the TTL from when it runs the script, which is no earlier than `sentAt`.
    remember(sessionId, userId, sentAt + ttl)
  }

  // HMGET rather than HGETALL: the values alone, in a known order, are half the reply to decode.
  const readSession = async (id: string) =>
    decodeSessionValues(await client.hmget(keys.session(id), ...SESSION_READ_FIELDS))

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
        memo.delete(record.id)
        const deleted = await client.del(keys.session(record.id))
        await client.zrem(keys.user(record.userId), record.id)
        return deleted === 1 ? revocation : null
      }),
    )
    const actual = made.filter((r) => r !== null)
    if (actual.length > 0) await client.publish(keys.channel, JSON.stringify(actual))
    return actual
  }

  const updateClaims = async (
    ids: string[],
    claims: Record<string, unknown>,
    make: (record: SessionRecord) => StaleMark,
  ): Promise<StaleMark[]> => {
    const records = (await Promise.all([...new Set(ids)].map(readSession))).filter((r) => r !== null)
    // Every mark first, so a throwing `make` changes nothing; the version is the store's (below).
    const entries = records.map((record) => ({
      record,
      mark: { ...make({ ...record, claims, claimsVersion: record.claimsVersion + 1 }) },
    }))
    const encoded = JSON.stringify(claims)
    const made = await Promise.all(
      entries.map(async ({ record, mark }) => {
        // Claims and version in one script on the session's slot, so every read (and every
        // rotation, which reads them in its own script) sees both or neither. The mark is on
        // the `{stale}` slot, so it follows: claims first, then the mark naming the version the
        // script made; a token refreshed in between already carries the new claims and version.
        const version = Number(await setClaimsScript.run(client, [keys.session(record.id)], [encoded]))
        if (!(version > 0)) return null
        mark.version = version
        await putRevocationScript.run(
          client,
          [keys.staleIndex, keys.staleData],
          [mark.sessionId, mark.expiresAt, JSON.stringify(mark)],
        )
        return mark
      }),
    )
    const actual = made.filter((m) => m !== null)
    if (actual.length > 0) await client.publish(keys.channel, JSON.stringify(encodePush({ stale: actual })))
    return actual
  }

  /** The record a create in flight will store once it applies a user-wide update's claims. */
  const pendingStandIn = (id: string, userId: string, claims: Record<string, unknown>): SessionRecord => ({
    id,
    userId,
    createdAt: 0,
    lastRefreshedAt: 0,
    expiresAt: 0,
    absoluteExpiresAt: null,
    generation: 0,
    currentHash: '',
    previousHash: null,
    rotatedAt: null,
    successorSealed: null,
    claims,
    claimsVersion: 1,
    userAgent: null,
    ip: null,
  })

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
      if (record !== null) remember(record.id, record.userId)
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
        remember(id, JSON.parse(raw))
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
      return updateClaims(ids, claims, make)
    },
    async updateUserClaims(userId, claims, make) {
      open()
      const ids = await client.zrange(keys.user(userId), '0', '-1')
      const records = await Promise.all(ids.map(readSession))
      const encoded = JSON.stringify(claims)
      const owner = JSON.stringify(userId)
      // Every mark first, so a throwing `make` changes nothing. An id listed without a session
      // (a create between its index write and its session write, or a leftover) gets its mark
      // from a stand-in of the record its create will store: these claims, version 1.
      const entries = ids.flatMap((id, i) => {
        const record = records[i]
        if (record && record.userId !== userId) return [] // an index entry is only a hint
        const next = record
          ? { ...record, claims, claimsVersion: record.claimsVersion + 1 }
          : pendingStandIn(id, userId, claims)
        return [{ id, mark: { ...make(next) } }]
      })
      const made = await Promise.all(
        entries.map(async ({ id, mark }) => {
          // One script on the session's slot decides whether the create is before (update it)
          // or after (leave the claims for it): a session created concurrently is covered.
          const version = Number(
            await setOrLeaveClaimsScript.run(
              client,
              [keys.session(id), keys.pendingClaims(id)],
              [encoded, owner, PENDING_CLAIMS_TTL_MS],
            ),
          )
          if (version === 0) return null
          mark.version = version === -1 ? 1 : version
          await putRevocationScript.run(
            client,
            [keys.staleIndex, keys.staleData],
            [mark.sessionId, mark.expiresAt, JSON.stringify(mark)],
          )
          return { mark, stored: version !== -1 }
        }),
      )
      const pushed = made.filter((m) => m !== null).map((m) => m.mark)
      if (pushed.length > 0) await client.publish(keys.channel, JSON.stringify(encodePush({ stale: pushed })))
      // Counted: the sessions that were stored. Marks for sessions still being created are
      // pushed (they stale the token their create signed) but are not sessions yet.
      return made.filter((m) => m?.stored === true).map((m) => m!.mark)
    },
    async listStaleMarks(now) {
      open()
      const ids = await client.zrangebyscore(keys.staleIndex, `(${now}`, '+inf')
      const out: StaleMark[] = []
      for (let i = 0; i < ids.length; i += 1000) {
        const raws = await client.hmget(keys.staleData, ...ids.slice(i, i + 1000))
        for (const raw of raws) if (raw !== null) out.push(decodeStaleMark(raw))
      }
      return out
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

/** Cluster node URLs → addresses, plus the connection options (credentials, TLS) of the first. */
function parseNodes(urls: unknown): {
  addresses: { host: string; port: number }[]
  redisOptions: RedisOptions
} {
  if (!Array.isArray(urls) || urls.length === 0 || urls.length > 1000) {
    throw new TypeError('The `nodes` option must be a non-empty array of redis:// or rediss:// URLs.')
  }
  const parsed = urls.map((url) => {
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
      throw new TypeError('The `nodes` option must be a non-empty array of redis:// or rediss:// URLs.')
    }
    try {
      return new URL(url)
    } catch {
      throw new TypeError('The `nodes` option must be a non-empty array of redis:// or rediss:// URLs.')
    }
  })
  const first = parsed[0]!
  const redisOptions: RedisOptions = {}
  if (first.username) redisOptions.username = decodeURIComponent(first.username)
  if (first.password) redisOptions.password = decodeURIComponent(first.password)
  if (first.protocol === 'rediss:') redisOptions.tls = {}
  return {
    addresses: parsed.map((u) => ({
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: Number(u.port || 6379),
    })),
    redisOptions,
  }
}

/** The `Cluster` options for `nodes`: the per-node options nested, auto-pipelining at cluster level. */
function clusterConnectionOptions(
  connection: RedisOptions,
  fromUrl: RedisOptions,
  cluster: RedisStoreOptions['clusterOptions'],
): ClusterOptions {
  const { enableAutoPipelining, ...perNode } = connection
  return {
    enableAutoPipelining,
    // A command for a master that is down is retried on `retryDelayOnFailover` (100 ms) per
    // redirection: 6 of them bound it to about a second before the refresh answers 503.
    maxRedirections: 6,
    ...cluster,
    redisOptions: { ...fromUrl, ...perNode },
  }
}
