/**
 * A cross-site API in header transport: the page on `http://localhost:P1`, the API on
 * `http://127.0.0.1:P2` (another site, so no cookie would travel), tokens in localStorage sent as
 * `Authorization: Bearer`, the front token read from the exposed `x-latch-front-token` header.
 * Sign-in, the many-tab storm with one rotation per expiry, cross-tab sign-out, bound refresh (a
 * copied token without the key is refused), theft detection of an unbound session.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, sessionStatus } from '../harness'
import { openApp, signIn } from '../src/browser'
import { type SplitDeployment, startSplitDeployment } from '../src/splitDeployment'
import { runStorm } from '../src/storm'

const TABS = 8
const CALLS = 20
const ACCESS_TTL_S = Number(process.env.E2E_ACCESS_TTL ?? 30)
const ROUNDS = Number(process.env.E2E_ROUNDS ?? 1)
/** Short, so the theft test can wait it out; long enough to absorb a second tab's refresh. */
const REUSE_GRACE_S = 3

let deployment: SplitDeployment
let browser: Browser
let context: BrowserContext
let pages: Page[] = []

/** The header-mode tokens the client stored: in the front token's entry, after it (`front access refresh`). */
const storedTokens = (page: Page) =>
  page.evaluate(() => {
    const [, access = null, refresh = null] = localStorage.getItem('latch.front')?.split(' ') ?? []
    return { access, refresh }
  })

beforeAll(async () => {
  deployment = await startSplitDeployment({
    appHost: 'localhost',
    apiHost: '127.0.0.1',
    transport: 'header',
    apiEnv: { LATCH_ACCESS_TTL: `${ACCESS_TTL_S}s`, LATCH_REUSE_GRACE: `${REUSE_GRACE_S}s` },
  })
  browser = await launchBrowser()
  context = await browser.newContext()
})

afterAll(async () => {
  await browser?.close()
  await deployment?.stop()
})

describe('cross-site API, header transport', () => {
  it('signs in with tokens in storage and no cookie at all', async () => {
    const first = await openApp(context, deployment.appUrl, { proactive: false })
    await signIn(first, 'alice', 'wonderland')
    const tokens = await storedTokens(first)
    expect(tokens.access).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(tokens.refresh).toMatch(/^[\w-]+\.[\w-]+$/)
    expect(await context.cookies()).toEqual([])
    pages = [first]
    for (let i = 1; i < TABS; i++) pages.push(await openApp(context, deployment.appUrl, { proactive: false }))
    for (const page of pages) {
      await expect.poll(() => sessionStatus(page), { timeout: 5000 }).toBe('authenticated')
    }
  })

  it(
    `${TABS} tabs × ${CALLS} calls after expiry: every call 200, one rotation per expiry, no theft`,
    async () => {
      await runStorm(pages, deployment.api, `${deployment.apiUrl}/api/me`, {
        rounds: ROUNDS,
        calls: CALLS,
        accessTtlS: ACCESS_TTL_S,
        // The in-lock re-check reads the front token from localStorage (see storm.ts).
        exactRefreshCount: false,
      })
      expect(await context.cookies()).toEqual([])
    },
    (ACCESS_TTL_S * 3 + 60) * 1000 * ROUNDS,
  )

  // The other tabs often get the sign-out message before the removed front token reaches their
  // localStorage; they follow on the storage event (packages/client/src/storageLag.test.ts).
  it('signs out in one tab and every tab follows; the tokens are gone', async () => {
    await pages[5]!.getByRole('button', { name: 'Sign out', exact: true }).click()
    for (const page of pages) {
      await expect.poll(() => sessionStatus(page), { timeout: 5000 }).toBe('unauthenticated')
    }
    expect(await storedTokens(pages[0]!)).toEqual({ access: null, refresh: null })
    await Promise.all(pages.slice(1).map((page) => page.close()))
    pages = pages.slice(0, 1)
  })

  it('bound: a copy of the stored refresh token cannot refresh without the key; the victim keeps working', async () => {
    // One tab, signed out (the tests above leave it so).
    const [victim] = pages as [Page]
    await victim.getByRole('heading', { name: 'Sign in' }).waitFor()
    await signIn(victim, 'alice', 'wonderland')
    const stolen = (await storedTokens(victim)).refresh!
    const before = await deployment.api.stats()
    // The thief replays the copy from elsewhere (XSS read localStorage): no key, so no proof.
    const thief = await fetch(`${deployment.api.url}/auth/session/refresh`, {
      method: 'POST',
      headers: { 'x-latch-transport': 'header', authorization: `Bearer ${stolen}` },
    })
    expect([thief.status, thief.headers.get('x-latch-error')]).toEqual([401, 'unauthorized'])
    const after = await deployment.api.stats()
    expect(after.bindingFailures).toBe(before.bindingFailures + 1)
    expect(after.theftDetected).toBe(before.theftDetected)
    // Nothing rotated or revoked: the victim refreshes with its key, and its device list says bound.
    expect(await victim.evaluate(async () => (await window.latch.refresh())?.generation)).toBe(1)
    const devices = await victim.evaluate(
      async (url) => (await window.latch.fetch(`${url}/api/sessions`)).json(),
      deployment.apiUrl,
    )
    expect(devices.find((d: { current: boolean }) => d.current)?.bound).toBe(true)
    await victim.evaluate(() => window.latch.signOut())
  })

  it('detects theft of an unbound session: a copy of the refresh token used after the victim rotated it', async () => {
    await Promise.all(pages.map((page) => page.close()))
    const victim = await openApp(context, deployment.appUrl, { proactive: false, binding: 'off' })
    pages = [victim]
    await victim.getByRole('heading', { name: 'Sign in' }).waitFor()
    await signIn(victim, 'bob', 'builder')
    const stolen = (await storedTokens(victim)).refresh!
    expect(await victim.evaluate(async () => (await window.latch.refresh())?.generation)).toBe(1)
    const theftsBefore = (await deployment.api.stats()).theftDetected
    // Past the reuse grace, the rotated-out token is no benign race any more.
    await new Promise((resolve) => setTimeout(resolve, (REUSE_GRACE_S + 0.5) * 1000))
    // The thief replays the copy from elsewhere (another site: header transport, no CSRF).
    const thief = await fetch(`${deployment.api.url}/auth/session/refresh`, {
      method: 'POST',
      headers: { 'x-latch-transport': 'header', authorization: `Bearer ${stolen}` },
    })
    expect([thief.status, thief.headers.get('x-latch-error')]).toEqual([401, 'token_theft_detected'])
    expect((await deployment.api.stats()).theftDetected).toBe(theftsBefore + 1)
    // The victim's next call learns it; the page says why it was signed out.
    const status = await victim.evaluate(
      async (url) => (await window.latch.fetch(`${url}/api/me`)).status,
      deployment.apiUrl,
    )
    expect(status).toBe(401)
    expect(await sessionStatus(victim)).toBe('unauthenticated')
    await victim.locator('[data-event="theftDetected"]').first().waitFor({ timeout: 5000 })
    expect(await storedTokens(victim)).toEqual({ access: null, refresh: null })
  })
})
