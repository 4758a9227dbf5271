/**
 * The many-tab storm, for any deployment (one origin, split origins, header transport): tabs
 * wait for the access token to expire, then fire concurrent calls; every call must succeed with
 * one refresh request per expiry (counted by the API server), no theft, every tab on the new
 * generation.
 *
 * `exactRefreshCount: false` is for a front token kept in localStorage (header transport):
 * Chromium propagates localStorage writes between tabs asynchronously, so a tab granted the lock
 * right after the refreshing tab released it can still read the old front token and refresh with
 * the same refresh token; the server's reuse grace answers it with the same successor. What must
 * hold there is what users see: one rotation (every tab on generation + 1), every call 200, no
 * theft, every refresh request answered 200.
 */
import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import { waitForAccessExpiry } from '../harness'
import type { DemoServer } from './demoServer'
import { burst, generation } from './session'

const REFRESH = 'POST /auth/session/refresh'

function histogram(values: Array<number | string>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}

/** Runs `rounds` storms of `calls` concurrent `latch.fetch(url)` per tab after each expiry. */
export async function runStorm(
  pages: Page[],
  api: DemoServer,
  url: string,
  options: { rounds: number; calls: number; accessTtlS: number; exactRefreshCount?: boolean },
): Promise<void> {
  for (let round = 1; round <= options.rounds; round++) {
    const before = await api.stats()
    const generationBefore = await generation(pages[0]!)
    await waitForAccessExpiry(pages[0]!, (options.accessTtlS + 15) * 1000)
    const started = Date.now()
    const statuses = (await Promise.all(pages.map((page) => burst(page, url, options.calls)))).flat()
    const seconds = (Date.now() - started) / 1000
    const after = await api.stats()
    const refreshes = after.requests[REFRESH] ?? {}
    const refreshesBefore = before.requests[REFRESH] ?? {}
    const delta = (status: string) => (refreshes[status] ?? 0) - (refreshesBefore[status] ?? 0)
    const total = Object.keys(refreshes).reduce((sum, status) => sum + delta(status), 0)
    expect(histogram(statuses), `statuses in round ${round} (${seconds.toFixed(1)} s)`).toEqual({
      200: pages.length * options.calls,
    })
    // A burst slower than a token's life meets a second expiry: the machine, not the client.
    expect(seconds, `round ${round} took longer than the access-token lifetime`).toBeLessThan(
      options.accessTtlS,
    )
    if (options.exactRefreshCount ?? true) {
      expect(total, `refresh requests in round ${round}`).toBe(1)
      expect(delta('200'), `successful refreshes in round ${round}`).toBe(1)
    } else {
      expect(total, `refresh requests in round ${round}`).toBeGreaterThanOrEqual(1)
      expect(total, `refresh requests in round ${round} (all answered 200)`).toBe(delta('200'))
    }
    expect(after.theftDetected).toBe(before.theftDetected)
    for (const page of pages) {
      await expect.poll(() => generation(page), { timeout: 5000 }).toBe((generationBefore ?? 0) + 1)
    }
  }
}
