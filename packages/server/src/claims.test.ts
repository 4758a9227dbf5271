/**
 * Claims updates: stored at once, a stale mark pushed to every manager on the store (in process
 * here; multiInstanceKeysClaims.test.ts does it across processes), old access tokens answered
 * `try_refresh`, the refresh issues the new claims; and every refusal (reserved names, values
 * that are not JSON, too large) is a TypeError that stores nothing.
 */
import { afterEach, describe, expect, test } from 'vitest'
import { Browser, fakeClock, STORES, verifyToken } from '../test/harness.js'
import { createSessionManager, type SessionManager } from './createSessionManager.js'
import { memoryStore } from './stores/memory.js'
import type { SessionStore } from './stores/SessionStore.js'

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error) => error.code ?? error.name,
  )
const frontOf = (response: Response) =>
  JSON.parse(Buffer.from(response.headers.get('x-latch-front-token')!, 'base64url').toString())

describe.each(STORES)('claims updates on the %s store', (_name, makeStore) => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  const setup = () => {
    const { store, cleanup } = makeStore()
    const clock = fakeClock(Date.now())
    const managers: SessionManager[] = []
    const open = () => {
      const sessions = createSessionManager({ store, now: clock.now, publicClaims: ['name'] })
      managers.push(sessions)
      return sessions
    }
    cleanups.push(async () => {
      for (const m of managers) await m.close()
      await cleanup()
    })
    return { store, clock, open }
  }

  test('updateSessionClaims: old tokens are try_refresh on every manager, cached or not; the refresh issues the new claims', async () => {
    const { clock, open } = setup()
    const a = open()
    const b = open()
    const alice = new Browser(a)
    const created = await alice.signIn('alice', { name: 'Alice', role: 'reader' })
    expect(created.session.front.cl).toEqual({ name: 'Alice' }) // public claims only
    expect((await alice.verify()).claims).toEqual({ name: 'Alice', role: 'reader' }) // cached on A
    const onB = new Browser(b, alice.jar)
    await onB.verify() // cached on B
    const other = new Browser(a)
    await other.signIn('alice', { name: 'Alice', role: 'reader' })

    clock.advance(1)
    expect(await b.updateSessionClaims(created.session.sessionId, { name: 'Alicia', role: 'editor' })).toBe(
      true,
    )
    expect(await code(alice.verify())).toBe('try_refresh')
    expect(await code(onB.verify())).toBe('try_refresh')
    // Only that session: the user's other session keeps its claims and its token.
    expect((await other.verify()).claims.name).toBe('Alice')

    clock.advance(1)
    const refreshed = await alice.refresh()
    expect(refreshed.status).toBe(200)
    expect(frontOf(refreshed).cl).toEqual({ name: 'Alicia' })
    expect((await alice.verify()).claims).toEqual({ name: 'Alicia', role: 'editor' })
    expect((await onB.verify()).claims.role).toBe('editor')
    // In the same millisecond as the mark, too: a token issued after it is not stale.
    expect(await a.updateSessionClaims(created.session.sessionId, { name: 'A.' })).toBe(true)
    expect((await alice.refresh()).status).toBe(200)
    expect((await alice.verify()).claims).toEqual({ name: 'A.' })
  })

  test('updateUserClaims: every session of the user, and a manager started later loads the marks', async () => {
    const { clock, open } = setup()
    const a = open()
    const tabs = [new Browser(a), new Browser(a)]
    const bob = new Browser(a)
    for (const tab of tabs) await tab.signIn('alice', { name: 'Alice' })
    await bob.signIn('bob', { name: 'Bob' })
    const oldToken = tabs[0]!.jar.cookies.get('latch-access')!.value
    clock.advance(5)
    expect(await a.updateUserClaims('alice', { name: 'Alicia' })).toBe(2)
    for (const tab of tabs) expect(await code(tab.verify())).toBe('try_refresh')
    expect((await bob.verify()).claims).toEqual({ name: 'Bob' })
    const late = open()
    await late.ready
    expect(await code(verifyToken(late, oldToken))).toBe('try_refresh')
    for (const tab of tabs) expect((await tab.refresh()).status).toBe(200)
    for (const tab of tabs) expect((await tab.verify()).claims).toEqual({ name: 'Alicia' })
    expect(await a.updateUserClaims('nobody', { name: 'x' })).toBe(0)
    expect(await a.updateSessionClaims('no-such-session', { name: 'x' })).toBe(false)
  })
})

