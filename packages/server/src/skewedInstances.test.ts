/**
 * Two instances whose clocks differ by 5 s (either way), on one shared store with push (Redis
 * pub/sub, Postgres NOTIFY): a claims update and a key revocation made on either instance are in
 * effect on both within a second, the one refresh that follows is accepted on both at once (no
 * false stale, no refresh loop), and nobody is signed out. Staleness goes by claims version, so
 * no clock is compared between instances; deciding it by time fails here (a mark set by the
 * clock ahead refuses the other's fresh tokens for 5 s, one set by the clock behind misses the
 * other's old tokens).
 */
import { afterEach, describe, expect, test } from 'vitest'
import { Browser } from '../test/harness.js'
import { databaseUrl, dropPostgresSchema, dropRedisPrefix, redisUrl, uniqueName } from '../test/namespaces.js'
import { createSessionManager, type SessionManager } from './createSessionManager.js'
import { postgresStore } from './stores/postgres.js'
import { redisStore } from './stores/redis.js'
import type { SessionStore } from './stores/SessionStore.js'
import type { VerifiedSession } from './tokens/accessToken.js'

const SKEW = 5_000

const STORES: [string, () => { open: () => SessionStore; drop: () => Promise<void> }][] = [
  [
    'redis',
    () => {
      const keyPrefix = `latch-test:${uniqueName('skew')}:`
      return {
        open: () => redisStore({ url: redisUrl(), keyPrefix }),
        drop: () => dropRedisPrefix(keyPrefix),
      }
    },
  ],
  [
    'postgres',
    () => {
      const schema = uniqueName('skew')
      return {
        open: () => postgresStore({ connectionString: databaseUrl(), schema }),
        drop: () => dropPostgresSchema(schema),
      }
    },
  ],
]

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error) => error.code ?? error.name,
  )
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` until it holds; resolves how long that took (ms), or rejects after `within`. */
async function inEffectWithin(within: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now()
  while (!(await check())) {
    if (Date.now() - start > within) throw new Error(`not in effect within ${within} ms`)
    await sleep(10)
  }
  return Date.now() - start
}

describe.each(STORES)('instances 5 s apart on %s', (_kind, makeStores) => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  /** `ahead` runs 5 s ahead of `behind` (each on its own store client, as two processes would). */
  async function pair() {
    const { open, drop } = makeStores()
    const stores = [open(), open()]
    const ahead = createSessionManager({
      store: stores[0]!,
      now: () => Date.now() + SKEW,
      keySyncInterval: '200ms',
    })
    const behind = createSessionManager({
      store: stores[1]!,
      now: () => Date.now(),
      keySyncInterval: '200ms',
    })
    cleanups.push(async () => {
      for (const m of [ahead, behind]) await m.close()
      for (const s of stores) await s.close()
      await drop()
    })
    await Promise.all([ahead.ready, behind.ready])
    return { ahead, behind }
  }

  /** A user signed in on `on`, with a browser on each instance sharing the cookies. */
  async function signedIn(on: SessionManager, other: SessionManager, claims: Record<string, unknown>) {
    const here = new Browser(on)
    const created = await here.signIn('alice', claims)
    const there = new Browser(other, here.jar)
    return { here, there, sessionId: created.session.sessionId }
  }

  /** Both instances accept the browser's current token, with these claims, now and in a moment. */
  async function acceptedOnBoth(browsers: Browser[], claims: Record<string, unknown>) {
    for (let i = 0; i < 3; i++) {
      for (const browser of browsers) {
        const session: VerifiedSession = await browser.verify()
        expect(session.claims).toEqual(claims)
      }
      await sleep(150)
    }
  }

  for (const updater of ['ahead', 'behind'] as const) {
    test(`a claims update on the instance ${updater}: in effect on both within 1 s; one refresh, on either, is accepted on both`, async () => {
      const managers = await pair()
      const other = updater === 'ahead' ? managers.behind : managers.ahead
      const { here, there, sessionId } = await signedIn(managers[updater], other, { role: 'reader' })
      // A second session refreshed on the other instance, so each instance has issued a token.
      const second = await signedIn(other, managers[updater], { role: 'reader' })
      for (const b of [here, there, second.here, second.there])
        expect((await b.verify()).claims.role).toBe('reader')

      expect(await managers[updater].updateUserClaims('alice', { role: 'editor' })).toBe(2)
      // Both instances refuse every old token within a second (cached ones included).
      await inEffectWithin(1000, async () => {
        const codes = await Promise.all([here, there, second.here, second.there].map((b) => code(b.verify())))
        return codes.every((c) => c === 'try_refresh')
      })
      // One refresh per session, on the instance whose clock would make a time-based mark refuse
      // it (ahead's mark, behind's token) or miss it (behind's mark, ahead's token): accepted on both.
      expect((await there.refresh()).status).toBe(200)
      expect((await second.here.refresh()).status).toBe(200)
      await acceptedOnBoth([here, there, second.here, second.there], { role: 'editor' })
      // And a further update on the other instance works the same way.
      expect(await other.updateSessionClaims(sessionId, { role: 'admin' })).toBe(true)
      await inEffectWithin(1000, async () => (await code(here.verify())) === 'try_refresh')
      expect((await here.refresh()).status).toBe(200)
      await acceptedOnBoth([here, there], { role: 'admin' })
    })

    test(`a key revocation on the instance ${updater}: refused on both within 1 s; one refresh mends it, nobody signed out`, async () => {
      const managers = await pair()
      const other = updater === 'ahead' ? managers.behind : managers.ahead
      const { here, there } = await signedIn(managers[updater], other, { role: 'reader' })
      const second = await signedIn(other, managers[updater], { role: 'reader' })
      for (const b of [here, there, second.here, second.there]) await b.verify()

      const { revokedKid } = await managers[updater].revokeCurrentKey()
      await inEffectWithin(1000, async () => {
        const codes = await Promise.all([here, there, second.here, second.there].map((b) => code(b.verify())))
        return codes.every((c) => c === 'try_refresh')
      })
      expect((await managers[updater].jwks()).keys.map((k) => k.kid)).not.toContain(revokedKid)
      // One refresh per session, on the instance that did not revoke: it signs with the
      // replacement, which both accept (no second refresh, no sign-out).
      for (const b of [there, second.here]) expect((await b.refresh()).status).toBe(200)
      await acceptedOnBoth([here, there, second.here, second.there], { role: 'reader' })
    })
  }
})
