/**
 * The example in a Chromium page (launched with the shared harness's `launchBrowser`): opening
 * and signing in, and what these tests watch in a page: refresh requests, hydration errors.
 */
import { signIn as signInWithForm, waitForClient } from '@latch/e2e/harness'
import type { BrowserContext, Page } from 'playwright-core'

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

/** Signs in through the form, as a user would, and waits for the server-rendered name. */
export function signIn(page: Page, username: string, password: string, name: string): Promise<void> {
  return signInWithForm(page, username, password, { testId: 'server-user', text: name })
}
