/**
 * A late answer never ends a newer session (DESIGN.md, HTTP contract): tab B's call, sent with
 * alice's session S1, is held by the test (Playwright `route`), fetched from the server once S1
 * is signed out (so it is a real `401 unauthorized` for S1), and delivered only after tab A signed
 * in as bob (S2). Bob stays signed in in every tab, and `/api/me` is bob everywhere.
 */
import type { Browser, BrowserContext, Page, Route } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, sessionStatus } from '../harness'
import { openApp, signIn } from '../src/browser'
import { type DemoServer, startDemoServer } from '../src/demoServer'

let server: DemoServer
let browser: Browser
let context: BrowserContext
let tabs: Page[]

beforeAll(async () => {
  server = await startDemoServer()
  browser = await launchBrowser()
  context = await browser.newContext()
  tabs = []
  for (let i = 0; i < 3; i++) tabs.push(await openApp(context, server.url))
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const meIn = (page: Page) =>
  page.evaluate(async () => {
    const response = await window.latch.fetch('/api/me')
    return [response.status, ((await response.json()) as { userId?: string }).userId]
  })

describe('a late session-ending answer for S1 after a sign-in as S2', () => {
  it('leaves bob signed in in every tab, and says in tab B what was ignored', async () => {
    const [tabA, tabB, tabC] = tabs as [Page, Page, Page]
    await signIn(tabA, 'alice', 'wonderland')
    for (const tab of tabs)
      await expect.poll(() => sessionStatus(tab), { timeout: 5000 }).toBe('authenticated')
    const aliceCookie = (await context.cookies()).find((c) => c.name === 'latch-access')!.value

    // Hold tab B's next /api/me call.
    let held!: (route: Route) => void
    const heldRoute = new Promise<Route>((resolve) => {
      held = resolve
    })
    await tabB.route('**/api/me', (route) => held(route), { times: 1 })
    await tabB.evaluate(() => {
      ;(window as { lateCall?: Promise<unknown> }).lateCall = window.latch
        .fetch('/api/me')
        .then((response) => response.status)
    })
    const route = await heldRoute

    // Tab A signs out (S1 is revoked) and signs in as bob (S2) while B's call is in the air.
    await tabA.getByRole('button', { name: 'Sign out', exact: true }).click()
    await expect.poll(() => sessionStatus(tabA), { timeout: 5000 }).toBe('unauthenticated')
    // The held call reaches the server now, with S1's cookie: a real answer about S1.
    const late = await route.fetch({
      headers: { ...route.request().headers(), cookie: `latch-access=${aliceCookie}` },
    })
    expect([late.status(), late.headers()['x-latch-error']]).toEqual([401, 'unauthorized'])
    await tabA.getByRole('heading', { name: 'Sign in' }).waitFor()
    await signIn(tabA, 'bob', 'builder')
    for (const tab of tabs) {
      await expect
        .poll(() => tab.evaluate(() => window.latch.getSnapshot().session?.userId), { timeout: 5000 })
        .toBe('bob')
    }

    // Only now does tab B get its answer about S1.
    await route.fulfill({ response: late })
    expect(await tabB.evaluate(() => (window as { lateCall?: Promise<unknown> }).lateCall)).toBe(401)

    // Bob is still signed in in every tab, the front cookie is there, and the API agrees.
    for (const tab of [tabA, tabB, tabC]) {
      expect(await sessionStatus(tab)).toBe('authenticated')
      await tab.getByTestId('user').filter({ hasText: 'bob' }).waitFor({ timeout: 5000 })
      expect(await meIn(tab)).toEqual([200, 'bob'])
    }
    await tabB.locator('[data-event="lateAnswer"]').first().waitFor({ timeout: 5000 })
    expect((await context.cookies()).map((c) => c.name).sort()).toEqual([
      'latch-access',
      'latch-front',
      'latch-refresh',
    ])
  })
})
