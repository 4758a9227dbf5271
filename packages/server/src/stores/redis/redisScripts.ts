/**
 * The Lua scripts of the Redis store: its compare-and-swaps (create, rotation, key insertion,
 * claims updates) and the multi-key steps that must be atomic, each on keys of one hash slot.
 * @module
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { FIELD_DEFAULTS, SESSION_FIELDS, SESSION_READ_FIELDS } from './redisCodec.js'

/**
 * A Lua script run by `EVALSHA`, falling back to `EVAL` when the server does not have it cached
 * (first use, restart, failover). Does not touch the client (no `defineCommand`), because the
 * client may be the application's own.
 */
export class RedisScript {
  readonly #source: string
  readonly #sha: string

  constructor(source: string) {
    this.#source = source
    this.#sha = createHash('sha1').update(source).digest('hex')
  }

  async run(client: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.#sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
      return client.eval(this.#source, keys.length, ...keys, ...args)
    }
  }
}

// Every script touches keys of one hash slot only, so it runs on Redis Cluster unchanged.

/**
 * KEYS: session, its pending claims. ARGV: expire-at ms, encoded userId, then field/value pairs.
 * Creates only if absent. Claims a user-wide update left for this session while it was being
 * created (its id already in the user's index) replace the given ones, one version up, in the
 * same step. Returns 0 (exists), 1 (created), 2 (created with the pending claims).
 */
export const createSessionScript = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
local pending = redis.call('HMGET', KEYS[2], 'userId', 'claims')
redis.call('DEL', KEYS[2])
if pending[1] ~= ARGV[2] or not pending[2] then return 1 end
redis.call('HSET', KEYS[1], 'claims', pending[2])
redis.call('HINCRBY', KEYS[1], 'claimsVersion', 1)
return 2`)

/**
 * KEYS: session. ARGV: expected currentHash (encoded), new expiry + retention, retention,
 * expected claims version ('' for any), then field/value pairs. Compare-and-swap: applies only if
 * currentHash (and the claims version) match; the key's TTL follows the new idle expiry, capped
 * by the absolute one. Returns the encoded userId, or false.
 */
export const rotateSessionScript = new RedisScript(`
if redis.call('HGET', KEYS[1], 'currentHash') ~= ARGV[1] then return false end
if ARGV[4] ~= '' and (redis.call('HGET', KEYS[1], 'claimsVersion') or '0') ~= ARGV[4] then return false end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
local at = tonumber(ARGV[2])
local abs = tonumber(redis.call('HGET', KEYS[1], 'absoluteExpiresAt'))
if abs and abs + tonumber(ARGV[3]) < at then at = abs + tonumber(ARGV[3]) end
redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', at))
return redis.call('HGET', KEYS[1], 'userId')`)

/**
 * KEYS: session. ARGV: presented currentHash (encoded), now ms, idle expiry (encoded), retention
 * ms, then the rotation's other field/value pairs joined by newlines, then the proven key
 * thumbprint (JSON, `null` for none). `rotateIfCurrent`: rotates only when the hash is current,
 * the session live at `now` and not bound to another key, with generation + 1 and the expiry
 * capped by the absolute one (kept as the stored or sent JSON text, so it round-trips exactly).
 * Returns {1 or 0, the session's values as they were before, in `SESSION_READ_FIELDS` order, joined by
 * newlines}; {0} when there is no session, {0, values} when a field is missing.
 *
 * Newlines can join them because every value is JSON text, in which a newline is always escaped;
 * one string each way costs the client far less to encode and decode than a value per field.
 */
export const rotateIfCurrentScript = new RedisScript(`
local v = redis.call('HMGET', KEYS[1], ${SESSION_READ_FIELDS.map((f) => `'${f}'`).join(', ')})
if not v[1] then return {0} end
${Object.entries(FIELD_DEFAULTS)
  .map(
    ([f, d]) =>
      `if not v[${SESSION_FIELDS.indexOf(f as (typeof SESSION_FIELDS)[number]) + 1}] then v[${SESSION_FIELDS.indexOf(f as (typeof SESSION_FIELDS)[number]) + 1}] = '${d}' end`,
  )
  .join('\n')}
