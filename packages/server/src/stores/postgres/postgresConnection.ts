/**
 * Options of the Postgres store and its pool: which of `pool` and `connectionString` was given
 * and the schema and prefix of the tables, checked before anything connects; the pool opened from
 * them; and the three ways the store runs SQL on it (a connection, one query, a transaction), each
 * after the schema has been migrated once.
 * @module
 */
import { createHash } from 'node:crypto'
import pg from 'pg'
import { StoreError } from '../StoreError.js'
import type { SweepOptions } from '../Sweeper.js'
import { migratePostgres, type PostgresNames } from './postgresSchema.js'

/** Options of {@link postgresStore}. Give exactly one of `pool` and `connectionString`. */
export interface PostgresStoreOptions extends SweepOptions {
  /**
   * A `pg` Pool to run queries on. The store never ends it; it opens one extra dedicated
   * connection with the pool's settings for LISTEN. No default.
   */
  pool?: pg.Pool
  /** A `postgres://` connection string; the store owns (and ends) the pool it opens. No default. */
  connectionString?: string
  /** Extra settings for the pool opened from `connectionString`. Defaults to `{ max: 10, connectionTimeoutMillis: 5000, query_timeout: 10000 }`. */
  poolOptions?: pg.PoolConfig
  /** Schema holding the tables; created if missing. Defaults to `'public'`. */
  schema?: string
  /** Prefix of every table and index name. Defaults to `'latch_'`. */
  tablePrefix?: string
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/

/**
 * Checks the connection options, the schema and the table prefix, before anything connects.
 * Throws a `TypeError` naming the bad option.
 */
export function resolvePostgresTarget(options: PostgresStoreOptions): { schema: string; prefix: string } {
  if (
    typeof options !== 'object' ||
    options === null ||
    (options.pool === undefined) === (options.connectionString === undefined)
  ) {
    throw new TypeError('Give postgresStore() exactly one of the `pool` and `connectionString` options.')
  }
  if (options.connectionString !== undefined && typeof options.connectionString !== 'string') {
    throw new TypeError('The `connectionString` option must be a postgres:// URL string.')
  }
  const schema = options.schema ?? 'public'
  if (typeof schema !== 'string' || !IDENTIFIER.test(schema)) {
    throw new TypeError(
      'The `schema` option must be letters, digits and `_` (at most 40), not starting with a digit.',
    )
  }
  const prefix = options.tablePrefix ?? 'latch_'
  if (typeof prefix !== 'string' || !(prefix === '' || IDENTIFIER.test(prefix))) {
    throw new TypeError(
      'The `tablePrefix` option must be letters, digits and `_` (at most 40), not starting with a digit.',
    )
  }
  return { schema, prefix }
}

/** The pool the store runs its queries on: the one given, or one it opens (and owns) from `connectionString`. */
export function openPostgresPool(options: PostgresStoreOptions): { pool: pg.Pool; owned: boolean } {
  const owned = options.pool === undefined
  const pool =
    options.pool ??
    new pg.Pool({
      max: 10,
      connectionTimeoutMillis: 5000,
      // A hung server must fail queries (→ 503), not hold every refresh open forever.
      query_timeout: 10_000,
      ...options.poolOptions,
      connectionString: options.connectionString,
    })
  // An idle pooled connection that dies emits 'error' on the pool; unhandled, it would crash the process.
  if (owned) pool.on('error', () => {})
  return { pool, owned }
}

/** Runs `fn` in a transaction on one connection: committed when it resolves, rolled back when it throws. */
export type Transaction = <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>

/** How a Postgres store runs SQL. */
export interface PostgresQueries {
  /** A pooled connection (release it), once the schema is migrated. */
  connect(): Promise<pg.PoolClient>
  /** One statement; with a `name`, prepared once per connection. */
  query(text: string, values?: unknown[], name?: string): Promise<pg.QueryResult>
  transaction: Transaction
}

/**
 * The store's ways to run SQL on `pool`. Every one fails with `store_closed` once `isClosed()`
 * says so, and waits for the schema migration, run once before the first query.
 */
export function postgresQueries(
  pool: pg.Pool,
  n: PostgresNames,
  schema: string,
  prefix: string,
  isClosed: () => boolean,
): PostgresQueries {
  // Migrate once before the first query; a failure (database down at start) is retried next call.
  let ready: Promise<void> | null = null
  const connect = async (): Promise<pg.PoolClient> => {
    if (isClosed()) throw new StoreError('store_closed', 'The Postgres store was used after close().')
    ready ??= (async () => {
      const client = await pool.connect()
      try {
        await migratePostgres(client, n)
      } finally {
        client.release()
      }
    })().catch((error) => {
      ready = null
      throw error
    })
    await ready
    return pool.connect()
  }
  // The refresh path's statements are prepared once per connection (a named statement): planning
  // them on every call was a large share of the server's work. Names carry the schema and prefix,
  // so stores sharing a pool never collide.
  const statementTag = createHash('sha256').update(`${schema}\0${prefix}`).digest('hex').slice(0, 12)
  const query = async (text: string, values?: unknown[], name?: string) => {
    const client = await connect()
    try {
      return await (name === undefined
        ? client.query(text, values)
        : client.query({ name: `latch_${statementTag}_${name}`, text, values }))
    } finally {
      client.release()
    }
  }
  const transaction = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await connect()
    try {
      await client.query('BEGIN')
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }
  return { connect, query, transaction }
}
