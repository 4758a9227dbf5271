/**
 * The one session client of this page. Exposed as `window.latch` so a developer can try
 * `await latch.fetch('/api/me')` from the browser console.
 * @module
 */
import { createSessionClient, type SessionClient } from '@latch/client'
import { createActivityLog } from './activityLog'

declare global {
  interface Window {
    latch: SessionClient
  }
}

/**
 * `?proactive=off` turns off the refresh shortly before expiry, so the tabs meet an expired token
 * the way they do after a laptop wakes from sleep: fire calls from several tabs and watch one
 * refresh serve them all. The browser tests use it too.
 */
export const proactiveRefresh = new URLSearchParams(window.location.search).get('proactive') !== 'off'

/** Same origin as the API, so cookie mode with the default base path. */
export const latch: SessionClient = createSessionClient({
  apiBase: '/',
  ...(proactiveRefresh ? {} : { proactiveRefresh: false }),
})

// Created at module load, before React mounts, so no event of the first moments is missed.
export const activityLog = createActivityLog(latch)

window.latch = latch