for i = 1, ${SESSION_FIELDS.length} do if not v[i] then return {0, v} end end
for i = ${SESSION_FIELDS.length + 1}, ${SESSION_READ_FIELDS.length} do if not v[i] then v[i] = 'null' end end
local before = table.concat(v, '\\n')
local now = tonumber(ARGV[2])
local exp = tonumber(v[${SESSION_FIELDS.indexOf('expiresAt') + 1}])
local absText = v[${SESSION_FIELDS.indexOf('absoluteExpiresAt') + 1}]
local abs = tonumber(absText)
local binding = v[${SESSION_READ_FIELDS.indexOf('binding') + 1}]
if v[${SESSION_FIELDS.indexOf('currentHash') + 1}] ~= ARGV[1] or not exp or now >= exp or (abs and now >= abs) then
  return {0, before}
end
if binding ~= 'null' and binding ~= ARGV[6] then return {0, before} end
local at = ARGV[3]
if abs and abs < tonumber(at) then at = absText end
local fields = {'generation', string.format('%.0f', tonumber(v[${SESSION_FIELDS.indexOf('generation') + 1}]) + 1), 'expiresAt', at}
for item in string.gmatch(ARGV[5], '[^\\n]+') do fields[#fields + 1] = item end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', tonumber(at) + tonumber(ARGV[4])))
return {1, before}`)

/**
 * KEYS: user index. ARGV: score ('' for none), session id, wanted TTL ms. Adds the session and
 * only ever lengthens the index's TTL, so it outlives every session it lists.
 */
export const touchUserIndexScript = new RedisScript(`
if ARGV[1] ~= '' then redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) end
local want = tonumber(ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 or ttl < want then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`)

/** KEYS: revocation (or stale-mark) index, data. ARGV: session id, expiresAt, JSON. */
export const putRevocationScript = new RedisScript(`
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1`)

/** KEYS: revocation (or stale-mark) index, data. ARGV: before (exclusive), limit. Returns how many went. */
export const sweepRevocationsScript = new RedisScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return 0 end
redis.call('ZREM', KEYS[1], unpack(ids))
redis.call('HDEL', KEYS[2], unpack(ids))
return #ids`)

/** KEYS: key order list, key data hash. ARGV: expected latest kid ('' for none), kid, JSON. */
export const addKeyScript = new RedisScript(`
local latest = redis.call('LINDEX', KEYS[1], -1) or ''
if latest ~= ARGV[1] or redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`)

/** KEYS: key order list, key data hash. ARGV: kids. */
export const deleteKeysScript = new RedisScript(`
for _, kid in ipairs(ARGV) do
  redis.call('LREM', KEYS[1], 0, kid)
  redis.call('HDEL', KEYS[2], kid)
end
return 1`)

/** KEYS: secrets hash. ARGV: name, candidate. */
export const getOrCreateSecretScript = new RedisScript(`
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])`)

/**
 * KEYS: session. ARGV: claims (encoded). Replaces the claims of an existing session and raises its
 * claims version in the same step (a session from before claims versions starts at 0); returns
 * the new version, or 0 when there is no session.
 */
export const setClaimsScript = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'claims', ARGV[1])
return redis.call('HINCRBY', KEYS[1], 'claimsVersion', 1)`)

/**
 * KEYS: session, its pending claims. ARGV: claims (encoded), encoded userId, pending TTL ms. For
 * a session id in the user's index: updates the session as `setClaimsScript` when it is stored
 * (returns the new version); otherwise leaves the claims for its create (returns -1), which
 * applies them as version 1. The session's slot decides: the create is before or after this.
 */
export const setOrLeaveClaimsScript = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'userId') ~= ARGV[2] then return 0 end
  redis.call('HSET', KEYS[1], 'claims', ARGV[1])
  return redis.call('HINCRBY', KEYS[1], 'claimsVersion', 1)
end
redis.call('HSET', KEYS[2], 'userId', ARGV[2], 'claims', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return -1`)
