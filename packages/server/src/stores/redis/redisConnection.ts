/**
 * Options of the Redis store and the connection they describe: which of `client`, `url` and
 * `nodes` was given, checked before anything connects, and the `ioredis` client (one Redis or a
 * Cluster) opened from them with fail-fast defaults.
 * @module
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import type { SweepOptions } from '../Sweeper.js'

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

/** Cluster nodes given as `nodes`: their addresses, plus the connection options (credentials, TLS) of the first. */
export interface RedisNodes {
  addresses: { host: string; port: number }[]
  redisOptions: RedisOptions
}

/**
 * Checks the connection options and the key prefix, before anything connects. Throws a
 * `TypeError` naming the bad option.
 */
export function resolveRedisTarget(options: RedisStoreOptions): {
  nodes: RedisNodes | undefined
  prefix: string
} {
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
  return { nodes, prefix }
}

/**
 * The client the store runs its commands on: the one given, or one it opens (and owns) from
 * `url` or `nodes`. Typed as `Redis`: a `Cluster` has the same command methods, but TypeScript
 * cannot resolve overloaded methods on the union.
 */
export function openRedisClient(
  options: RedisStoreOptions,
  nodes: RedisNodes | undefined,
): { client: Redis; owned: boolean } {
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
  return { client, owned }
}

/** Cluster node URLs → addresses, plus the connection options (credentials, TLS) of the first. */
function parseNodes(urls: unknown): RedisNodes {
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
