/**
 * Helpers that read a tab's session through `window.latch` and drive bursts of calls.
 */
import type { Page } from 'playwright-core'

/** The tab's refresh generation, or `null` without a session. */
export function generation(page: Page): Promise<number | null> {
  return page.evaluate(() => window.latch.getSnapshot().session?.generation ?? null)
}

/**
 * Waits, in the page's own clock, until its access token has expired (the front token says so).
 * Polls instead of sleeping so the test is as fast as the configured lifetime allows.
 */
export async function waitForAccessExpiry(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const snapshot = window.latch.getSnapshot()
      return snapshot.status === 'authenticated' && snapshot.session.accessTokenExpiresAt <= Date.now()
    },
    undefined,
    { timeout: timeoutMs, polling: 25 },
  )
}

/** Fires `count` concurrent `latch.fetch(path)` in the tab; resolves each call's status or error name. */
export function burst(page: Page, path: string, count: number): Promise<Array<number | string>> {
  return page.evaluate(
    ({ path, count }) =>
      Promise.all(
        Array.from({ length: count }, () =>
          window.latch.fetch(path).then(
            (response) => response.status,
            (error: Error) => `${error.name}: ${error.message}`,
          ),
        ),
      ),
    { path, count },
  )
}
