/**
 * Debian's Chromium driven by playwright-core, with the flags of the repository's e2e tests
 * (e2e/src/browser.ts), plus what these tests watch in a page: console messages and errors.
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Background tabs keep their timers and BroadcastChannel delivery: the tests watch every tab.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  })
}

/**
 * React reports a hydration mismatch as a console error or an uncaught error; in a production
 * build only as a minified error number (418: text or tree mismatch, 419/421/422/423/425:
 * the other hydration failures). Any of these in a message counts.
 */
export const HYDRATION =
  /hydrat|react\.dev\/errors\/(?:418|419|421|422|423|425)\b|React error #(?:418|419|421|422|423|425)\b/i

/** Counts `POST /auth/session/refresh` requests made by any page of `context`. */
export function countRefreshes(context: BrowserContext): { count: number } {
  const counter = { count: 0 }
  context.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/auth/session/refresh') {
      counter.count++
    }
  })
  return counter
}

/** Opens `url` and waits until the session client has hydrated and read the front token. */
export async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(url)
  await waitForClient(page)
  return page
}

export async function waitForClient(page: Page): Promise<void> {
  await page.waitForFunction(
    () => window.latch !== undefined && window.latch.getSnapshot().status !== 'loading',
  )
}

/** Signs in through the form, as a user would, and waits for the server-rendered name. */
export async function signIn(page: Page, username: string, password: string, name: string): Promise<void> {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByTestId('server-user').filter({ hasText: name }).waitFor()
}

/** The tab's session status as its client sees it. */
export function sessionStatus(page: Page): Promise<string> {
  return page.evaluate(() => window.latch.getSnapshot().status)
}

/** Waits, in the page's own clock, until the access token has expired (the front token says so). */
export async function waitForAccessExpiry(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const snapshot = window.latch.getSnapshot()
      return snapshot.status === 'authenticated' && snapshot.session.accessTokenExpiresAt <= Date.now()
    },
    undefined,
    { timeout: timeoutMs, polling: 25 },
  )
}
