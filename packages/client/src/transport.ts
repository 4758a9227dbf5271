/**
 * What the client adds to API requests and takes from API responses, per transport: the CSRF
 * header and credentials in cookie mode; `Authorization: Bearer` and the token headers in header
 * mode; the front-token header in both. Tokens never leave this file except in request headers.
 * @module
 */
import type { FrontTokenSource } from './frontToken'
import type { Transport } from './options'
import type { StateStorage } from './storage'

/** Header names of the wire contract (docs/contract.md). */
export const HEADERS = {
  csrf: 'x-latch-csrf',
  transport: 'x-latch-transport',
  error: 'x-latch-error',
  frontToken: 'x-latch-front-token',
  accessToken: 'x-latch-access-token',
  refreshToken: 'x-latch-refresh-token',
} as const

/** Adds and takes the transport's headers. */
export interface TransportAdapter {
  /** Decorates a request to the API origin. `ownAuth`: the caller set its own Authorization. */
  decorate(request: Request, ownAuth: boolean): Request
  /** Decorates a request to a Latch endpoint (`refresh` / `signout`). */
  endpointRequest(url: string, signal: AbortSignal): Request
  /** Takes the front token (and header-mode tokens) from an API response. */
  capture(response: Response): void
  /** Forgets header-mode tokens (local sign-out). */
  clear(): void
  /** In header mode: whether the last refresh answer carried both tokens. */
  hasTokens(): boolean
}

/** Creates the adapter for `transport`. */
export function createTransport(
  transport: Transport,
  storage: StateStorage,
  storageKey: string,
  front: FrontTokenSource,
): TransportAdapter {
  const header = transport === 'header'
  const accessKey = `${storageKey}.access`
  const refreshKey = `${storageKey}.refresh`

  const setCommon = (headers: Headers) => {
    // Always sent, even in header mode where the server does not need it: it is harmless and
    // keeps a mixed setup (cookies present) from failing CSRF.
    headers.set(HEADERS.csrf, '1')
    if (header) headers.set(HEADERS.transport, 'header')
  }

  return {
    decorate(request, ownAuth) {
      const headers = new Headers(request.headers)
      setCommon(headers)
      const access = header && !ownAuth ? storage.getItem(accessKey) : null
      if (access) headers.set('authorization', `Bearer ${access}`)
      // Cookie mode needs the cookies cross-origin too; header mode must not ask for them, or a
      // server without Allow-Credentials fails CORS.
      return new Request(request, { headers, ...(header ? {} : { credentials: 'include' as const }) })
    },
    endpointRequest(url, signal) {
      const headers = new Headers()
      setCommon(headers)
      const refresh = header ? storage.getItem(refreshKey) : null
      if (refresh) headers.set('authorization', `Bearer ${refresh}`)
      return new Request(url, {
        method: 'POST',
        headers,
        signal,
        credentials: header ? 'same-origin' : 'include',
      })
    },
    capture(response) {
      const frontToken = response.headers.get(HEADERS.frontToken)
      if (frontToken !== null) front.persist(frontToken.trim())
      if (!header) return
      const access = response.headers.get(HEADERS.accessToken)
      const refresh = response.headers.get(HEADERS.refreshToken)
      if (access) storage.setItem(accessKey, access)
      if (refresh) storage.setItem(refreshKey, refresh)
    },
    clear() {
      storage.removeItem(accessKey)
      storage.removeItem(refreshKey)
    },
    hasTokens: () => !header || (storage.getItem(accessKey) !== null && storage.getItem(refreshKey) !== null),
  }
}
