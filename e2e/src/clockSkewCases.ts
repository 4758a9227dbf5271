/**
 * A browser clock ±10 min off the server's (an init script moves the page's `Date.now` before
 * the SPA loads): with 3 s tokens and a call every 300 ms for 9 s, no call meets a 401, the
 * proactive refresh runs every expiry (judged in server time), nothing loops and nobody is signed
 * out. Run in the engines whose driver can run a script before the page's own (Chromium,
 * Firefox); WebKitWebDriver's opened windows cannot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALICE, refreshCounts, refreshesSince, signInAs } from './crossTabSuite'
import { type DemoServer, startDemoServer } from './demoServer'
import type { Engine } from './engines/Engine'

const ME = 'GET /api/me'

export function clockSkewCases(makeEngine: () => Promise<Engine>): void {
  describe('a clock 10 min off the server', () => {
    let server: DemoServer
    let engine: Engine

    beforeAll(async () => {
      server = await startDemoServer({ env: { LATCH_ACCESS_TTL: '3s', LATCH_CLOCK_TOLERANCE: '0s' } })
      engine = await makeEngine()
    })

    afterAll(async () => {
      await engine?.close()
      await server?.stop()
    })

    it.each([
      ['ahead', 10 * 60_000],
      ['behind', -10 * 60_000],
    ])('%s keeps the proactive refresh: no 401, no loop, no sign-out', async (_, skew) => {
      const tab = await engine.open(`${server.url}/`, {
        initScript: `(() => { const now = Date.now.bind(Date); Date.now = () => now() + ${skew} })()`,
      })
      expect(
        await tab.run((w) => w.Date.now() - w.performance.timeOrigin - w.performance.now()),
      ).toBeGreaterThan(skew - 60_000)
      expect(await signInAs(tab, ALICE)).toBe('alice')
      const refreshes = await refreshCounts(server)
      const me = { ...((await server.stats()).requests[ME] ?? {}) }
      // Three expiries; the proactive refresh comes 1.5 s before each, in server time.
      const statuses = await tab.run(async (w) => {
        const seen: number[] = []
        const end = w.performance.now() + 9000
        while (w.performance.now() < end) {
          seen.push((await w.latch.fetch('/api/me')).status)
          await new Promise((resolve) => w.setTimeout(resolve, 300))
        }
        return seen
      })
      expect(new Set(statuses)).toEqual(new Set([200]))
      const refreshed = await refreshesSince(server, refreshes)
      const after = (await server.stats()).requests[ME] ?? {}
      const met401 = (after['401'] ?? 0) - (me['401'] ?? 0)
      console.info(
        `${engine.name}, clock ${skew > 0 ? '+' : ''}${skew / 60_000} min: refreshes ${JSON.stringify(refreshed)}, 401s ${met401}`,
      )
      expect(met401, '401 try_refresh met by calls').toBe(0)
      expect(refreshed['200']).toBeGreaterThanOrEqual(3)
      expect(refreshed['200']).toBeLessThanOrEqual(8)
      expect(await tab.run((w) => w.latch.getSnapshot().status)).toBe('authenticated')
      await tab.run((w) => w.latch.signOut())
      await tab.close()
    })
  })
}
