/**
 * Helpers that read a tab's refresh generation through `window.latch` and drive bursts of calls
 * (status and expiry: the shared harness's `session.ts`).
 */
import type { Page } from 'playwright-core'

/** The tab's refresh generation, or `null` without a session. */
export function generation(page: Page): Promise<number | null> {
  return page.evaluate(() => window.latch.getSnapshot().session?.generation ?? null)
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
