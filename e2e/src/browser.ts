/**
 * The demo SPA in a Chromium page (launched with the shared harness's `launchBrowser`): opening
 * it with its query options and signing in through its form. (The engine suite picks the
 * localStorage lock with the demo's `?lock=storage`.)
 */
import type { BrowserContext, Page } from 'playwright-core'
import { signIn as signInWithForm, waitForClient } from '../harness'

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
  await waitForClient(page)
  return page
}

/** Signs in through the form, as a user would, and waits for the SPA to name the user. */
export function signIn(page: Page, username: string, password: string): Promise<void> {
  return signInWithForm(page, username, password, { testId: 'user', text: username })
}
