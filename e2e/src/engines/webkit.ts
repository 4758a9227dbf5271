/**
 * WebKitGTK (Debian's `webkit2gtk-driver`: WebKitWebDriver driving MiniBrowser) under a private
 * Xvfb display: MiniBrowser's `--headless` does not start on these machines. WebDriver classic
 * (webdriverio 9). WebKitWebDriver's window switching ran every script in the first window, so
 * the tabs are windows opened with `window.open` from the first page and driven from it
 * (`w.latch.fetch(...)` on the opened window's proxy): one profile, same origin, real windows.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { remote } from 'webdriverio'
import { freePort } from '../../harness'
import { callSource, type Engine, type InTab, ready, type Tab, until } from './Engine'

const DRIVER = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver'
const MINIBROWSER = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'

async function startXvfb(): Promise<{ display: string; process: ChildProcess }> {
  // A display number nobody else uses: the lock file /tmp/.X<n>-lock tells.
  let n = 90 + (process.pid % 50)
  while (existsSync(`/tmp/.X${n}-lock`)) n++
  const display = `:${n}`
  const xvfb = spawn('Xvfb', [display, '-nolisten', 'tcp', '-screen', '0', '1280x1024x24'], {
    stdio: 'ignore',
  })
  await until('Xvfb to start', async () => existsSync(`/tmp/.X11-unix/X${n}`), 10_000)
  return { display, process: xvfb }
}

export async function webkitEngine(): Promise<Engine> {
  const xvfb = await startXvfb()
  const port = await freePort()
  // E2E_WEBKIT_LOG=<file>: the driver's output and MiniBrowser's (its child), to tell why a
  // session went away ('invalid session id').
  const log = process.env.E2E_WEBKIT_LOG ? openSync(process.env.E2E_WEBKIT_LOG, 'a') : 'ignore'
  const driver = spawn(DRIVER, [`--port=${port}`], {
    env: { ...process.env, DISPLAY: xvfb.display },
    stdio: ['ignore', log, log],
  })
  // The driver holds its own copy of the descriptor.
  if (typeof log === 'number') closeSync(log)
  const stop = () => {
    driver.kill()
    xvfb.process.kill()
  }
  let browser: WebdriverIO.Browser
  try {
    await until(
      'WebKitWebDriver to listen',
      async () => (await fetch(`http://127.0.0.1:${port}/status`).catch(() => null))?.ok === true,
      15_000,
    )
    browser = await remote({
      hostname: '127.0.0.1',
      port,
      path: '/',
      logLevel: 'error',
      capabilities: {
        'wdio:enforceWebDriverClassic': true,
        'webkitgtk:browserOptions': {
          binary: MINIBROWSER,
          args: ['--automation', '--javascript-can-open-windows-automatically=true'],
        },
      } as WebdriverIO.Capabilities,
    })
  } catch (error) {
    stop()
    throw error
  }
  const exec = <R>(source: string): Promise<R> => browser.execute(`return ${source}`) as Promise<R>
  let opened = 0
  let origin: string | null = null

  function webkitTab(target: string): Tab {
    const run = <R, A>(fn: InTab<A, R>, arg?: A) => exec<R>(callSource(fn, target, arg))
    return {
      run,
      async awayAndBack(awayUrl, meanwhile) {
        await exec(`(${target}.location.href = ${JSON.stringify(awayUrl)}, true)`)
        await until('the page to leave', async () =>
          exec(
            `${target}.location.href === ${JSON.stringify(awayUrl)} && ${target}.document.readyState === 'complete'`,
          ),
        )
        await meanwhile()
        await exec(`(${target}.history.back(), true)`)
        await until('the SPA to come back', () => run(ready).catch(() => false))
      },
      close: () => exec(`(${target}.close(), true)`),
    }
  }

  return {
    name: 'webkit',
    async version() {
      const caps = browser.capabilities as { browserName?: string; browserVersion?: string }
      return `WebKitGTK ${caps.browserVersion ?? '?'} (${caps.browserName ?? 'MiniBrowser'})`
    },
    async open(url, options = {}) {
      // Windows opened with window.open get no script before their own.
      if (options.initScript) throw new Error('WebKitWebDriver cannot run a script before the page here')
      // The first tab is the driven window itself; the others are opened from it.
      if (origin === null) {
        origin = new URL(url).origin
        await browser.url(url)
        await exec('(window.__latchTabs = [], true)')
        const tab = webkitTab('window')
        await until('the SPA in the first window', () => tab.run(ready).catch(() => false))
        return tab
      }
      const index = opened++
      await exec(`(window.__latchTabs[${index}] = window.open(${JSON.stringify(url)}, '_blank'), true)`)
      const tab = webkitTab(`window.__latchTabs[${index}]`)
      await until(`the SPA in window ${index + 1}`, () => tab.run(ready).catch(() => false), 15_000)
      return tab
    },
    async deleteCookie(name) {
      await browser.deleteCookies([name])
    },
    async close() {
      try {
        await browser.deleteSession()
      } catch (error) {
        // WebKitWebDriver sometimes drops the connection while it closes MiniBrowser (seen once in
        // CI as UND_ERR_CLOSED on DELETE /session): the session is gone either way, and the
        // processes are stopped below. Every test has run by now; a teardown hiccup is not a failure.
        console.warn(`webkit: ending the WebDriver session: ${(error as Error).message}`)
      } finally {
        stop()
      }
    },
  }
}
