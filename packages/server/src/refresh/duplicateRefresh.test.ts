/**
 * Rule 1b over HTTP, on every single-node store (memory takes the one-step rotation, SQLite the
 * judged path): a tab that read the front token before another tab's refresh answer reached the
 * shared cookie jar sends the jar's current refresh token while saying it saw the older
 * generation. That is a duplicate of the refresh that made the token: it gets the token back, not
 * a second rotation, so an older copy still in flight stays within the grace instead of being
 * judged theft.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { Browser, managerOn, STORES } from '../../test/harness.js'
import type { SessionManager } from '../createSessionManager.js'

const GRACE_MS = 10_000

describe.each(STORES)('a duplicate refresh that presents the current token (%s)', (_name, makeStore) => {
  let made: ReturnType<typeof makeStore>
  let sessions: SessionManager
  let clock: ReturnType<typeof managerOn>['clock']
  let tabA: Browser

  beforeEach(async () => {
    made = makeStore()
    ;({ sessions, clock } = managerOn(made.store, undefined, { reuseGrace: '10s' }))
    tabA = new Browser(sessions)
    await tabA.signIn('alice')
  })
  afterEach(async () => {
    await sessions?.close()
    await made.cleanup()
  })

  const code = (response: Response) => response.headers.get('x-latch-error')

  test('a tab behind the jar gets the current token again; the copy in flight gets it too; no theft', async () => {
    // Tab C's refresh left before tab A's answer arrived: it carries the generation-0 token.
    const inFlight = tabA.fork()
    expect((await tabA.refresh({ seenGeneration: 0 })).status).toBe(200)
    const current = tabA.jar.get('latch-refresh')
    expect(tabA.jar.generation()).toBe(1)
    clock.advance(2000)
    // Tab B shares tab A's jar but read the front token before the answer landed.
    const duplicate = await tabA.refresh({ seenGeneration: 0 })
    expect([duplicate.status, code(duplicate)]).toEqual([200, null])
    expect(tabA.jar.get('latch-refresh')).toBe(current)
    expect(tabA.jar.generation()).toBe(1)
    // The fresh access token works.
    expect((await tabA.verify()).userId).toBe('alice')
    // Tab C's answer: the same successor (rule 2), not theft.
    const late = await inFlight.refresh({ seenGeneration: 0 })
    expect([late.status, code(late)]).toEqual([200, null])
    expect(inFlight.jar.get('latch-refresh')).toBe(current)
    // The next refresh from an up-to-date tab rotates as usual.
    expect((await tabA.refresh({ seenGeneration: 1 })).status).toBe(200)
    expect(tabA.jar.generation()).toBe(2)
    expect(tabA.jar.get('latch-refresh')).not.toBe(current)
  })

  test('a leftover front cookie of an older generation sent first does not hide that the tab is behind', async () => {
    const leftover = tabA.jar.get('latch-front')!
    expect((await tabA.refresh({ seenGeneration: 0 })).status).toBe(200)
    const current = tabA.jar.get('latch-refresh')!
    // The older copy first, as a browser sends the one with the longer Path first.
    const cookie = `latch-front=${leftover}; latch-refresh=${current}; latch-front=${tabA.jar.get('latch-front')}`
    const duplicate = await sessions.handle(
      new Request('http://localhost/auth/session/refresh?generation=0', {
        method: 'POST',
        headers: { cookie, 'x-latch-csrf': '1' },
      }),
    )
    tabA.jar.absorb(duplicate!.headers)
    expect([duplicate!.status, tabA.jar.get('latch-refresh'), tabA.jar.generation()]).toEqual([
      200,
      current,
      1,
    ])
  })

  test('without a front cookie naming a later generation, the refresh rotates as before, on every store', async () => {
    expect((await tabA.refresh({ seenGeneration: 0 })).status).toBe(200)
    const current = tabA.jar.get('latch-refresh')!
    const answer = await sessions.handle(
      new Request('http://localhost/auth/session/refresh?generation=0', {
        method: 'POST',
        headers: { cookie: `latch-refresh=${current}`, 'x-latch-csrf': '1' },
      }),
    )
    tabA.jar.absorb(answer!.headers)
    expect(answer!.status).toBe(200)
    expect(tabA.jar.generation()).toBe(2)
    expect(tabA.jar.get('latch-refresh')).not.toBe(current)
  })

  test('without the generation (an older client) the duplicate rotates again, and the copy in flight is then theft', async () => {
    // What rule 1b prevents, shown on the same race.
    const inFlight = tabA.fork()
    expect((await tabA.refresh()).status).toBe(200)
    expect((await tabA.refresh()).status).toBe(200)
    expect(tabA.jar.generation()).toBe(2)
    const late = await inFlight.refresh()
    expect([late.status, code(late)]).toEqual([401, 'token_theft_detected'])
  })

  test('after the grace, a tab behind the jar rotates as usual', async () => {
    expect((await tabA.refresh({ seenGeneration: 0 })).status).toBe(200)
    clock.advance(GRACE_MS + 1)
    expect((await tabA.refresh({ seenGeneration: 0 })).status).toBe(200)
    expect(tabA.jar.generation()).toBe(2)
  })

  test('a generation at or ahead of the current one, or not a whole number, changes nothing', async () => {
    let generation = 0
    for (const seen of ['0', '1', '7', '', 'abc', '-1', '1.5', '1e3', '99999999999999999999', '%00']) {
      const response = await tabA.refresh({ seenGeneration: seen })
      expect([seen, response.status, code(response)]).toEqual([seen, 200, null])
      generation++
      expect(tabA.jar.generation(), `after ?generation=${seen}`).toBe(generation)
      // Each claim is tested against a token that just rotated, inside the grace.
      clock.advance(100)
    }
  })
})
