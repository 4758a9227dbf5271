/**
 * The page lifecycle in Chromium, with the controls only its DevTools protocol gives
 * (DESIGN.md, "Browser client"): a tab frozen in the middle of a refresh (it holds the lock),
 * the back/forward cache with the browser's own verdict (`Page.backForwardCacheNotUsed`,
 * `notRestoredReasons`), and offline then online. The hung-lock-holder case runs in every
 * engine (src/crossTabSuite.ts), the clock cases in Chromium and Firefox (src/clockSkewCases.ts,
 * from the engine test files).
 */
import type { Browser, BrowserContext, CDPSession, Page, Route } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from '../harness'
import { openApp, signIn } from '../src/browser'
import { type DemoServer, startDemoServer } from '../src/demoServer'

const REFRESH = 'POST /auth/session/refresh'

let server: DemoServer
let browser: Browser

beforeAll(async () => {
  server = await startDemoServer({
    env: { LATCH_ACCESS_TTL: '3s', LATCH_REUSE_GRACE: '10s', LATCH_CLOCK_TOLERANCE: '0s' },
  })
  // Without Playwright's default --disable-back-forward-cache.
  browser = await launchBrowser({ bfcache: true })
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const counts = async (route: string) => ({ ...((await server.stats()).requests[route] ?? {}) })
const since = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([status, n]) => [status, n - (before[status] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  )

const meCall = (page: Page) =>
  page.evaluate(async () => {
    const started = performance.now()
    try {
      const response = await window.latch.fetch('/api/me')
      return { status: response.status as number | string, ms: performance.now() - started }
    } catch (error) {
      return { status: (error as { code?: string }).code ?? String(error), ms: performance.now() - started }
    }
  })

describe('lifecycle in Chromium', () => {
  let context: BrowserContext

  // Each case in its own context, closed even when the case fails: the server's counts are
  // shared, and a leftover tab refreshing on its own would skew the next case's.
  afterEach(async () => {
    await context?.close()
  })

  it('a tab stalled mid-refresh (request held, page frozen; it holds the lock) costs the other tab one short wait; nothing forks', async () => {
    context = await browser.newContext()
    const tabA = await openApp(context, server.url, { proactive: false })
    await signIn(tabA, 'alice', 'wonderland')
    const tabB = await openApp(context, server.url, { proactive: false })
    const { theftDetected } = await server.stats()
    // Tab A starts a refresh; its request is held before it reaches the server, then A is frozen.
    // The hold is what keeps A's lock taken: in this headless Chromium a visible page's timers
    // kept running under `Page.setWebLifecycleState: frozen` (five proactive refreshes in a 6 s
    // "freeze" when tried), so the freeze alone would not prove a stalled holder.
    let held!: (route: Route) => void
    const heldRoute = new Promise<Route>((resolve) => {
      held = resolve
    })
    // Matched by path: the refresh carries `?generation=N`, which a `**/refresh` glob does not match.
    await tabA.route(
      (url) => url.pathname === '/auth/session/refresh',
      (route) => held(route),
      { times: 1 },
    )
    await tabA.evaluate(() => {
      ;(window as { pending?: Promise<unknown> }).pending = window.latch.refresh().then(
        (session) => session?.generation,
        (error: { code?: string }) => error.code,
      )
    })
    const route = await heldRoute
    const cdpA = await context.newCDPSession(tabA)
    await cdpA.send('Page.setWebLifecycleState', { state: 'frozen' })
    await context.clearCookies({ name: 'latch-access' })
    const before = await counts(REFRESH)
    const call = await meCall(tabB)
    expect(call.status).toBe(200)
    expect(call.ms).toBeLessThan(4000)
    expect(since(before, await counts(REFRESH))).toEqual({ 200: 1 })
    // A wakes; its request (with the refresh token B already rotated) reaches the server within
    // the grace and gets the same successor: one session, one generation, no theft.
    await route.continue()
    await cdpA.send('Page.setWebLifecycleState', { state: 'active' })
    const generationA = await tabA.evaluate(() => (window as { pending?: Promise<unknown> }).pending)
    const generationB = await tabB.evaluate(() => window.latch.getSnapshot().session?.generation)
    expect(generationA).toBe(generationB)
    expect(since(before, await counts(REFRESH))).toEqual({ 200: 2 })
    expect((await server.stats()).theftDetected).toBe(theftDetected)
    expect((await meCall(tabA)).status).toBe(200)
    console.info(`frozen holder: tab B's call answered 200 in ${call.ms.toFixed(0)} ms`)
  })

  it('a signed-in page stays in the back/forward cache while another tab refreshes, signs out and signs in', async () => {
    context = await browser.newContext()
    const tabA = await openApp(context, server.url, { proactive: false })
    await signIn(tabA, 'alice', 'wonderland')
    const tabC = await openApp(context, server.url)
    const cdp: CDPSession = await context.newCDPSession(tabC)
    const notUsed: unknown[] = []
    cdp.on('Page.backForwardCacheNotUsed', (event) => notUsed.push(event))
    await cdp.send('Page.enable')
    await tabC.evaluate(() => {
      ;(window as { marker?: string }).marker = 'cached'
    })
    await tabC.goto(`${server.url}/api/health`)
    await tabA.evaluate(() => window.latch.refresh())
    await tabA.evaluate(() => window.latch.signOut())
    await tabA.getByRole('heading', { name: 'Sign in' }).waitFor()
    await signIn(tabA, 'bob', 'builder')
    await tabC.evaluate(() => history.back())
    await tabC.waitForFunction(
      () => location.pathname === '/' && window.latch?.getSnapshot().session?.userId === 'bob',
    )
    expect(notUsed, 'Page.backForwardCacheNotUsed').toEqual([])
    const restored = await tabC.evaluate(() => ({
      marker: (window as { marker?: string }).marker,
      reasons:
        (performance.getEntriesByType('navigation')[0] as { notRestoredReasons?: unknown } | undefined)
          ?.notRestoredReasons ?? null,
    }))
    expect(restored).toEqual({ marker: 'cached', reasons: null })
    // Its channel is open again: a sign-out in tab A reaches it, with the reason.
    await tabA.evaluate(() => window.latch.signOut())
    await tabC.waitForFunction(() => window.latch.getSnapshot().status === 'unauthenticated')
    expect(await tabC.evaluate(() => window.latch.getSnapshot())).toMatchObject({ reason: 'signout' })
  })

  it('offline: calls fail network_error and keep the session; the first call back online refreshes once and works', async () => {
    context = await browser.newContext()
    const tab = await openApp(context, server.url, { proactive: false })
    await signIn(tab, 'alice', 'wonderland')
    const cdp = await context.newCDPSession(tab)
    const conditions = { latency: 0, downloadThroughput: -1, uploadThroughput: -1 }
    await cdp.send('Network.emulateNetworkConditions', { offline: true, ...conditions })
    expect((await meCall(tab)).status).toBe('network_error')
    await context.clearCookies({ name: 'latch-access' })
    expect((await meCall(tab)).status).toBe('network_error')
    expect(await tab.evaluate(() => window.latch.getSnapshot().status)).toBe('authenticated')
    const before = await counts(REFRESH)
    await cdp.send('Network.emulateNetworkConditions', { offline: false, ...conditions })
    expect((await meCall(tab)).status).toBe(200)
    expect(since(before, await counts(REFRESH))).toEqual({ 200: 1 })
  })
})
