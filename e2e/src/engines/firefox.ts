/**
 * Firefox ESR (Debian's `firefox-esr`) driven by puppeteer-core 24 over WebDriver BiDi (v25 needs
 * Node 22). Tabs of one profile share cookies, storage and Web Locks. `FIREFOX_PATH` overrides.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import puppeteer from 'puppeteer-core'
import { callSource, type Engine, pageTab, ready } from './Engine'

const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'

export async function firefoxEngine(): Promise<Engine> {
  const profile = mkdtempSync(join(tmpdir(), 'latch-firefox-'))
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: profile,
    extraPrefsFirefox: {
      // Background tabs keep their timers: the scenarios watch every tab at once.
      'dom.min_background_timeout_value': 4,
      'dom.timeout.enable_budget_timer_throttling': false,
    },
  })
  return {
    name: 'firefox',
    version: () => browser.version(),
    async open(url, options = {}) {
      const page = await browser.newPage()
      if (options.initScript) await page.evaluateOnNewDocument(options.initScript)
      await page.goto(url)
      await page.waitForFunction(callSource(ready, 'window', null), { polling: 25 })
      return pageTab(page)
    },
    async deleteCookie(name) {
      const cookies = (await browser.cookies()).filter((cookie) => cookie.name === name)
      if (cookies.length) await browser.deleteCookie(...cookies)
    },
    async close() {
      await browser.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
