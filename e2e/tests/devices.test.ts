/**
 * The device list across two browsers of one user, and revocation from one of them: the other
 * is signed out at its next request, though its access token has not expired (the revocation
 * list, not the token lifetime, decides).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, sessionStatus } from '../harness'
import { openApp, signIn } from '../src/browser'
import { type DemoServer, startDemoServer } from '../src/demoServer'

const LAPTOP_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'

let server: DemoServer
let browser: Browser
let desktop: BrowserContext
let laptop: BrowserContext
let desktopPage: Page
let laptopPage: Page

beforeAll(async () => {
  // The default 10-minute access token: revocation must not wait for it.
  server = await startDemoServer()
  browser = await launchBrowser()
  desktop = await browser.newContext()
  laptop = await browser.newContext({ userAgent: LAPTOP_UA })
  desktopPage = await openApp(desktop, server.url)
  await signIn(desktopPage, 'alice', 'wonderland')
  laptopPage = await openApp(laptop, server.url)
  await signIn(laptopPage, 'alice', 'wonderland')
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const deviceRows = (page: Page) => page.getByTestId('devices').locator('li')

describe('device list and revocation', () => {
  it('lists both browsers’ sessions, marking the current one', async () => {
    await desktopPage.reload()
    await expect.poll(() => deviceRows(desktopPage).count()).toBe(2)
    const laptopSession = await laptopPage.evaluate(() => window.latch.getSnapshot().session?.sessionId)
    const laptopRow = desktopPage.locator(`[data-session-id="${laptopSession}"]`)
    expect(await laptopRow.textContent()).toContain('Safari on macOS')
    expect(await deviceRows(desktopPage).filter({ hasText: 'This device' }).count()).toBe(1)
    // Each row says when it signed in, when it was last active, and a tag of its session, so
    // two sessions of one browser on one system are told apart.
    const texts = await deviceRows(desktopPage).allTextContents()
    for (const text of texts) expect(text).toMatch(/Signed in .+ · Last active .+ · Session [\w-]{6}/)
    expect(new Set(texts).size).toBe(2)
  })

  it('revoking the laptop from the desktop signs the laptop out at its next request', async () => {
    const laptopSession = await laptopPage.evaluate(() => window.latch.getSnapshot().session?.sessionId)
    await desktopPage
      .locator(`[data-session-id="${laptopSession}"]`)
      .getByRole('button', { name: 'Revoke' })
      .click()
    await expect.poll(() => deviceRows(desktopPage).count()).toBe(1)

    expect(await laptopPage.evaluate(() => window.latch.fetch('/api/me').then((r) => r.status))).toBe(401)
    await expect.poll(() => sessionStatus(laptopPage)).toBe('unauthenticated')
    await laptopPage.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(await desktopPage.evaluate(() => window.latch.fetch('/api/me').then((r) => r.status))).toBe(200)
  })

  it('"Sign out other devices" ends every other session and keeps this one', async () => {
    await signIn(laptopPage, 'alice', 'wonderland')
    await desktopPage.reload()
    await expect.poll(() => deviceRows(desktopPage).count()).toBe(2)
    await desktopPage.getByRole('button', { name: 'Sign out other devices' }).click()
    await expect.poll(() => deviceRows(desktopPage).count()).toBe(1)

    expect(await laptopPage.evaluate(() => window.latch.fetch('/api/me').then((r) => r.status))).toBe(401)
    await expect.poll(() => sessionStatus(laptopPage)).toBe('unauthenticated')
    expect(await sessionStatus(desktopPage)).toBe('authenticated')
  })

  it('does not let a user see or revoke another user’s sessions', async () => {
    const bob = await browser.newContext()
    const bobPage = await openApp(bob, server.url)
    await signIn(bobPage, 'bob', 'builder')
    const aliceSession = await desktopPage.evaluate(() => window.latch.getSnapshot().session?.sessionId)
    const result = await bobPage.evaluate(async (id) => {
      const list = await window.latch.fetch('/api/sessions').then((r) => r.json())
      const del = await window.latch.fetch(`/api/sessions/${id}`, { method: 'DELETE' })
      return { ids: list.map((s: { id: string }) => s.id), status: del.status }
    }, aliceSession)
    expect(result.ids).not.toContain(aliceSession)
    expect(result.status).toBe(404)
    expect(await desktopPage.evaluate(() => window.latch.fetch('/api/me').then((r) => r.status))).toBe(200)
    await bob.close()
  })
})
