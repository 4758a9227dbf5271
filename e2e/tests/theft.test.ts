/**
 * A thief holding a copy of the victim's cookies. Whoever uses the rotated-out refresh token
 * second trips theft detection: the whole session is revoked, both end signed out, and the
 * victim's page says why. The server runs with no reuse grace, so the test need not wait it out.
 * The sessions are unbound (`?binding=off`, as in a browser without IndexedDB): a key-bound
 * session's copy cannot refresh at all (tests/bound.test.ts).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { launchBrowser, sessionStatus } from '../harness'
import { openApp, signIn } from '../src/browser'
import { type DemoServer, startDemoServer } from '../src/demoServer'

let server: DemoServer
let browser: Browser
let victimContext: BrowserContext
let thiefContext: BrowserContext
let victim: Page
let thief: Page

beforeAll(async () => {
  server = await startDemoServer({ env: { LATCH_REUSE_GRACE: '0s' } })
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

beforeEach(async () => {
  victimContext = await browser.newContext()
  victim = await openApp(victimContext, server.url, { binding: 'off' })
  await signIn(victim, 'alice', 'wonderland')
  // The thief copies every cookie, the httpOnly refresh token included.
  thiefContext = await browser.newContext()
  await thiefContext.addCookies(await victimContext.cookies())
  thief = await openApp(thiefContext, server.url, { binding: 'off' })
  expect(await sessionStatus(thief)).toBe('authenticated')
})

afterEach(async () => {
  await victimContext?.close()
  await thiefContext?.close()
})

const refresh = (page: Page) => page.evaluate(() => window.latch.refresh().then((s) => s?.generation ?? null))
const me = (page: Page) => page.evaluate(() => window.latch.fetch('/api/me').then((r) => r.status))

describe('token theft', () => {
  it('thief refreshes first: the victim’s refresh detects the theft, both end signed out', async () => {
    const thefts = (await server.stats()).theftDetected
    expect(await refresh(thief)).toBe(1)
    expect(await refresh(victim)).toBeNull()

    await victim.locator('[data-event="theftDetected"]').first().waitFor()
    expect(await sessionStatus(victim)).toBe('unauthenticated')
    await victim.getByRole('heading', { name: 'Sign in' }).waitFor()
    // The thief's still-valid access token is refused too: the revocation reached every request.
    expect(await me(thief)).toBe(401)
    await expect.poll(() => sessionStatus(thief)).toBe('unauthenticated')
    expect((await server.stats()).theftDetected).toBe(thefts + 1)
  })

  it('victim refreshes first: the thief trips the alarm, the victim learns it at its next request', async () => {
    const thefts = (await server.stats()).theftDetected
    expect(await refresh(victim)).toBe(1)
    expect(await refresh(thief)).toBeNull()
    await expect.poll(() => sessionStatus(thief)).toBe('unauthenticated')
    expect((await server.stats()).theftDetected).toBe(thefts + 1)

    expect(await me(victim)).toBe(401)
    await expect.poll(() => sessionStatus(victim)).toBe('unauthenticated')
    await victim.locator('[data-event="theftDetected"]').first().waitFor()
  })
})
