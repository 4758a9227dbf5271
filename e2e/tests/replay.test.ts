/**
 * A write that meets an expired access token: the client refreshes and replays the POST with
 * the same JSON body, and the server stores the note exactly once.
 */
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, waitForAccessExpiry } from '../harness'
import { openApp, signIn } from '../src/browser'
import { type DemoServer, startDemoServer } from '../src/demoServer'

let server: DemoServer
let browser: Browser
let context: BrowserContext

beforeAll(async () => {
  server = await startDemoServer({ env: { LATCH_ACCESS_TTL: '3s', LATCH_CLOCK_TOLERANCE: '0s' } })
  browser = await launchBrowser()
  context = await browser.newContext()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('replay after refresh', () => {
  it('stores a note posted with an expired token once, with its body intact', async () => {
    const page = await openApp(context, server.url, { proactive: false })
    await signIn(page, 'alice', 'wonderland')
    const text = `Buy milk ${Date.now()} — ünïcødé ✓`
    await page.getByLabel('New note').fill(text)
    const before = await server.stats()

    await waitForAccessExpiry(page)
    await page.getByRole('button', { name: 'Add' }).click()
    await page.getByTestId('notes').getByText(text).waitFor()

    const after = await server.stats()
    const count = (key: string, status: string) =>
      (after.requests[key]?.[status] ?? 0) - (before.requests[key]?.[status] ?? 0)
    // The first attempt was refused before the handler ran, the replay stored the note.
    expect(count('POST /api/notes', '401')).toBe(1)
    expect(count('POST /api/notes', '201')).toBe(1)
    expect(count('POST /auth/session/refresh', '200')).toBe(1)

    const notes = await page.evaluate(() => window.latch.fetch('/api/notes').then((r) => r.json()))
    expect(notes.filter((note: { text: string }) => note.text === text)).toHaveLength(1)
  })
})
