/**
 * Chromium (Debian's `/usr/bin/chromium`) driven by playwright-core, as the other e2e tests.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchBrowser } from '../browser'
import { back, callSource, type Engine, ready, type Tab, until } from './Engine'

function chromiumTab(page: Page): Tab {
  return {
    run: (fn, arg) => page.evaluate(callSource(fn, 'window', arg)),
    async awayAndBack(awayUrl, meanwhile) {
      await page.goto(awayUrl)
      await meanwhile()
      // Not goBack(): a page restored from the back/forward cache fires no load event to wait for.
      await page.evaluate('history.back()')
      await until('the SPA to come back', async () =>
        page.evaluate(callSource(back, 'window', awayUrl)).then(
          (ok) => ok === true,
          () => false,
        ),
      )
    },
    close: () => page.close(),
  }
}

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
      return chromiumTab(page)
    },
    deleteCookie: (name) => context.clearCookies({ name }),
    close: () => browser.close(),
  }
}
