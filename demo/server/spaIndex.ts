/**
 * The SPA's `index.html`, with the deployment settings the page needs at start
 * (`LATCH_API_BASE`, `LATCH_TRANSPORT`) put in as `window.latchDemoConfig`. Taken from the
 * server's environment, never from the page's URL: a link must not be able to point the page's
 * credentials or tokens at another API.
 * @module
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RequestHandler } from 'express'

/** What the page reads from `window.latchDemoConfig` (see `src/latch.ts`). */
export interface SpaDeployment {
  /** The API's absolute URL when it is on another origin; `null`: this origin. */
  apiBase: string | null
  /** How the page's session client carries tokens. */
  transport: 'cookie' | 'header'
}

/** Serves `index.html`, with the deployment script when one is configured. Read once. */
export function spaIndex(publicDir: string, deployment: SpaDeployment | undefined): RequestHandler {
  const file = join(publicDir, 'index.html')
  let html: string | null = null
  if (deployment && (deployment.apiBase !== null || deployment.transport !== 'cookie')) {
    // `<` is escaped so no value can close the script element.
    const json = JSON.stringify(deployment).replace(/</g, '\\u003c')
    html = readFileSync(file, 'utf8').replace(
      '<head>',
      `<head><script>window.latchDemoConfig=${json}</script>`,
    )
  }
  return (_req, res) => {
    res.setHeader('cache-control', 'no-cache')
    if (html === null) res.sendFile(file)
    else res.type('html').send(html)
  }
}
