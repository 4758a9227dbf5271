/**
 * Bound refresh in Chromium (DESIGN "Bound refresh"): the demo SPA signs in bound to a
 * non-extractable P-256 key kept in IndexedDB. A second browser context holding a copy of the
 * victim's cookies and localStorage (what infostealer malware takes; the key cannot be copied)
 * cannot refresh: refused `unauthorized`, nothing rotated or revoked, the server's hook fired,
 * and the victim keeps working in every tab. The key survives a reload and is shared by the tabs;
 * clearing IndexedDB signs the bound session out with the reason `key_lost`, without a loop.
 * Theft detection of unbound sessions: theft.test.ts.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { launchBrowser, repoRoot, sessionStatus } from '../harness'
import { openApp, signIn } from '../src/browser'
import { type DemoServer, startDemoServer } from '../src/demoServer'

let server: DemoServer
let browser: Browser
let victimContext: BrowserContext
let victim: Page

beforeAll(async () => {
  server = await startDemoServer()
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

beforeEach(async () => {
  victimContext = await browser.newContext()
  victim = await openApp(victimContext, server.url)
  await signIn(victim, 'alice', 'wonderland')
})

afterEach(async () => {
  await victimContext?.close()
})

/** The stored key as the page sees it: its public `x` and whether the private half is extractable. */
const storedKey = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<{ x: string; extractable: boolean; exportRefused: boolean } | null>((resolve, reject) => {
        const open = indexedDB.open('latch-bound', 1)
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const db = open.result
          const get = db.transaction('keys').objectStore('keys').get('key')
          get.onsuccess = async () => {
            db.close()
            const key = get.result as { privateKey: CryptoKey; jwk: { x: string } } | undefined
            if (!key) return resolve(null)
            const exportRefused = await crypto.subtle.exportKey('jwk', key.privateKey).then(
              () => false,
              () => true,
            )
            resolve({ x: key.jwk.x, extractable: key.privateKey.extractable, exportRefused })
          }
        }
      }),
  )

const refresh = (page: Page) => page.evaluate(() => window.latch.refresh().then((s) => s?.generation ?? null))
const me = (page: Page) => page.evaluate(() => window.latch.fetch('/api/me').then((r) => r.status))
const devices = (page: Page) =>
  page.evaluate(() =>
    window.latch
      .fetch('/api/sessions')
      .then((r) => r.json() as Promise<{ current: boolean; bound: boolean }[]>),
  )

/** Records the page's `signedOut` reasons in `window.__reasons`. */
const recordReasons = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { __reasons: string[] }
    w.__reasons = []
    window.latch.on('signedOut', ({ reason }) => w.__reasons.push(reason))
  })
const reasons = (page: Page) => page.evaluate(() => (window as unknown as { __reasons: string[] }).__reasons)

