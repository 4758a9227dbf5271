import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { describeStoreConformance, makeRecord } from '../testing/storeConformance.js'
import { HOUR, rotation } from '../testing/storeConformanceFixtures.js'
import { EXPIRED_RETENTION_MS } from './SessionStore.js'
import { hasNodeSqlite, openSqliteFile, type SqliteDriverName } from './sqlite/sqliteDriver.js'
import { sqliteMigrations } from './sqlite/sqliteSchema.js'
import { sqliteStore } from './sqlite.js'

const dir = mkdtempSync(join(tmpdir(), 'latch-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const freshPath = () => join(dir, `t${n++}.db`)

// better-sqlite3 always (on Node 22/24 scripts/test.sh loads a build for that Node), and
// node:sqlite wherever the running Node has it.
const drivers: SqliteDriverName[] = hasNodeSqlite() ? ['better-sqlite3', 'node:sqlite'] : ['better-sqlite3']

describe.each(drivers)('sqliteStore on %s', (driver) => {
  // The driver's own database object on a second connection, to look at what the store wrote.
  const openRaw = (path: string): any => openSqliteFile(path, driver).handle
  // Runs `PRAGMA name` and returns the single value.
  const pragma = (db: any, name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get())[0]

  describeStoreConformance(`sqlite (${driver})`, () => {
    const path = freshPath()
    return { open: async () => sqliteStore({ path, driver }) }
  })

  it('opens with the driver it is told to use, or the one of the database it is given', async () => {
    const path = freshPath()
    const store = sqliteStore({ path, driver })
    const record = makeRecord()
    await store.createSession(record)
    await store.close()
    const db = openRaw(path)
    const given = sqliteStore({ database: db })
    expect(await given.getSession(record.id)).toEqual(record)
    expect(() =>
      sqliteStore({ database: db, driver: driver === 'node:sqlite' ? 'better-sqlite3' : 'node:sqlite' }),
    ).toThrow(new RegExp(`\`database\` given is a ${driver} database`))
    await given.close()
    db.close()
  })

  it('rejects bad options naming the option', () => {
    expect(() => sqliteStore({} as never)).toThrow(/`path` and `database`/)
    expect(() => sqliteStore({ path: '' })).toThrow(/`path`/)
    expect(() => sqliteStore({ path: freshPath(), tablePrefix: 'x; DROP TABLE y' })).toThrow(/`tablePrefix`/)
    expect(() => sqliteStore({ path: freshPath(), sweepIntervalMs: 1.5 })).toThrow(/`sweepIntervalMs`/)
    expect(() => sqliteStore({ path: freshPath(), driver: 'sqlite3' as never })).toThrow(/`driver`/)
    expect(() => sqliteStore({ database: {} as never })).toThrow(/`database`/)
  })

  it('creates a versioned schema in WAL mode, once, under the table prefix', async () => {
    const path = freshPath()
    const a = sqliteStore({ path, tablePrefix: 'app_', driver })
    const b = sqliteStore({ path, tablePrefix: 'app_', driver })
    const db = openRaw(path)
    expect(pragma(db, 'journal_mode')).toBe('wal')
    expect(db.prepare(`SELECT value FROM app_meta WHERE key = 'schema_version'`).get()).toEqual({
      value: String(sqliteMigrations('app_').length),
    })
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all()
    expect(tables.map((t: any) => t.name).filter((x: string) => x.startsWith('app_'))).toEqual([
      'app_keys',
      'app_meta',
      'app_nonces',
      'app_revocations',
      'app_revoked_keys',
      'app_secrets',
      'app_sessions',
      'app_stale_marks',
    ])
    db.close()
    await a.close()
    await b.close()
  })

  it('upgrades a version-1 database to the current version (stale marks, revoked keys, claims versions)', async () => {
    const path = freshPath()
    const record = makeRecord()
    const db = openRaw(path)
    db.exec(sqliteMigrations('latch_')[0]!)
    db.exec(`CREATE TABLE latch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO latch_meta VALUES ('schema_version', '1')`)
    db.close()
    const store = sqliteStore({ path, driver })
    await store.createSession(record)
    expect(await store.revokeKey({ kid: 'k1', revokedAt: 1 })).toBe(true)
    expect(
      await store.updateSessionClaims([record.id], { v: 2 }, (r) => ({
        sessionId: r.id,
        userId: r.userId,
        version: r.claimsVersion,
        markedAt: 1,
        expiresAt: Date.now() + 60_000,
      })),
    ).toHaveLength(1)
    await store.close()
    const check = openRaw(path)
    expect(check.prepare(`SELECT value FROM latch_meta WHERE key = 'schema_version'`).get()).toEqual({
      value: String(sqliteMigrations('latch_').length),
    })
    check.close()
  })

  it('migration 3 (claims versions): sessions and stale marks of a version-2 database read as version 0, marks keep their time', async () => {
    const path = freshPath()
    const db = openRaw(path)
    const [v1, v2] = sqliteMigrations('latch_')
    db.exec(v1!)
    db.exec(v2!)
    db.exec(`CREATE TABLE latch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO latch_meta VALUES ('schema_version', '2')`)
    const now = Date.now()
    // Rows as the previous release wrote them: no claims_version, a time-based stale mark.
    db.prepare(
      `INSERT INTO latch_sessions (id, user_id, created_at, last_refreshed_at, expires_at, absolute_expires_at, ends_at,
         generation, current_hash, previous_hash, rotated_at, successor_sealed, claims, user_agent, ip)
       VALUES ('s1', 'u1', ?, ?, ?, NULL, ?, 3, 'h', NULL, NULL, NULL, '{"role":"old"}', NULL, NULL)`,
    ).run(now, now, now + HOUR, now + HOUR)
    db.prepare(
      `INSERT INTO latch_stale_marks (session_id, user_id, marked_at, expires_at) VALUES ('s1', 'u1', ?, ?)`,
    ).run(now - 1234, now + HOUR)
    db.close()
    const store = sqliteStore({ path, driver })
    expect(await store.getSession('s1')).toMatchObject({
      generation: 3,
      claims: { role: 'old' },
      claimsVersion: 0,
    })
    expect(await store.listStaleMarks(now)).toEqual([
      { sessionId: 's1', userId: 'u1', version: 0, markedAt: now - 1234, expiresAt: now + HOUR },
    ])
    // The first update after the upgrade: version 1, and the mark carries it (its time kept, the later one).
    const [mark] = await store.updateSessionClaims(['s1'], { role: 'new' }, (r) => ({
      sessionId: r.id,
      userId: r.userId,
      version: r.claimsVersion,
      markedAt: now,
      expiresAt: now + HOUR,
    }))
    expect(mark).toMatchObject({ version: 1 })
    expect(await store.getSession('s1')).toMatchObject({ claims: { role: 'new' }, claimsVersion: 1 })
    expect(await store.listStaleMarks(now)).toEqual([{ ...mark, markedAt: now }])
    expect(await store.rotateSession('s1', 'h', rotation((await store.getSession('s1'))!), 1)).toBe(true)
    await store.close()
    const check = openRaw(path)
    expect(check.prepare(`SELECT value FROM latch_meta WHERE key = 'schema_version'`).get()).toEqual({
      value: String(sqliteMigrations('latch_').length),
    })
    check.close()
  })

  it('upgrades a version-2 database for bound refresh: old sessions read unbound, new ones keep their binding', async () => {
    const path = freshPath()
    const old = makeRecord()
    const db = openRaw(path)
    db.exec(sqliteMigrations('latch_')[0]!)
    db.exec(sqliteMigrations('latch_')[1]!)
    db.exec(`CREATE TABLE latch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO latch_meta VALUES ('schema_version', '2')`)
    db.prepare(
      `INSERT INTO latch_sessions (id, user_id, created_at, last_refreshed_at, expires_at, absolute_expires_at,
         ends_at, generation, current_hash, previous_hash, rotated_at, successor_sealed, claims, user_agent, ip)
       VALUES (?, ?, ?, ?, ?, NULL, ?, 0, ?, NULL, NULL, NULL, '{}', NULL, NULL)`,
    ).run(
      old.id,
      old.userId,
      old.createdAt,
      old.lastRefreshedAt,
      old.expiresAt,
      old.expiresAt,
      old.currentHash,
    )
    db.close()
    const store = sqliteStore({ path, driver })
    expect((await store.getSession(old.id))?.binding).toBeNull()
    const bound = { ...makeRecord(), binding: 'thumbprint' }
    await store.createSession(bound)
    expect((await store.getSession(bound.id))?.binding).toBe('thumbprint')
    await store.close()
  })

  it('refuses a schema newer than it understands', () => {
    const path = freshPath()
    const db = openRaw(path)
    db.exec(`CREATE TABLE latch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO latch_meta VALUES ('schema_version', '99')`)
    db.close()
    expect(() => sqliteStore({ path, driver })).toThrow(expect.objectContaining({ code: 'schema_too_new' }))
  })

  it('keeps data across reopening the file, and never closes a database it was given', async () => {
    const path = freshPath()
    const record = makeRecord()
    const first = sqliteStore({ path, driver })
    await first.createSession(record)
    await first.close()
    const db = openRaw(path)
    const second = sqliteStore({ database: db })
    expect(await second.getSession(record.id)).toEqual(record)
    await second.close()
    expect(db.prepare('SELECT count(*) AS n FROM latch_sessions').get()).toEqual({ n: 1 })
    await expect(second.getSession(record.id)).rejects.toMatchObject({ code: 'store_closed' })
    db.close()
  })

  it('reports an unreadable row as corrupt_record', async () => {
    const db = openRaw(':memory:')
    const store = sqliteStore({ database: db })
    const record = makeRecord()
    await store.createSession(record)
    db.prepare(`UPDATE latch_sessions SET claims = '{not json' WHERE id = ?`).run(record.id)
    await expect(store.getSession(record.id)).rejects.toMatchObject({ code: 'corrupt_record' })
    await store.close()
    db.close()
  })

  it('sweeps expired rows on its unref’d timer with its own clock, and stops on close', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      let now = 2_000_000_000_000
      const store = sqliteStore({ path: freshPath(), driver, sweepIntervalMs: 1000, now: () => now })
      const gone = makeRecord({ createdAt: now, expiresAt: now + 10 })
      const kept = makeRecord({ createdAt: now, expiresAt: now + 20 + EXPIRED_RETENTION_MS })
      await store.createSession(gone)
      await store.createSession(kept)
      now += 20 + EXPIRED_RETENTION_MS
      await vi.advanceTimersByTimeAsync(1000)
      expect(await store.getSession(gone.id)).toBeNull()
      expect(await store.getSession(kept.id)).toEqual(kept)
      await store.close()
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})
