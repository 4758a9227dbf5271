import pg from 'pg'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { databaseUrl, dropPostgresSchema, uniqueName } from '../../test/namespaces.js'
import { describeStoreConformance, makeRecord } from '../testing/storeConformance.js'
import {
  notifyPayloads,
  postgresMigrationCount,
  postgresMigrations,
  postgresNames,
} from './postgres/postgresSchema.js'
import { postgresStore } from './postgres.js'

const schemas: string[] = []
const freshSchema = () => {
  const schema = uniqueName('latch_test')
  schemas.push(schema)
  return schema
}
afterAll(async () => {
  for (const schema of schemas) await dropPostgresSchema(schema)
})

describeStoreConformance('postgres', () => {
  const schema = freshSchema()
  return {
    open: async () => postgresStore({ connectionString: databaseUrl(), schema, poolOptions: { max: 4 } }),
  }
})

const revokeNow = (r: { id: string; userId: string }) => ({
  sessionId: r.id,
  userId: r.userId,
  reason: 'revoked' as const,
  revokedAt: Date.now(),
  expiresAt: Date.now() + 60_000,
})

describe('postgresStore', () => {
  it('rejects bad options naming the option', () => {
    expect(() => postgresStore({} as never)).toThrow(/`pool` and `connectionString`/)
    expect(() => postgresStore({ connectionString: databaseUrl(), schema: 'a"; DROP' })).toThrow(/`schema`/)
    expect(() => postgresStore({ connectionString: databaseUrl(), tablePrefix: '1x' })).toThrow(
      /`tablePrefix`/,
    )
  })

  it('migrates once when many instances start at once, and records the schema version', async () => {
    const schema = freshSchema()
    const stores = Array.from({ length: 4 }, () =>
      postgresStore({
        connectionString: databaseUrl(),
        schema,
        tablePrefix: 'app_',
        poolOptions: { max: 2 },
      }),
    )
    await Promise.all(stores.map((s) => s.listKeys()))
    const client = new pg.Client({ connectionString: databaseUrl() })
    await client.connect()
    const { rows } = await client.query(`SELECT value FROM "${schema}".app_meta WHERE key = 'schema_version'`)
    expect(rows).toEqual([{ value: String(postgresMigrationCount()) }])
    const tables = await client.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    )
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'app_keys',
      'app_meta',
      'app_nonces',
      'app_revocations',
      'app_revoked_keys',
      'app_secrets',
      'app_sessions',
      'app_stale_marks',
    ])
    await client.end()
    for (const s of stores) await s.close()
  })

  it('refuses a schema newer than it understands', async () => {
    const schema = freshSchema()
    const client = new pg.Client({ connectionString: databaseUrl() })
    await client.connect()
    await client.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".latch_meta (key text PRIMARY KEY, value text NOT NULL);
      INSERT INTO "${schema}".latch_meta VALUES ('schema_version', '99')`)
    await client.end()
    const store = postgresStore({ connectionString: databaseUrl(), schema })
    await expect(store.getSession('x')).rejects.toMatchObject({ code: 'schema_too_new' })
    await store.close()
  })

  it('works on a pool it was given and leaves that pool open', async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 2 })
    const store = postgresStore({ pool, schema: freshSchema() })
    const record = makeRecord()
    await store.createSession(record)
    expect(await store.getSession(record.id)).toEqual(record)
    await store.close()
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
    await pool.end()
  })

  it('migration 3 (claims versions): sessions and stale marks of a version-2 schema read as version 0, marks keep their time', async () => {
    const schema = freshSchema()
    const n = postgresNames(schema, 'latch_')
    const admin = new pg.Client({ connectionString: databaseUrl() })
    await admin.connect()
    const now = Date.now()
    const HOUR = 3_600_000
    try {
      await admin.query(`CREATE SCHEMA "${schema}"`)
      const [v1, v2] = postgresMigrations(n)
      await admin.query(v1!)
      await admin.query(v2!)
      await admin.query(`CREATE TABLE ${n.meta} (key text PRIMARY KEY, value text NOT NULL)`)
      await admin.query(`INSERT INTO ${n.meta} VALUES ('schema_version', '2')`)
      // Rows as the previous release wrote them: no claims_version, a time-based stale mark.
      await admin.query(
        `INSERT INTO ${n.sessions} (id, user_id, created_at, last_refreshed_at, expires_at, absolute_expires_at, ends_at,
           generation, current_hash, previous_hash, rotated_at, successor_sealed, claims, user_agent, ip)
         VALUES ('s1', 'u1', $1, $1, $2, NULL, $2, 3, 'h', NULL, NULL, NULL, '{"role":"old"}', NULL, NULL)`,
        [now, now + HOUR],
      )
      await admin.query(
        `INSERT INTO ${n.staleMarks} (session_id, user_id, marked_at, expires_at) VALUES ('s1', 'u1', $1, $2)`,
        [now - 1234, now + HOUR],
      )
      const stores = [0, 1].map(() => postgresStore({ connectionString: databaseUrl(), schema }))
      const [store] = stores as [ReturnType<typeof postgresStore>]
      // Two instances start at once: one migrates, the other finds it done.
      await Promise.all(stores.map((s) => s.listKeys()))
      expect((await admin.query(`SELECT value FROM ${n.meta} WHERE key = 'schema_version'`)).rows).toEqual([
        { value: String(postgresMigrationCount()) },
      ])
      expect(await store.getSession('s1')).toMatchObject({
        generation: 3,
        claims: { role: 'old' },
        claimsVersion: 0,
      })
      expect(await store.listStaleMarks(now)).toEqual([
        { sessionId: 's1', userId: 'u1', version: 0, markedAt: now - 1234, expiresAt: now + HOUR },
      ])
      const [mark] = await store.updateUserClaims('u1', { role: 'new' }, (r) => ({
        sessionId: r.id,
        userId: r.userId,
        version: r.claimsVersion,
        markedAt: now,
        expiresAt: now + HOUR,
      }))
      expect(mark).toMatchObject({ version: 1 })
      expect(await store.listStaleMarks(now)).toEqual([mark])
      const rotated = await store.rotateIfCurrent!(
        's1',
        'h',
        {
          currentHash: 'h2',
          previousHash: 'h',
          rotatedAt: now,
          successorSealed: 's',
          lastRefreshedAt: now,
          idleExpiresAt: now + HOUR,
        },
        now,
      )
      expect(rotated).toMatchObject({ rotated: true, before: { claims: { role: 'new' }, claimsVersion: 1 } })
      for (const s of stores) await s.close()
    } finally {
      await admin.end()
    }
  })

  it('keeps its prepared refresh statements working after a later migration adds a column, and beside another store on one pool', async () => {
    // One connection, so the second store and the ALTER meet the statements the first prepared.
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 1 })
    const [schemaA, schemaB] = [freshSchema(), freshSchema()]
    const a = postgresStore({ pool, schema: schemaA })
    const b = postgresStore({ pool, schema: schemaB })
    const record = makeRecord()
    await a.createSession(record)
    await b.createSession({ ...record, userId: 'someone-else' })
    const rotation = {
      currentHash: 'h2',
      previousHash: record.currentHash,
      rotatedAt: record.createdAt + 1,
      successorSealed: 'sealed',
      lastRefreshedAt: record.createdAt + 1,
      idleExpiresAt: record.expiresAt,
    }
    expect(
      (await a.rotateIfCurrent!(record.id, record.currentHash, rotation, record.createdAt + 1)).rotated,
    ).toBe(true)
    expect((await b.getSession(record.id))?.userId).toBe('someone-else')
    expect((await a.getSession(record.id))?.userId).toBe(record.userId)
    await pool.query(`ALTER TABLE "${schemaA}".latch_sessions ADD COLUMN added_later text`)
    expect((await a.getSession(record.id))?.currentHash).toBe('h2')
    const next = { ...rotation, currentHash: 'h3', previousHash: 'h2' }
    expect((await a.rotateIfCurrent!(record.id, 'h2', next, record.createdAt + 2)).before?.currentHash).toBe(
      'h2',
    )
    await a.close()
    await b.close()
    await pool.end()
  })

  it('reconnects its LISTEN connection, calls onResync, and keeps pushing', async () => {
    const schema = freshSchema()
    const store = postgresStore({ connectionString: databaseUrl(), schema })
    const onResync = vi.fn()
    const seen: string[] = []
    await store.subscribeRevocations({ onRevoked: (r) => seen.push(...r.map((x) => x.sessionId)), onResync })
    const admin = new pg.Client({ connectionString: databaseUrl() })
    await admin.connect()
    const { channel } = postgresNames(schema, 'latch_')
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()`,
      [`LISTEN "${channel}"`],
    )
    expect(killed.rows).toEqual([{ ok: true }])
    await vi.waitFor(() => expect(onResync).toHaveBeenCalledTimes(1), { timeout: 10_000 })
    const record = makeRecord()
    await store.createSession(record)
    await store.revokeSessions([record.id], revokeNow)
    await vi.waitFor(() => expect(seen).toEqual([record.id]), { timeout: 10_000 })
    await admin.end()
    await store.close()
  })

  it('pushes revocations of many sessions in NOTIFY payloads under the size limit', async () => {
    const schema = freshSchema()
    const a = postgresStore({ connectionString: databaseUrl(), schema })
    const b = postgresStore({ connectionString: databaseUrl(), schema })
    const seen: string[] = []
    await b.subscribeRevocations({
      onRevoked: (r) => seen.push(...r.map((x) => x.sessionId)),
      onResync: () => {},
    })
    const userId = `u-${uniqueName('many')}`
    const records = Array.from({ length: 150 }, () => makeRecord({ userId }))
    for (const r of records) await a.createSession(r)
    const made = await a.revokeUserSessions(userId, null, revokeNow)
    expect(made).toHaveLength(150)
    await vi.waitFor(() => expect(seen.sort()).toEqual(records.map((r) => r.id).sort()), { timeout: 10_000 })
    await a.close()
    await b.close()
  })

  it('rolls back a revocation whose make() throws', async () => {
    const store = postgresStore({ connectionString: databaseUrl(), schema: freshSchema() })
    const record = makeRecord()
    await store.createSession(record)
    await expect(
      store.revokeSessions([record.id], () => {
        throw new Error('nope')
      }),
    ).rejects.toThrow('nope')
    expect(await store.getSession(record.id)).toEqual(record)
    expect(await store.listRevocations(0)).toEqual([])
    await store.close()
  })

  it('rejects, rather than hangs, while the database is unreachable', async () => {
    const store = postgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres' })
    await expect(store.getSession('x')).rejects.toThrow()
    await store.close()
  })
})

describe('notifyPayloads', () => {
  it('splits into valid JSON arrays under the byte limit, keeping every entry', () => {
    const revs = Array.from({ length: 500 }, (_, i) => ({
      sessionId: `s${i}`.padEnd(30, 'x'),
      userId: 'ü'.repeat(20),
      reason: 'revoked' as const,
      revokedAt: i,
      expiresAt: i + 1,
    }))
    const payloads = notifyPayloads(revs, 2000)
    expect(payloads.length).toBeGreaterThan(1)
    expect(payloads.every((p) => Buffer.byteLength(p) <= 2000)).toBe(true)
    expect(payloads.flatMap((p) => JSON.parse(p))).toEqual(revs)
    expect(notifyPayloads([])).toEqual([])
  })
})