describe('bound refresh', () => {
  it('signs in bound: a non-extractable key in IndexedDB, the device list says key-bound', async () => {
    const key = await storedKey(victim)
    expect(key).toMatchObject({ extractable: false, exportRefused: true })
    expect((await devices(victim)).find((d) => d.current)?.bound).toBe(true)
    await victim.getByTestId('bound').first().waitFor()
  })

  it('a copy of the cookies and storage cannot refresh; the victim keeps working in every tab; the hook fired', async () => {
    const second = await openApp(victimContext, server.url)
    expect(await sessionStatus(second)).toBe('authenticated')
    const before = await server.stats()

    // The thief's context: every cookie (httpOnly refresh token included) and localStorage.
    const thiefContext = await browser.newContext({ storageState: await victimContext.storageState() })
    try {
      // A plain client (no key of its own): the refresh reaches the server and is refused.
      const thief = await openApp(thiefContext, server.url, { binding: 'off' })
      expect(await sessionStatus(thief)).toBe('authenticated')
      expect(await refresh(thief)).toBeNull()
      expect(await sessionStatus(thief)).toBe('unauthenticated')
      // Straight at the endpoint with the copied jar, from outside any browser: the same answer.
      const jar = (await victimContext.cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
      const raw = await fetch(`${server.url}/auth/session/refresh`, {
        method: 'POST',
        headers: { cookie: jar, 'x-latch-csrf': '1' },
      })
      expect([raw.status, raw.headers.get('x-latch-error')]).toEqual([401, 'unauthorized'])
      // The bound client in the thief's browser has no key for this session: it gives up locally.
      const boundThief = await openApp(
        await browser.newContext({ storageState: await victimContext.storageState() }),
        server.url,
      )
      await recordReasons(boundThief)
      expect(await refresh(boundThief)).toBeNull()
      expect(await reasons(boundThief)).toEqual(['key_lost'])
      await boundThief.context().close()
    } finally {
      await thiefContext.close()
    }
    const after = await server.stats()
    expect(after.bindingFailures).toBe(before.bindingFailures + 2)
    expect(after.theftDetected).toBe(before.theftDetected)

    // Nothing was rotated or revoked: both victim tabs go on, on the same session.
    expect(await refresh(victim)).toBe(1)
    await expect
      .poll(() => second.evaluate(() => window.latch.getSnapshot().session?.generation), { timeout: 5000 })
      .toBe(1)
    expect(await refresh(second)).toBe(2)
    expect(await me(victim)).toBe(200)
    expect(await me(second)).toBe(200)
  })

  it('the key survives a reload and is shared by the tabs', async () => {
    const key = await storedKey(victim)
    expect(key).not.toBeNull()
    await victim.reload()
    await victim.waitForFunction(() => window.latch?.getSnapshot().status === 'authenticated')
    expect(await storedKey(victim)).toEqual(key)
    expect(await refresh(victim)).toBe(1)
    const second = await openApp(victimContext, server.url)
    expect(await storedKey(second)).toEqual(key)
    // The other tab proves with the same key: its refresh is accepted.
    expect(await refresh(second)).toBe(2)
    expect((await devices(second)).find((d) => d.current)?.bound).toBe(true)
  })

  it('tabs of a fresh profile signing in one after another share the key the first one made', async () => {
    const fresh = await browser.newContext()
    try {
      const tabs = await Promise.all([0, 1, 2].map(() => openApp(fresh, server.url)))
      // Started together; `signIn` takes the cross-tab lock, so they sign in in turn.
      const made = await Promise.all(
        tabs.map((tab) =>
          tab.evaluate(() =>
            window.latch.signIn(async () => {
              const response = await window.latch.fetch('/api/login', {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ username: 'bob', password: 'builder' }),
              })
              return response.status
            }),
          ),
        ),
      )
      expect(made).toEqual([200, 200, 200])
      const keys = await Promise.all(tabs.map(storedKey))
      expect(new Set(keys.map((k) => k?.x)).size).toBe(1)
      expect((await devices(tabs[0]!)).find((d) => d.current)?.bound).toBe(true)
      expect(await refresh(tabs[0]!)).not.toBeNull()
    } finally {
      await fresh.close()
    }
  })

  it('signers racing to make the first key, in one tab and across tabs, all end up with one key', async () => {
    const fresh = await browser.newContext()
    // The built `@latch/client` ESM files, served under the demo's origin for `import()` in the page.
    await fresh.route('**/__latch_client/**', (route) => {
      const file = new URL(route.request().url()).pathname.split('/__latch_client/')[1]!
      route.fulfill({
        contentType: 'text/javascript',
        body: readFileSync(resolve(repoRoot, 'packages', 'client', 'dist', file.replace(/[^\w.-]/g, ''))),
      })
    })
    try {
      const tabs = await Promise.all([0, 1, 2].map(() => openApp(fresh, server.url)))
      // A string, so the test runner does not rewrite the page's dynamic `import()` as its own.
      // Three signers (three IndexedDB connections) per tab, all making their first key at once.
      const race = (tab: Page) =>
        tab.evaluate<string[]>(`(async () => {
          const bound = await import(location.origin + '/__latch_client/bound.js')
          const proofs = await Promise.all([0, 1, 2].map(() =>
            bound.indexedDbProofSigner().sign('POST', location.origin + '/x', { now: Date.now(), create: true })))
          return proofs.map((proof) =>
            JSON.parse(atob(proof.split('.')[0].replace(/-/g, '+').replace(/_/g, '/'))).jwk.x)
        })()`)
      const xs = (await Promise.all(tabs.map(race))).flat()
      expect(xs).toHaveLength(9)
      const stored = await storedKey(tabs[0]!)
      expect(new Set(xs)).toEqual(new Set([stored!.x]))
    } finally {
      await fresh.close()
    }
  })

  it('cleared IndexedDB signs out with the key_lost reason, in every tab, without a refresh request', async () => {
    const second = await openApp(victimContext, server.url)
    await recordReasons(victim)
    await recordReasons(second)
    const cdp = await victimContext.newCDPSession(victim)
    await cdp.send('Storage.clearDataForOrigin', {
      origin: new URL(server.url).origin,
      storageTypes: 'indexeddb',
    })
    const refreshesBefore = (await server.stats()).requests['POST /auth/session/refresh'] ?? {}
    expect(await refresh(victim)).toBeNull()
    expect(await reasons(victim)).toEqual(['key_lost'])
    await victim.locator('[data-event="keyLost"]').first().waitFor()
    // The other tab learns it from the broadcast and the cleared front cookie (as for any sign-out).
    await expect.poll(() => reasons(second), { timeout: 5000 }).toEqual(['key_lost'])
    expect(await sessionStatus(second)).toBe('unauthenticated')
    expect((await server.stats()).requests['POST /auth/session/refresh'] ?? {}).toEqual(refreshesBefore)
    // No loop: signing in again makes a new key and a new bound session.
    await signIn(victim, 'alice', 'wonderland')
    expect((await storedKey(victim))?.extractable).toBe(false)
    expect(await refresh(victim)).toBe(1)
  })
})
