/**
 * What the client adds to API requests and takes from API responses, per transport: the CSRF
 * header and credentials in cookie mode; `Authorization: Bearer` and the token headers in header
 * mode; the front-token header in both. Tokens never leave this file except in request headers.
 * @module
 */
import type { FrontTokenSource } from './frontToken'
import type { StateStorage } from './storage'
import type { SessionInfo } from './types'

/** Header names of the wire contract (docs/contract.md). */
export const ERROR_HEADER = 'x-latch-error'
export const FRONT_TOKEN_HEADER = 'x-latch-front-token'

/**
 * The header-mode tokens, received in `x-latch-{kind}-token`. They are stored in the front token's
 * own entry, `{storageKey}.front` = `front access refresh`: one write, so another tab never reads a
 * new refresh token beside an old front token (localStorage reaches other tabs key by key, later),
 * which would make it refresh a second time and fork the session. Older clients kept them under
 * `{storageKey}.{kind}`; those are still read until the next answer replaces them.
 */
export type TokenKind = 'access' | 'refresh'
const KINDS: TokenKind[] = ['access', 'refresh']

/** Adds and takes the transport's headers. */
export interface TransportAdapter {
  /**
   * Decorates a request to the API origin. In header mode the token of `kind` (the access token
   * for API calls, the refresh token for Latch's endpoints) becomes the bearer token; `null` when
   * the caller set its own Authorization.
   */
  decorate(request: Request, kind: TokenKind | null): Request
  /**
   * Takes the front token (and header-mode tokens) from an API response; `sentWith` is given for a
   * refresh answer (the commit guard, `mayCommit`).
   */
  capture(response: Response, sentWith?: SessionInfo | null): void
  /** Forgets header-mode tokens (local sign-out). */
  clear(): void
  /** In header mode: whether the last refresh answer carried both tokens. */
  hasTokens(): boolean
}

/** Creates the adapter; `header` selects the header transport. */
export function createTransport(
  header: boolean,
  storage: StateStorage,
  storageKey: string,
  front: FrontTokenSource,
): TransportAdapter {
  const keyOf = (kind: TokenKind | 'front') => `${storageKey}.${kind}`
  const tokenOf = (kind: TokenKind) =>
    storage.getItem(keyOf('front'))?.split(' ')[kind === 'access' ? 1 : 2] || storage.getItem(keyOf(kind))
  return {
    decorate(request, kind) {
      const headers = new Headers(request.headers)
      // Always sent, even in header mode where the server does not need it: it is harmless and
      // keeps a mixed setup (cookies present) from failing CSRF.
      headers.set('x-latch-csrf', '1')
      const token = header && kind && tokenOf(kind)
      if (header) headers.set('x-latch-transport', 'header')
      if (token) headers.set('authorization', `Bearer ${token}`)
      // Cookie mode needs the cookies cross-origin too; header mode must not ask for them, or a
      // server without Allow-Credentials fails CORS (`undefined` keeps the request's own).
      return new Request(request, { headers, credentials: header ? undefined : 'include' })
    },
    capture(response, sentWith) {
      const get = (name: string) => response.headers.get(`x-latch-${name}-token`)
      const frontToken = get('front')
      if (frontToken === null) return
      const tokens = header && frontToken !== 'remove' ? KINDS.map((kind) => get(kind) || tokenOf(kind)) : []
      front.persist(
        tokens.length && tokens.every(Boolean) ? [frontToken, ...tokens].join(' ') : frontToken,
        sentWith,
      )
    },
    clear() {
      for (const kind of KINDS) storage.removeItem(keyOf(kind))
    },
    hasTokens: () => !header || KINDS.every((kind) => tokenOf(kind)),
  }
}
