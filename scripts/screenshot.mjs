#!/usr/bin/env node
// Takes docs/demo.png (1280×800): starts the built demo on a free port with a memory store,
// signs in as alice in headless Chromium, adds notes, signs in a second device, refreshes in a
// second tab so the activity log has something to show, and captures the page.
//
//   pnpm build && pnpm --filter ./demo run build && node scripts/screenshot.mjs
//
// Uses Debian's Chromium (CHROMIUM_PATH to override) through the e2e package's playwright-core.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const entry = resolve(root, 'demo/dist/server/main.js')
const output = resolve(root, 'docs/demo.png')
const { chromium } = createRequire(resolve(root, 'e2e/package.json'))('playwright-core')

if (!existsSync(entry)) {
  console.error('The demo is not built: run `pnpm build && pnpm --filter ./demo run build` first.')
  process.exit(1)
}

async function freePort() {
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address()
  probe.close()
  return port
}

const port = await freePort()
const url = `http://localhost:${port}`
const server = spawn(process.execPath, [entry], {
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LATCH_STORE: 'memory' },
  stdio: ['ignore', 'pipe', 'inherit'],
})

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
})

try {
  // Wait for the server's start-up line rather than sleeping.
  await new Promise((resolveReady, reject) => {
    server.stdout.on('data', (chunk) => String(chunk).includes('running at') && resolveReady())
    server.once('exit', (code) => reject(new Error(`demo exited with ${code}`)))
  })

  const signIn = async (page) => {
    await page.goto(url)
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('wonderland')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByTestId('user').waitFor()
  }

  // A second device, so the device list shows more than this browser.
  const laptop = await browser.newContext({
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  })
  await signIn(await laptop.newPage())

  // An ordinary desktop Chrome user agent: the device list would otherwise say "Headless Chrome".
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    userAgent:
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36',
  })
  const page = await context.newPage()
  await signIn(page)
  for (const text of [
    'Ship the device list',
    'Rotate the signing key on Friday',
    'Try the demo in two tabs',
  ]) {
    await page.getByLabel('New note').fill(text)
    await page.getByRole('button', { name: 'Add' }).click()
    await page.getByTestId('notes').getByText(text).waitFor()
  }
  // A refresh in another tab shows up in this tab's activity log.
  const other = await context.newPage()
  await other.goto(url)
  await other.evaluate(() => window.latch.refresh())
  await page.locator('[data-event="refreshedElsewhere"]').waitFor()
  await page.getByRole('button', { name: 'Refresh now' }).click()
  await page.locator('[data-event="refreshed"]').waitFor()
  await page.getByTestId('devices').locator('li').nth(1).waitFor()
  await page.bringToFront()
  await page.mouse.move(0, 0)
  await page.screenshot({ path: output })
  console.log(`wrote ${output}`)
} finally {
  await browser.close()
  server.kill('SIGTERM')
}
