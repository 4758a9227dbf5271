import { describe, expect, it } from 'vitest'
import {
  defaultSqliteDriver,
  hasNodeSqlite,
  openSqliteFile,
  type SqliteDriverName,
  sqliteErrorCode,
} from './sqliteDriver.js'

const drivers: SqliteDriverName[] = hasNodeSqlite() ? ['better-sqlite3', 'node:sqlite'] : ['better-sqlite3']

describe.each(drivers)('the %s driver', (driver) => {
  const open = () => {
    const db = openSqliteFile(':memory:', driver)
    db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)')
    return db
  }
  const count = (db: ReturnType<typeof open>) =>
    (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n

  it('binds named parameters from objects with extra keys, and counts changes as a number', () => {
    const db = open()
    expect(db.driver).toBe(driver)
    expect(db.file).toBeNull()
    const insert = db.prepare('INSERT INTO t (id, n) VALUES (@id, @n)')
    expect(insert.run({ id: 'a', n: 1, unused: 'x' })).toMatchObject({ changes: 1 })
    expect({ ...(db.prepare('SELECT * FROM t WHERE id = ?').get('a') as object) }).toEqual({ id: 'a', n: 1 })
    expect(db.prepare('SELECT * FROM t WHERE id = ?').get('b')).toBeUndefined()
    expect(db.prepare('SELECT id FROM t').all()).toEqual([{ id: 'a' }])
    db.close()
  })

  it('names a primary-key clash the same way', () => {
    const db = open()
    const insert = db.prepare('INSERT INTO t (id, n) VALUES (?, ?)')
    insert.run('a', 1)
    let caught: unknown
    try {
      insert.run('a', 2)
    } catch (error) {
      caught = error
    }
    expect(sqliteErrorCode(caught)).toBe('SQLITE_CONSTRAINT_PRIMARYKEY')
    expect(sqliteErrorCode(new Error('x'))).toBeUndefined()
    db.close()
  })

  it('commits a transaction, rolls it back on a throw, and nests as savepoints', () => {
    const db = open()
    const insert = db.prepare('INSERT INTO t (id, n) VALUES (?, ?)')
    const add = db.transaction((id: string) => insert.run(id, 1).changes)
    expect(add.immediate('a')).toBe(1)
    const failing = db.transaction(() => {
      insert.run('b', 1)
      throw new Error('boom')
    })
    expect(() => failing.immediate()).toThrow('boom')
    expect(count(db)).toBe(1)
    const outer = db.transaction(() => {
      insert.run('c', 1)
      expect(() => failing()).toThrow('boom')
      add('d')
    })
    outer.immediate()
    expect((db.prepare('SELECT id FROM t ORDER BY id').all() as { id: string }[]).map((r) => r.id)).toEqual([
      'a',
      'c',
      'd',
    ])
    // The connection is usable (no transaction left open) after all of that.
    expect(add.immediate('e')).toBe(1)
    db.close()
  })
})

describe('choosing a driver', () => {
  it('defaults to better-sqlite3 when it is installed (it is, here)', () => {
    expect(defaultSqliteDriver()).toBe('better-sqlite3')
  })

  it.runIf(!hasNodeSqlite())('names the Node version node:sqlite needs where it is missing', () => {
    expect(() => openSqliteFile(':memory:', 'node:sqlite')).toThrow(
      /needs Node 22\.15 or newer.*better-sqlite3/,
    )
  })
})
