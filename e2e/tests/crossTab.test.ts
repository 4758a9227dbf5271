/**
 * Sign-in and sign-out in one tab reach every other tab of the browser within a second or two,
 * without a reload: the session client broadcasts, React re-renders.
 */
import type { Browser, BrowserContext, Cookie, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, sessionStatus } from '../harness'
import { openApp, signIn } from '../src/browser'
import { type DemoServer, startDemoServer } from '../src/demoServer'

const PROPAGATION_MS = 5000

let server: DemoServer
let browser: Browser
let context: BrowserContext
let tabs: Page[]
/** The cookies as they were before sign-out: what a copy of them would still hold. */
let oldCookies: Cookie[] = []

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

describe('cross-tab session state', () => {
  it('starts signed out in every tab', async () => {
    for (const tab of tabs) {
      expect(await sessionStatus(tab)).toBe('unauthenticated')
      await tab.getByRole('heading', { name: 'Sign in' }).waitFor()
    }
  })

  it('shows a sign-in in one tab in every other tab', async () => {
    await signIn(tabs[0]!, 'bob', 'builder')
    for (const tab of tabs.slice(1)) {
      await expect.poll(() => sessionStatus(tab), { timeout: PROPAGATION_MS }).toBe('authenticated')
      await tab.getByTestId('user').filter({ hasText: 'bob' }).waitFor({ timeout: PROPAGATION_MS })
    }
  })

  it('shows a sign-out in one tab in every other tab, and logs it there', async () => {
    oldCookies = await context.cookies()
    await tabs[1]!.getByRole('button', { name: 'Sign out', exact: true }).click()
    for (const tab of tabs) {
      await expect.poll(() => sessionStatus(tab), { timeout: PROPAGATION_MS }).toBe('unauthenticated')
      await tab.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: PROPAGATION_MS })
    }
    // The activity log says why, here and in the other tabs (every sign-out carries its reason).
    await tabs[1]!
      .locator('[data-event="signedOut"][data-reason="signout"]')
      .first()
      .waitFor({ timeout: PROPAGATION_MS })
    for (const other of [tabs[0]!, tabs[2]!]) {
      const entry = other.locator('[data-event="signedOutElsewhere"][data-reason="signout"]').first()
      await entry.waitFor({ timeout: PROPAGATION_MS })
      await expect.poll(() => entry.textContent()).toContain('reason: signout')
    }
  })

  it('really ended the session on the server: the old access token is refused', async () => {
    const access = oldCookies.find((cookie) => cookie.name === 'latch-access')
    expect(access).toBeDefined()
    const response = await fetch(`${server.url}/api/me`, {
      headers: { cookie: `latch-access=${access!.value}` },
    })
    expect(response.status).toBe(401)
    expect(response.headers.get('x-latch-error')).toBe('unauthorized')
  })
})
