/**
 * Chromium (Debian's `/usr/bin/chromium`) driven by playwright-core, as the other e2e tests.
 */
import type { Browser, BrowserContext } from 'playwright-core'
import { launchBrowser } from '../../harness'
import { callSource, type Engine, pageTab, ready } from './Engine'

/** Launches Chromium with one context (one profile). `bfcache` keeps the back/forward cache on. */
export async function chromiumEngine(options: { bfcache?: boolean } = {}): Promise<Engine> {
  const browser: Browser = await launchBrowser(options)
  const context: BrowserContext = await browser.newContext()
  return {
    name: 'chromium',
    version: async () => `Chromium ${browser.version()}`,
    async open(url, options = {}) {
      const page = await context.newPage()
      if (options.initScript) await page.addInitScript({ content: options.initScript })
      await page.goto(url)
      await page.waitForFunction(callSource(ready, 'window', null))
      return pageTab(page)
    },
    deleteCookie: (name) => context.clearCookies({ name }),
    close: () => browser.close(),
  }
}
