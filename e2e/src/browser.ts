/**
 * Debian's Chromium driven by playwright-core (`playwright install` cannot download here).
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Launches Chromium with a fresh profile. `bfcache: true` drops Playwright's default
 * `--disable-back-forward-cache`, so pages can enter the back/forward cache.
 */
export function launchBrowser(options: { bfcache?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    ...(options.bfcache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Background tabs must keep their timers and BroadcastChannel delivery going: the tests
      // watch every tab at once.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  })
}

/** Removes Web Locks before any page script runs, so the client falls back to its localStorage lock. */
export async function removeWebLocks(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    // `locks` is a getter on Navigator.prototype; deleting it there makes `'locks' in navigator` false.
    delete (Navigator.prototype as { locks?: unknown }).locks
  })
}

/**
 * Opens the SPA and waits until the session client has read the front token. `proactive: false`
 * opens it with `?proactive=off`, so tabs meet the expired token instead of refreshing ahead;
 * `binding: 'off'` with `?binding=off`, so its sign-ins make unbound sessions (no key proofs).
 */
export async function openApp(
  context: BrowserContext,
  url: string,
  options: { proactive?: boolean; binding?: 'off' } = {},
): Promise<Page> {
  const page = await context.newPage()
  const query = new URLSearchParams()
  if (options.proactive === false) query.set('proactive', 'off')
  if (options.binding === 'off') query.set('binding', 'off')
  await page.goto(query.size > 0 ? `${url}/?${query}` : url)
  await page.waitForFunction(
    () => window.latch !== undefined && window.latch.getSnapshot().status !== 'loading',
  )
  return page
}

/** Signs in through the form, as a user would. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByTestId('user').filter({ hasText: username }).waitFor()
}

/** The tab's session status as the client sees it. */
export function sessionStatus(page: Page): Promise<string> {
  return page.evaluate(() => window.latch.getSnapshot().status)
}
