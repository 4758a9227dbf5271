/// <reference path="./globals.d.ts" />
/**
 * Reads a tab's session through the `window.latch` client the app under test exposes.
 */
import type { Page } from 'playwright-core'

/** Waits until the session client exists and has read the front token (left `loading`). */
export async function waitForClient(page: Page): Promise<void> {
  await page.waitForFunction(
    () => window.latch !== undefined && window.latch.getSnapshot().status !== 'loading',
  )
}

/** The tab's session status as its client sees it. */
export function sessionStatus(page: Page): Promise<string> {
  return page.evaluate(() => window.latch.getSnapshot().status)
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
