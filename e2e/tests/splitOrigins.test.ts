/**
 * SPA and API on different origins of one site: the page on `http://app.latch.localhost:P1`, the
 * API on `http://api.latch.localhost:P2`, cookie transport with CORS credentials and the server
 * package's exported exposed/allowed headers. (`app.localhost` and `api.localhost` would be two
 * sites in Chromium, which takes `localhost` as the public suffix; under `latch.localhost` they
 * share the site `latch.localhost`, so the SameSite cookies travel.)
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, sessionStatus } from '../harness'
import { openApp, signIn } from '../src/browser'
import { type SplitDeployment, startSplitDeployment } from '../src/splitDeployment'
import { runStorm } from '../src/storm'

const TABS = 8
const CALLS = 20
/** Seconds; `E2E_ACCESS_TTL` raises it on a slow machine (a burst must fit in one token's life). */
const ACCESS_TTL_S = Number(process.env.E2E_ACCESS_TTL ?? 30)
/** One expiry by default (the engine suite runs more on one origin); `E2E_ROUNDS` adds more. */
const ROUNDS = Number(process.env.E2E_ROUNDS ?? 1)

let deployment: SplitDeployment
let browser: Browser
let context: BrowserContext
let pages: Page[] = []

beforeAll(async () => {
  deployment = await startSplitDeployment({
    appHost: 'app.latch.localhost',
    apiHost: 'api.latch.localhost',
    transport: 'cookie',
    apiEnv: { LATCH_ACCESS_TTL: `${ACCESS_TTL_S}s` },
  })
  browser = await launchBrowser()
  context = await browser.newContext()
})

afterAll(async () => {
  await browser?.close()
  await deployment?.stop()
})

describe('SPA and API on two origins of one site (cookies + CORS)', () => {
  it('signs in through the form; the session cookies belong to the API origin', async () => {
    const first = await openApp(context, deployment.appUrl, { proactive: false })
    await signIn(first, 'alice', 'wonderland')
    // All cookies, whatever their path (the refresh cookie's is /auth/session): only the API's.
    const cookies = await context.cookies()
    expect(cookies.map((cookie) => `${cookie.domain} ${cookie.name}`).sort()).toEqual([
      'api.latch.localhost latch-access',
      'api.latch.localhost latch-front',
      'api.latch.localhost latch-refresh',
    ])
    pages = [first]
    for (let i = 1; i < TABS; i++) pages.push(await openApp(context, deployment.appUrl, { proactive: false }))
    for (const page of pages) {
      await expect.poll(() => sessionStatus(page), { timeout: 5000 }).toBe('authenticated')
    }
    // The page reads its own API through CORS: the front token came in the exposed header.
    const me = await first.evaluate(
      async (url) => (await window.latch.fetch(`${url}/api/me`)).json(),
      deployment.apiUrl,
    )
    expect(me).toMatchObject({ userId: 'alice' })
    // Bound refresh across origins: the key lives with the page's origin, the session on the API.
    const devices = await first.evaluate(
      async (url) => (await window.latch.fetch(`${url}/api/sessions`)).json(),
      deployment.apiUrl,
    )
    expect(devices.find((d: { current: boolean }) => d.current)?.bound).toBe(true)
  })

  it(
    `${TABS} tabs × ${CALLS} calls after expiry: every call 200, one refresh per expiry, ${ROUNDS} rounds`,
    async () => {
      await runStorm(pages, deployment.api, `${deployment.apiUrl}/api/me`, {
        rounds: ROUNDS,
        calls: CALLS,
        accessTtlS: ACCESS_TTL_S,
      })
    },
    (ACCESS_TTL_S * 3 + 60) * 1000 * ROUNDS,
  )

  // The front token lives in localStorage here too: see the same test in crossSiteHeader.test.ts.
  it('signs out in one tab and every tab follows; the API refuses the old refresh token', async () => {
    const oldRefresh = (await context.cookies()).find((c) => c.name === 'latch-refresh')
    await pages[3]!.getByRole('button', { name: 'Sign out', exact: true }).click()
    for (const page of pages) {
      await expect.poll(() => sessionStatus(page), { timeout: 5000 }).toBe('unauthenticated')
    }
    expect((await context.cookies()).map((c) => c.name)).toEqual([])
    const response = await fetch(`${deployment.api.url}/auth/session/refresh`, {
      method: 'POST',
      headers: { cookie: `latch-refresh=${oldRefresh!.value}`, 'x-latch-csrf': '1' },
    })
    expect([response.status, response.headers.get('x-latch-error')]).toEqual([401, 'unauthorized'])
  })
})
