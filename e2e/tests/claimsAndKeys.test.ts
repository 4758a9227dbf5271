/**
 * Claims update and key revocation in a real browser with 4 tabs of one user: the display name
 * changed in one tab shows in all four after exactly one refresh request in total (the cross-tab
 * lock), and a revoked signing key costs the same one refresh; nobody is signed out, every call
 * succeeds. The demo runs with LATCH_DEMO_ADMIN=1 for the key revocation.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, sessionStatus } from '../harness'
import { openApp, signIn } from '../src/browser'
import { type DemoServer, type DemoStats, startDemoServer } from '../src/demoServer'
import { burst, generation } from '../src/session'

const TABS = 4
const REFRESH = 'POST /auth/session/refresh'

let server: DemoServer
let browser: Browser
let context: BrowserContext
let pages: Page[]

/** Refresh requests (any status) between two stats snapshots. */
function refreshesBetween(before: DemoStats, after: DemoStats): number {
  const was = before.requests[REFRESH] ?? {}
  const now = after.requests[REFRESH] ?? {}
  return Object.keys(now).reduce((sum, status) => sum + (now[status] ?? 0) - (was[status] ?? 0), 0)
}

const displayName = (page: Page) => page.getByTestId('display-name').textContent()

/** Every tab: signed in, on one generation, and its next calls succeed without another refresh. */
async function expectAllTabsCarryOn(generationAfter: number, before: DemoStats) {
  for (const page of pages) {
    await expect.poll(() => generation(page), { timeout: 5000 }).toBe(generationAfter)
    expect(await sessionStatus(page)).toBe('authenticated')
  }
  const statuses = (await Promise.all(pages.map((page) => burst(page, '/api/me', 3)))).flat()
  expect(statuses).toEqual(Array(TABS * 3).fill(200))
  const after = await server.stats()
  expect(refreshesBetween(before, after), 'refresh requests, all tabs together').toBe(1)
  expect(after.requests[REFRESH]?.['200'] ?? 0).toBe((before.requests[REFRESH]?.['200'] ?? 0) + 1)
  expect(after.theftDetected).toBe(before.theftDetected)
}

beforeAll(async () => {
  // A long access-token life: the only refreshes are the ones the change causes.
  server = await startDemoServer({ env: { LATCH_ACCESS_TTL: '10m', LATCH_DEMO_ADMIN: '1' } })
  browser = await launchBrowser()
  context = await browser.newContext()
  const first = await openApp(context, server.url, { proactive: false })
  await signIn(first, 'alice', 'wonderland')
  pages = [first]
  for (let i = 1; i < TABS; i++) pages.push(await openApp(context, server.url, { proactive: false }))
  for (const page of pages) {
    await page.waitForFunction(() => window.latch.getSnapshot().status === 'authenticated')
    await page
      .getByTestId('display-name')
      .filter({ hasText: /^Alice$/ })
      .waitFor()
  }
}, 60_000)

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await server?.stop()
})

describe(`${TABS} tabs of one user`, () => {
  it('a display name changed in one tab shows in every tab after one refresh request in total', async () => {
    const before = await server.stats()
    const generationBefore = (await generation(pages[0]!))!
    await pages[1]!.getByLabel('Display name').fill('  Alice Liddell ')
    await pages[1]!.getByRole('button', { name: 'Save' }).click()
    for (const page of pages)
      await expect.poll(() => displayName(page), { timeout: 5000 }).toBe('Alice Liddell')
    // The editing tab's log names the refresh that brought it; the others saw it from there.
    await expect
      .poll(() => pages[1]!.locator('body').textContent())
      .toContain('It brought the new display name “Alice Liddell”.')
    await expect
      .poll(() => pages[3]!.locator('body').textContent())
      .toContain('It brought the new display name “Alice Liddell”.')
    // The API agrees: the access token carries the new claim.
    const me = await pages[2]!.evaluate(() => window.latch.fetch('/api/me').then((r) => r.json()))
    expect(me.claims).toEqual({ name: 'Alice Liddell' })
    await expectAllTabsCarryOn(generationBefore + 1, before)
  }, 60_000)

  it('after a key revocation every tab carries on, with one refresh request in total', async () => {
    const before = await server.stats()
    const generationBefore = (await generation(pages[0]!))!
    const kidBefore = (await (await fetch(`${server.url}/auth/session/jwks.json`)).json()).keys[0].kid
    await pages[2]!.getByRole('button', { name: 'Revoke signing key' }).click()
    await pages[2]!.getByTestId('admin-result').filter({ hasText: 'now signing with' }).waitFor()
    const jwks = await (await fetch(`${server.url}/auth/session/jwks.json`)).json()
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).not.toContain(kidBefore)
    await expectAllTabsCarryOn(generationBefore + 1, before)
    for (const page of pages) expect(await displayName(page)).toBe('Alice Liddell')
  }, 60_000)
})
