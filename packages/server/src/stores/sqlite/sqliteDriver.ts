/**
 * The driver layer of the SQLite store: one small connection interface (prepare / run / get /
 * all, exec, transaction, close) over either `better-sqlite3` or Node's built-in `node:sqlite`
 * (`DatabaseSync`), so the store's statements and schema are written once for both.
 *
 * @module
 */
import { createRequire } from 'node:module'
import type BetterSqlite3 from 'better-sqlite3'

/** The SQLite libraries {@link openSqlite} can run on. */
export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite'

/**
 * The part of `node:sqlite`'s `DatabaseSync` the store uses, written out so the types do not need
 * Node 22's type definitions. Pass a real `new DatabaseSync(path)`.
 */
export interface NodeSqliteDatabase {
  prepare(sql: string): NodeSqliteStatement
  exec(sql: string): void
  close(): void
  /** `node:sqlite` ≥ 22.16: whether a transaction is open. */
  readonly isTransaction?: boolean
}

/** The part of `node:sqlite`'s `StatementSync` the store uses. */
export interface NodeSqliteStatement {
  run(...params: unknown[]): { changes: number | bigint }
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
  setAllowUnknownNamedParameters(enabled: boolean): void
}

/** A prepared statement, the same on both drivers. Named parameters are written `@name`. */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number }
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
}

/** A function wrapped in a transaction: a call runs `BEGIN`, `.immediate(…)` `BEGIN IMMEDIATE`. */
export interface SqliteTransaction<A extends unknown[], R> {
  (...args: A): R
  immediate(...args: A): R
}

/** An open SQLite database behind either driver. */
export interface SqliteConnection {
  readonly driver: SqliteDriverName
  /** The driver's own database object (identity for per-database state). */
  readonly handle: object
  /** Absolute path of the main database file; `null` for an in-memory or temporary database. */
  readonly file: string | null
  prepare(sql: string): SqliteStatement
  /** Runs one or more statements without results (DDL, `PRAGMA …`). */
  exec(sql: string): void
  /** Wraps `fn` in a transaction; nested calls become savepoints; a throw rolls back. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R>
  close(): void
}

/**
 * The error code of a failed statement in `better-sqlite3`'s spelling (e.g.
 * `'SQLITE_CONSTRAINT_PRIMARYKEY'`) for both drivers; `undefined` for anything else.
 */
export function sqliteErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { code, errcode } = error as { code?: unknown; errcode?: unknown }
  // node:sqlite: code 'ERR_SQLITE_ERROR' and the numeric extended result code in `errcode`.
  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number')
    return RESULT_CODES[errcode] ?? 'SQLITE_ERROR'
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined
}

// The extended result codes a store decides on (https://sqlite.org/rescode.html).
const RESULT_CODES: Record<number, string> = {
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  19: 'SQLITE_CONSTRAINT',
  1555: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  2067: 'SQLITE_CONSTRAINT_UNIQUE',
  787: 'SQLITE_CONSTRAINT_FOREIGNKEY',
  1299: 'SQLITE_CONSTRAINT_NOTNULL',
}

// Loads peer and built-in modules synchronously (the store is created synchronously), resolving
// from this package so the user's copy of better-sqlite3 is found.
const load = createRequire(import.meta.url)

/**
 * True when the running Node has a `node:sqlite` the store can use: unflagged, and with
 * `setAllowUnknownNamedParameters` (Node 22.15 or newer; 23 is past its end of life). Checked
 * without loading the module, which prints an ExperimentalWarning on Node 22.
 */
export function hasNodeSqlite(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  return major >= 24 || (major === 22 && minor >= 15)
}

/**
 * The driver used when none is named: `better-sqlite3` when it is installed (measured faster, see
 * BENCHMARKS.md, and the only choice on Node 20), else `node:sqlite` where Node has it.
 */
export function defaultSqliteDriver(): SqliteDriverName {
  if (!hasNodeSqlite()) return 'better-sqlite3'
  try {
    load.resolve('better-sqlite3')
    return 'better-sqlite3'
  } catch {
    return 'node:sqlite'
  }
}

function missing(driver: SqliteDriverName, cause: unknown): Error {
  const alternative = hasNodeSqlite()
    ? " or use the built-in driver with sqliteStore({ driver: 'node:sqlite', … })"
    : ' (the built-in node:sqlite driver needs Node 22.15 or newer)'
  const message =
    driver === 'better-sqlite3'
      ? `The SQLite store needs the better-sqlite3 package: run \`npm install better-sqlite3\` (12.x or 13.x)${alternative}.`
      : `The node:sqlite driver needs Node 22.15 or newer (this is Node ${process.versions.node}); install better-sqlite3 and use driver: 'better-sqlite3' instead.`
  return new Error(message, { cause })
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return (
    code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNKNOWN_BUILTIN_MODULE'
  )
}

