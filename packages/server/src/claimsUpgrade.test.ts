/**
 * Upgrading from the release that judged staleness by time: its access tokens (fractional `iat`,
 * no `cv`) and its stale marks (a time, no version) are still in the store and in browsers. The
 * new release keeps accepting those tokens, judges those marks by time as that release did, and
 * nobody is signed out or caught in a refresh loop; the first claims update after it works by
 * version.
 */
import { createPrivateKey, sign } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { Browser, fakeClock, verifyToken } from '../test/harness.js'
import { createSessionManager, type SessionManager } from './createSessionManager.js'
import { openSqliteFile } from './stores/sqlite/sqliteDriver.js'
import { sqliteStore } from './stores/sqlite.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error) => error.code ?? error.name,
  )

test('tokens and stale marks of the time-based release keep working: no sign-out, no refresh loop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latch-upgrade-'))
  const path = join(dir, 'sessions.db')
  const store = sqliteStore({ path, sweepIntervalMs: 0 })
  const clock = fakeClock(Date.UTC(2026, 0, 1) + 250)
  const managers: SessionManager[] = []
  const open = () => {
    const sessions = createSessionManager({ store, now: clock.now })
    managers.push(sessions)
    return sessions
  }
  cleanups.push(async () => {
    for (const m of managers) await m.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const first = open()
  const alice = new Browser(first)
  const created = await alice.signIn('alice', { role: 'reader' })
  const sessionId = created.session.sessionId

  // What the previous release issued: `iat` with milliseconds, no `cv`, signed with the stored key.
  const [key] = await store.listKeys()
  const privateKey = createPrivateKey({ key: JSON.parse(key!.privateJwk), format: 'jwk' })
  const legacyToken = (iatMs: number) => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const input = `${part({ alg: key!.alg, kid: key!.kid, typ: 'latch+jwt' })}.${part({
      role: 'reader',
      sid: sessionId,
      sub: 'alice',
      iss: 'latch',
      iat: iatMs / 1000,
      exp: Math.floor(iatMs / 1000) + 600,
    })}`
    return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`
  }
  const beforeMark = legacyToken(clock.now() - 100)
  const afterMark = legacyToken(clock.now() + 100)
  expect(await verifyToken(first, beforeMark)).toMatchObject({ userId: 'alice', claimsVersion: null })

  // A mark the previous release stored (a time, no version), in the middle of the second.
  const db = openSqliteFile(path, 'better-sqlite3')
  db.prepare(`UPDATE latch_sessions SET claims = '{"role":"editor"}' WHERE id = ?`).run(sessionId)
  db.prepare(
    `INSERT INTO latch_stale_marks (session_id, user_id, marked_at, expires_at) VALUES (?, 'alice', ?, ?)`,
  ).run(sessionId, clock.now(), clock.now() + 600_000)
  db.close()

  // The new release starting on that store: the old rule for the old mark, to the millisecond.
  const upgraded = open()
  await upgraded.ready
  expect(await code(verifyToken(upgraded, beforeMark))).toBe('try_refresh')
  expect((await verifyToken(upgraded, afterMark)).claims).toEqual({ role: 'reader' })
  // One refresh, in the same second as the mark: its whole-second token is not refused again.
  const onUpgraded = new Browser(upgraded, alice.jar)
  expect((await onUpgraded.refresh()).status).toBe(200)
  const refreshed = await onUpgraded.verify()
  expect(refreshed).toMatchObject({ claims: { role: 'editor' }, claimsVersion: 0 })
  expect(Math.floor(refreshed.issuedAt / 1000)).toBe(Math.floor(clock.now() / 1000))

  // The first update after the upgrade goes by version: the old tokens and the version-0 one are stale.
  clock.advance(10)
  expect(await upgraded.updateSessionClaims(sessionId, { role: 'admin' })).toBe(true)
  expect(await code(onUpgraded.verify())).toBe('try_refresh')
  expect(await code(verifyToken(upgraded, afterMark))).toBe('try_refresh')
  expect((await onUpgraded.refresh()).status).toBe(200)
  expect(await onUpgraded.verify()).toMatchObject({ claims: { role: 'admin' }, claimsVersion: 1 })
})
