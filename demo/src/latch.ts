/**
 * The one session client of this page. Exposed as `window.latch` so a developer can try
 * `await latch.fetch('/api/me')` from the browser console.
 * @module
 */
import { localStorageLock, type SessionClient } from '@latch/client'
import { createBoundSessionClient } from '@latch/client/bound'
import { createActivityLog } from './activityLog'

declare global {
  interface Window {
    latch: SessionClient
    /** Put in by the demo server for split deployments (`LATCH_API_BASE`, `LATCH_TRANSPORT`). */
    latchDemoConfig?: { apiBase: string | null; transport: 'cookie' | 'header' }
  }
}

const deployment = window.latchDemoConfig

/** The API's origin: this page's, or the one the server configured (`LATCH_API_BASE`). */
export const apiBase = deployment?.apiBase ?? '/'

/** An API path as the URL to call: relative on one origin, absolute when the API is elsewhere. */
export const apiUrl = (path: string): string => (deployment?.apiBase ? `${deployment.apiBase}${path}` : path)

/**
 * `?proactive=off` turns off the refresh shortly before expiry, so the tabs meet an expired token
 * the way they do after a laptop wakes from sleep: fire calls from several tabs and watch one
 * refresh serve them all. The browser tests use it too.
 */
const query = new URLSearchParams(window.location.search)
export const proactiveRefresh = query.get('proactive') !== 'off'

/**
 * `?lock=storage` uses the localStorage lock, the one the client falls back to where Web Locks is
 * missing (Safari before 15.4, some embedded web views): the browser tests run the same cross-tab
 * suite with it in every engine, including those whose driver cannot remove `navigator.locks`
 * before the page's scripts run.
 */
const storageLock = query.get('lock') === 'storage'

/**
 * `?binding=off` makes this page's client unbound (no key proofs), as a browser without
 * IndexedDB would be: the browser tests show theft detection on unbound sessions with it.
 */
const bindingOff = new URLSearchParams(window.location.search).get('binding') === 'off'

/**
 * Same origin as the API by default (cookie mode). Split deployments: the API on another origin,
 * with cookies (one site) or header transport (tokens in localStorage, shared by the tabs).
 * Bound refresh: sessions signed in here are bound to a non-extractable key in IndexedDB (where
 * the browser has one), so copied cookies or tokens cannot refresh anywhere else.
 */
export const latch: SessionClient = createBoundSessionClient({
  apiBase,
  ...(deployment?.transport === 'header' ? { transport: 'header', storage: window.localStorage } : {}),
  ...(proactiveRefresh ? {} : { proactiveRefresh: false }),
  ...(bindingOff ? { signer: null } : {}),
  ...(storageLock ? { lock: localStorageLock() } : {}),
})

// Created at module load, before React mounts, so no event of the first moments is missed.
export const activityLog = createActivityLog(latch)

window.latch = latch