/** Opens `path` (`':memory:'` for a private in-memory database) with the named driver. */
export function openSqliteFile(path: string, driver: SqliteDriverName): SqliteConnection {
  if (driver === 'node:sqlite') {
    if (!hasNodeSqlite()) throw missing(driver, undefined)
    let DatabaseSync: new (path: string) => NodeSqliteDatabase
    try {
      ;({ DatabaseSync } = load('node:sqlite') as { DatabaseSync: typeof DatabaseSync })
    } catch (error) {
      throw isNotFound(error) ? missing(driver, error) : error
    }
    return wrapNodeSqlite(new DatabaseSync(path))
  }
  let Database: typeof BetterSqlite3
  try {
    Database = load('better-sqlite3') as typeof BetterSqlite3
  } catch (error) {
    throw isNotFound(error) ? missing(driver, error) : error
  }
  let db: BetterSqlite3.Database
  try {
    db = new Database(path)
  } catch (error) {
    // better-sqlite3 loads its addon on first open; one compiled for another Node version fails
    // with "Module did not self-register" or a NODE_MODULE_VERSION mismatch.
    if (!/self-register|NODE_MODULE_VERSION/.test(String((error as Error)?.message))) throw error
    throw new Error(
      `better-sqlite3 is installed but its native addon was built for another Node version than ${process.versions.node}: run \`npm rebuild better-sqlite3\`${hasNodeSqlite() ? " or use driver: 'node:sqlite'" : ''}.`,
      { cause: error },
    )
  }
  return wrapBetterSqlite3(db)
}

/** Which driver an already-open database object belongs to, or `null` for anything else. */
export function detectSqliteDriver(database: unknown): SqliteDriverName | null {
  if (typeof database !== 'object' || database === null) return null
  const db = database as Record<string, unknown>
  if (typeof db.prepare !== 'function' || typeof db.exec !== 'function') return null
  return typeof db.pragma === 'function' && typeof db.transaction === 'function'
    ? 'better-sqlite3'
    : 'node:sqlite'
}

/** Wraps an open database of either driver (the caller keeps ownership of `database`). */
export function wrapSqlite(database: BetterSqlite3.Database | NodeSqliteDatabase): SqliteConnection {
  return detectSqliteDriver(database) === 'better-sqlite3'
    ? wrapBetterSqlite3(database as BetterSqlite3.Database)
    : wrapNodeSqlite(database as NodeSqliteDatabase)
}

function mainFile(db: { prepare(sql: string): { all(): unknown[] } }): string | null {
  const rows = db.prepare('PRAGMA database_list').all() as { name: string; file: string }[]
  return rows.find((r) => r.name === 'main')?.file || null
}

function wrapBetterSqlite3(db: BetterSqlite3.Database): SqliteConnection {
  return {
    driver: 'better-sqlite3',
    handle: db,
    file: mainFile(db),
    prepare: (sql) => db.prepare(sql) as SqliteStatement,
    exec: (sql) => {
      db.exec(sql)
    },
    transaction: (fn) =>
      db.transaction(fn) as unknown as SqliteTransaction<Parameters<typeof fn>, ReturnType<typeof fn>>,
    close: () => {
      db.close()
    },
  }
}

function wrapNodeSqlite(db: NodeSqliteDatabase): SqliteConnection {
  let depth = 0
  const transaction = <A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R> => {
    const run =
      (begin: string) =>
      (...args: A): R => {
        // Nested calls become savepoints, as in better-sqlite3.
        const savepoint = depth > 0 ? `latch_sp${depth}` : null
        db.exec(savepoint ? `SAVEPOINT ${savepoint}` : begin)
        depth++
        try {
          const result = fn(...args)
          if (result instanceof Promise)
            throw new TypeError('A transaction function cannot return a promise.')
          db.exec(savepoint ? `RELEASE ${savepoint}` : 'COMMIT')
          return result
        } catch (error) {
          if (savepoint) {
            db.exec(`ROLLBACK TO ${savepoint}`)
            db.exec(`RELEASE ${savepoint}`)
          } else if (db.isTransaction !== false) {
            // SQLite may have rolled back already (e.g. SQLITE_FULL); then there is nothing to undo.
            try {
              db.exec('ROLLBACK')
            } catch {}
          }
          throw error
        } finally {
          depth--
        }
      }
    return Object.assign(run('BEGIN'), { immediate: run('BEGIN IMMEDIATE') })
  }
  return {
    driver: 'node:sqlite',
    handle: db,
    file: mainFile(db),
    prepare: (sql) => {
      const statement = db.prepare(sql)
      // better-sqlite3 ignores object keys a statement does not name; node:sqlite throws on them
      // unless told otherwise, and the store passes whole records.
      statement.setAllowUnknownNamedParameters(true)
      return {
        run: (...params) => {
          const { changes } = statement.run(...params)
          return { changes: Number(changes) }
        },
        get: (...params) => statement.get(...params),
        all: (...params) => statement.all(...params),
      }
    },
    exec: (sql) => db.exec(sql),
    transaction,
    close: () => db.close(),
  }
}
