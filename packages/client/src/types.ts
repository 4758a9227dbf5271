/**
 * Public types of the session client, shared by `@latch/client` and `@latch/react`.
 * @module
 */

/** What the browser knows about the session, read from the front token (no network call). */
export interface SessionInfo {
  userId: string
  sessionId: string
  /** Access-token expiry, epoch milliseconds. */
  accessTokenExpiresAt: number
  /** Refresh generation: changes on every refresh (the change marker). */
  generation: number
  /**
   * The session's public claims (the server's `publicClaims` option, e.g. a display name), as of
   * the last refresh; `undefined` when the server sends none.
   */
  claims?: Record<string, unknown>
}

/**
 * The client's state. `loading` only until the first read of the front token (synchronous in a
 * browser; during SSR the state stays `loading` unless an initial session is given).
 */
export type SessionSnapshot =
  | { status: 'loading'; session: null }
  | { status: 'authenticated'; session: SessionInfo }
  | {
      status: 'unauthenticated'
      session: null
      /**
       * Why the session ended, when this client saw it end (the `signedOut` event's reason);
       * `undefined` when there was no session to begin with.
       */
      reason?: SignedOutReason
    }

/**
 * Why the client ended up signed out: a fixed set, so an app can tell the user something true and
 * support can tell a bug from an attack.
 * - `signout`: `signOut()` was called, in this tab (`origin: 'this_tab'`) or another one.
 * - `other_tab`: the session vanished with no reason given: another tab or the server cleared
 *   the front token (seen on a re-read: `pageshow`, a call's answer, focus when no message came
 *   within half a second, a broadcast without a reason).
 * - `unauthorized`: the server does not know the session any more (revoked here or from another
 *   device, signed out elsewhere, a signing-key or store reset).
 * - `session_expired`: the refresh token reached its idle or absolute timeout.
 * - `token_theft_detected`: a rotated-out refresh token was used again; the server revoked the
 *   session (`theftDetected` is emitted too).
 */
export type SignedOutReason =
  | 'signout'
  | 'unauthorized'
  | 'session_expired'
  | 'token_theft_detected'
  | 'other_tab'
  /** `@latch/client/bound`: the session is bound to a key this browser no longer has (storage cleared). */
  | 'key_lost'

/** Events the client emits; `origin` says whether this tab or another tab caused it. */
export interface SessionEvents {
  signedIn: { session: SessionInfo; origin: 'this_tab' | 'other_tab' }
  refreshed: { session: SessionInfo; origin: 'this_tab' | 'other_tab' }
  signedOut: { reason: SignedOutReason; origin: 'this_tab' | 'other_tab' }
  theftDetected: { sessionId: string | null }
  /**
   * A session-ending answer (`reason`) to a call sent with session `sessionId` came back after
   * another session became current (a sign-in here or in another tab): it was ignored.
   */
  lateAnswer: { reason: SignedOutReason; sessionId: string | null }
  refreshFailed: { error: Error }
}

export type SessionEventName = keyof SessionEvents

/** The session client: `fetch` with transparent refresh, plus state for UI bindings. */
export interface SessionClient {
  /** Same signature as the global `fetch`; refreshes once on 401 `try_refresh` and replays. */
  fetch: typeof fetch
  /** The current state; the same object until the state changes (for `useSyncExternalStore`). */
  getSnapshot(): SessionSnapshot
  /** Calls `listener` after every state change. Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void
  /** Subscribes to an event. Returns the unsubscribe function. */
  on<E extends SessionEventName>(event: E, listener: (payload: SessionEvents[E]) => void): () => void
  /** Refreshes now (single flight, cross-tab lock). Resolves the new session, or null when signed out. */
  refresh(): Promise<SessionInfo | null>
  /** Signs out on the server and in every tab. */
  signOut(): Promise<void>
  /**
   * Runs the application's sign-in call `fn` under the cross-tab lock that refresh and sign-out
   * take, so a refresh or sign-out of the previous session still in flight cannot land after the
   * new session's cookies; then reads the new session. `fn` must not need a refresh (a sign-in
   * endpoint does not). Resolves what `fn` resolves. Rejects `cookies_not_kept` when `fn`
   * resolved a 2xx `Response` that made a session but the browser did not keep its cookies
   * (cookie transport on the page's origin; e.g. `Secure` cookies over plain HTTP).
   * @example await latch.signIn(() => latch.fetch('/api/login', { method: 'POST', body }))
   */
  signIn<R>(fn: () => Promise<R>): Promise<R>
  /** Re-reads the front token (after a sign-in done by the app's own endpoint, or on focus). */
  sync(): void
  /** Stops timers, listeners and channels. */
  destroy(): void
}
