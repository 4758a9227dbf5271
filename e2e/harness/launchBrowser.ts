/**
 * Debian's Chromium driven by playwright-core (`playwright install` cannot download here), with
 * the flags every browser test runs it with.
 */
import { type Browser, chromium } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Launches Chromium with a fresh profile. `bfcache: true` drops Playwright's default
 * `--disable-back-forward-cache`, so pages can enter the back/forward cache.
 */
export function launchBrowser(options: { bfcache?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    ...(options.bfcache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Background tabs must keep their timers and BroadcastChannel delivery going: the tests
      // watch every tab at once.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  })
}
