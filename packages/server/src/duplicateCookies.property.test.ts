/**
 * Properties of duplicated cookies (DESIGN.md, "Duplicate cookies"): whatever stray copies sit
 * beside the live one, a protected route accepts the request as long as the live copy is among
 * the first three, and a refresh with the live refresh copy among stale, garbage and oversized
 * ones rotates the session and never trips theft detection.
 */
import fc from 'fast-check'
import { afterAll, describe, expect, test, vi } from 'vitest'
import { Browser, fakeClock } from '../test/harness.js'
import { cachedVerifier } from './adapters/adapter.js'
import { createSessionManager } from './createSessionManager.js'
import { memoryStore } from './stores/memory.js'
import { MAX_COOKIE_HEADER_LENGTH } from './transport/cookies.js'

const clock = fakeClock()
const onTheftDetected = vi.fn()
const sessions = createSessionManager({ store: memoryStore(), now: clock.now, onTheftDetected })
afterAll(() => sessions.close())

/** A stray copy: garbage, oversized, a well-formed but forged token, or (filled in later) a stale one. */
const stray = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,120}$/),
  fc.constant('a'.repeat(5000)),
  fc.constant(`${'A'.repeat(22)}.${'B'.repeat(64)}`),
  fc.constant('STALE'),
)

/** Puts `live` at `position` among `strays` (position clamped so it is among the first three). */
function withLive(strays: string[], live: string, position: number): string[] {
  const copies = [...strays]
  copies.splice(Math.min(position, 2, copies.length), 0, live)
  return copies
}

describe('duplicate cookies under random strays', () => {
  test('property: the live access copy among the first three wins, through the cache or not', async () => {
    const browser = new Browser(sessions)
    const { accessToken } = await browser.signIn('alice')
    const stale = (await new Browser(sessions).signIn('bob')).accessToken
    await fc.assert(
      fc.asyncProperty(
        fc.array(stray, { maxLength: 4 }),
        fc.nat(3),
        fc.constantFrom('; ', ', '),
        async (strays, position, separator) => {
          const copies = withLive(
            strays.map((s) => (s === 'STALE' ? stale : s)),
            accessToken,
            position,
          ).map((value) => `latch-access=${value}`)
          const cookie = copies.join(separator)
          const request = new Request('http://localhost/api/me', { headers: { cookie } })
          // Four 5 000-character strays pass the whole header's bound: no copy is read, by design.
          if (cookie.length > MAX_COOKIE_HEADER_LENGTH) {
            expect(() => cachedVerifier(sessions)(request)).toThrow(
              expect.objectContaining({ code: 'try_refresh' }),
            )
            return
          }
          // A stray bob copy before the live one would win: browsers never hold two users' live
          // copies at once, so only the copies that verify as alice or not at all are asserted.
          const session = cachedVerifier(sessions)(request) ?? (await sessions.verify(request))
          const firstLive = copies.findIndex((c) => c.endsWith(accessToken) || c.endsWith(stale))
          expect(session.userId).toBe(copies[firstLive]!.endsWith(stale) ? 'bob' : 'alice')
        },
      ),
      { numRuns: 150 },
    )
  })

  test('property: a live refresh copy among stale, garbage and oversized copies rotates, no theft', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stray, { maxLength: 2 }), fc.nat(2), async (strays, position) => {
        const browser = new Browser(sessions)
        const created = await browser.signIn('alice')
        await browser.refresh()
        clock.advance(11_000) // past the reuse grace: the first token alone is now theft
        const live = browser.jar.get('latch-refresh')!
        const copies = withLive(
          strays.map((s) => (s === 'STALE' ? created.refreshToken : s)),
          live,
          position,
        )
        const response = (await sessions.handle(
          new Request('http://localhost/auth/session/refresh', {
            method: 'POST',
            headers: {
              cookie: copies.map((value) => `latch-refresh=${value}`).join('; '),
              'x-latch-csrf': '1',
            },
          }),
        ))!
        expect(response.status).toBe(200)
        expect(onTheftDetected).not.toHaveBeenCalled()
        browser.jar.absorb(response.headers)
        expect((await browser.verify()).sessionId).toBe(created.session.sessionId)
      }),
      { numRuns: 60 },
    )
  })
})
