/**
 * The revocation hubs of the SQLite stores of this process. Stores opened on the same file and
 * prefix share a hub, so a revocation made through one reaches subscribers of the other; stores
 * on one in-memory database share one by database. Other processes are not told: SQLite is a
 * one-process store.
 * @module
 */
import { RevocationHub } from '../RevocationHub.js'
import type { SqliteConnection } from './sqliteDriver.js'

const hubs = new Map<string, { hub: RevocationHub; refs: number }>()
const memoryHubs = new WeakMap<object, RevocationHub>()

/** The hub of the store on `db` with `prefix`; `release` (once, at close) lets a file's hub go. */
export function acquireSqliteHub(
  db: SqliteConnection,
  prefix: string,
): { hub: RevocationHub; release(): void } {
  const hubKey = db.file === null ? null : `${db.file}\0${prefix}`
  if (hubKey === null) {
    const hub = memoryHubs.get(db.handle) ?? new RevocationHub()
    memoryHubs.set(db.handle, hub)
    return { hub, release: () => {} }
  }
  const entry = hubs.get(hubKey) ?? { hub: new RevocationHub(), refs: 0 }
  entry.refs++
  hubs.set(hubKey, entry)
  return {
    hub: entry.hub,
    release: () => {
      const held = hubs.get(hubKey)
      if (held && --held.refs === 0) hubs.delete(hubKey)
    },
  }
}
