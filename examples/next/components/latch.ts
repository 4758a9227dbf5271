/**
 * The browser's one session client, created once at module scope so it outlives remounts. This
 * module also runs on the server while client components are server-rendered: the client is
 * SSR-safe there (no window: it stays `loading`, and the provider's `initialSession` decides).
 * @module
 */
import { createSessionClient, type SessionClient } from '@latch/react'

declare global {
  interface Window {
    /** For trying `await latch.fetch('/api/me')` in the console; the e2e tests use it too. */
    latch: SessionClient
  }
}

const inBrowser = typeof window !== 'undefined'

/**
 * `?proactive=off` turns off the refresh shortly before expiry, so tabs meet an expired token as
 * after a laptop wakes from sleep (the e2e tests count refreshes that way).
 */
const proactiveRefresh = !inBrowser || new URLSearchParams(window.location.search).get('proactive') !== 'off'

/** Same origin as the route handlers: cookie transport, default base path `/auth/session`. */
export const latch: SessionClient = createSessionClient({
  apiBase: '/',
  ...(proactiveRefresh ? {} : { proactiveRefresh: false }),
})

if (inBrowser) window.latch = latch