describe('claims refusals: a TypeError naming the problem, nothing stored', () => {
  const managers: SessionManager[] = []
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close()
  })
  const setup = async () => {
    const store: SessionStore = memoryStore()
    const sessions = createSessionManager({ store })
    managers.push(sessions)
    const alice = new Browser(sessions)
    const created = await alice.signIn('alice', { role: 'reader' })
    await alice.verify()
    return { store, sessions, alice, sessionId: created.session.sessionId }
  }
  const cycle: Record<string, unknown> = { a: 1 }
  cycle.self = cycle
  class Role {
    name = 'x'
  }
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ...['sub', 'sid', 'iat', 'exp', 'nbf', 'iss', 'aud', 'typ', 'jti'].map(
      (name) =>
        [`reserved ${name}`, { [name]: 'x' }, new RegExp(`may not set \`${name}\``)] as [
          string,
          Record<string, unknown>,
          RegExp,
        ],
    ),
    ['a function', { f: () => 1 }, /`claims.f` is a function/],
    ['undefined', { u: undefined }, /`claims.u` is undefined/],
    ['NaN', { n: Number.NaN }, /`claims.n` is NaN/],
    ['Infinity', { deep: { list: [1, Number.POSITIVE_INFINITY] } }, /`claims.deep.list\[1\]` is Infinity/],
    ['a BigInt', { big: 10n }, /`claims.big` is a bigint/],
    ['a symbol', { s: Symbol('s') }, /`claims.s` is a symbol/],
    ['a cycle', { c: cycle }, /`claims.c.self` is a cycle/],
    ['a Date', { when: new Date(0) }, /`claims.when` is a Date object/],
    ['a Map', { m: new Map() }, /`claims.m` is a Map object/],
    ['a class instance', { r: new Role() }, /`claims.r` is a Role object/],
    ['too large', { blob: 'x'.repeat(4000) }, /over its 4096-character bound/],
  ]

  test.each(bad)('%s', async (_what, claims, message) => {
    const { store, sessions, alice, sessionId } = await setup()
    await expect(sessions.updateSessionClaims(sessionId, claims)).rejects.toThrow(message)
    await expect(sessions.updateUserClaims('alice', claims)).rejects.toThrow(message)
    await expect(new Browser(sessions).signIn('bob', claims)).rejects.toThrow(message)
    await expect(sessions.updateSessionClaims(sessionId, claims)).rejects.toBeInstanceOf(TypeError)
    // Nothing stored: the claims are the old ones, no stale mark, no session for bob.
    expect((await store.getSession(sessionId))?.claims).toEqual({ role: 'reader' })
    expect(await store.listStaleMarks(0)).toEqual([])
    expect(await store.listUserSessions('bob', 0)).toEqual([])
    expect((await alice.verify()).claims).toEqual({ role: 'reader' })
  })

  test('claims that are not a plain object, and a bad session or user id', async () => {
    const { sessions, sessionId } = await setup()
    for (const claims of [null, [], 'x', new Date(0)]) {
      await expect(sessions.updateSessionClaims(sessionId, claims as never)).rejects.toThrow(/plain object/)
    }
    await expect(sessions.updateSessionClaims('', {})).rejects.toBeInstanceOf(TypeError)
    await expect(sessions.updateUserClaims(42 as never, {})).rejects.toBeInstanceOf(TypeError)
  })

  test('the publicClaims option is validated', () => {
    const store = memoryStore()
    for (const publicClaims of ['name', ['sub'], ['name', 'name'], [''], [42], Array(33).fill('x')]) {
      expect(() => createSessionManager({ store, publicClaims: publicClaims as never })).toThrow(
        /`publicClaims`/,
      )
    }
    managers.push(createSessionManager({ store, publicClaims: ['name', 'org:role'] }))
  })
})
