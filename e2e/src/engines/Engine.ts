/**
 * The engine-neutral tab driver: the cross-tab scenarios (`crossTabSuite.ts`) are written once
 * against these two interfaces and run in Chromium (playwright-core), Firefox ESR (puppeteer-core
 * over WebDriver BiDi) and WebKitGTK (WebKitWebDriver over WebDriver classic).
 */

/** A page's window as the scenarios see it: the demo SPA puts its session client on it. */
export type TabWindow = Window & typeof globalThis & Record<string, any>

/**
 * A function run inside a tab: it gets the tab's window and a JSON argument and returns (or
 * resolves) a JSON value. It is sent as source text, so it must use nothing from its closure.
 */
export type InTab<A, R> = (w: TabWindow, arg: A) => R | Promise<R>

/** One open tab (or window) of the demo SPA. */
export interface Tab {
  run<R, A = undefined>(fn: InTab<A, R>, arg?: A): Promise<R>
  /**
   * Navigates this tab to `awayUrl`, runs `meanwhile` (other tabs act while this page sits in the
   * back/forward cache, if the engine keeps it there), then goes back and waits for the SPA.
   */
  awayAndBack(awayUrl: string, meanwhile: () => Promise<void>): Promise<void>
  close(): Promise<void>
}

/** A browser of one engine with one profile (so its tabs share cookies, storage and locks). */
export interface Engine {
  /** `chromium`, `firefox` or `webkit`. */
  readonly name: string
  /** What the browser reports, e.g. `Firefox 153.8.0esr`. */
  version(): Promise<string>
  /**
   * Opens the SPA at `url` in a new tab and waits until its client has read the front token.
   * `initScript` runs before the page's own scripts (throws where the driver cannot do that).
   */
  open(url: string, options?: { initScript?: string }): Promise<Tab>
  /** Deletes the cookie `name` of the SPA's origin (httpOnly ones too): forces a refresh. */
  deleteCookie(name: string): Promise<void>
  close(): Promise<void>
}

/** The expression every engine evaluates: `fn(target, arg)`, awaited. */
export const callSource = (fn: InTab<any, any>, target: string, arg: unknown): string =>
  `(${fn.toString()})(${target}, ${JSON.stringify(arg ?? null)})`

/** True once the SPA's client exists and has left `loading`. */
export const ready: InTab<undefined, boolean> = (w) =>
  w.latch !== undefined && w.latch.getSnapshot().status !== 'loading'

/** True once the tab is back from `awayUrl` and its SPA is ready. */
export const back: InTab<string, boolean> = (w, awayUrl) =>
  w.location.href !== awayUrl && w.latch !== undefined && w.latch.getSnapshot().status !== 'loading'

/** Polls `check` until it returns true (or throws after `timeoutMs`, saying what it waited for). */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** What Chromium's (playwright-core) and Firefox's (puppeteer-core) pages both offer a {@link Tab}. */
export interface ScriptablePage {
  evaluate(source: string): Promise<unknown>
  goto(url: string): Promise<unknown>
  close(): Promise<void>
}

/** A {@link Tab} over a page that runs scripts and navigates itself (Chromium, Firefox). */
export function pageTab(page: ScriptablePage): Tab {
  return {
    run: (fn, arg) => page.evaluate(callSource(fn, 'window', arg)) as Promise<never>,
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
