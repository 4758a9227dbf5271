import type { SessionClient, SessionEvents, SessionInfo, SignedOutReason } from '@latch/client'
import { type ReactNode, useEffect, useMemo, useRef, useState } from 'react'
import { refreshIfExpired } from './refreshIfExpired'
import { SessionContext, type SessionContextValue } from './SessionContext'
import { serverSnapshot } from './serverSnapshot'

/** Props of {@link SessionProvider}. */
export interface SessionProviderProps {
  /**
   * The session client, usually created once at module scope with `createSessionClient()`.
   * The provider never destroys it: the client outlives remounts (StrictMode, hot reload).
   */
  client: SessionClient
  /**
   * The session as the server saw it, for server rendering. The server cannot read the browser's
   * front token, so pass what it verified (e.g. from `sessions.verify(request)`) to have the server
   * HTML and the hydration render agree. `null` means the server knows there is no session
   * (`unauthenticated`); leaving it out means the server does not know (`loading`).
   * Read once, on the first render; afterwards the client's state is the truth.
   * Defaults to `undefined` (server render shows `loading`).
   */
  initialSession?: SessionInfo | null
  /**
   * Called when the session ends while the provider is mounted: sign-out in this or another tab,
   * revocation, expiry, or theft detection (`reason` tells which). The place for a redirect to the
   * login page. Not called for a page that loads without a session. The latest function is
   * always used, so an inline arrow is fine.
   * Defaults to `undefined` (no callback).
   */
  onSignedOut?: (reason: SignedOutReason, event: SessionEvents['signedOut']) => void
  /**
   * When the session's access token has already expired at mount, refresh once right away
   * (shared by StrictMode's double mount and by every provider over the same client).
   * Defaults to `true`.
   */
  refreshOnMount?: boolean
  children?: ReactNode
}

/**
 * Makes a session client available to {@link useSession} and {@link RequireSession} below it.
 * Renders no DOM of its own.
 *
 * @example
 * const latch = createSessionClient({ apiBase: '/' })
 * root.render(
 *   <SessionProvider client={latch} onSignedOut={() => navigate('/login')}>
 *     <App />
 *   </SessionProvider>,
 * )
 */
export function SessionProvider({
  client,
  initialSession,
  onSignedOut,
  refreshOnMount = true,
  children,
}: SessionProviderProps): ReactNode {
  if (client === null || typeof client !== 'object' || typeof client.subscribe !== 'function') {
    throw new TypeError(
      'The `client` prop of <SessionProvider> must be a session client from createSessionClient().',
    )
  }

  // The initial session matters for the first render only, so a parent passing a fresh object on
  // every render does not invalidate the context.
  const [initialSnapshot] = useState(() => serverSnapshot(initialSession))

  const value = useMemo<SessionContextValue>(
    () => ({
      client,
      subscribe: (listener) => client.subscribe(listener),
      getSnapshot: () => client.getSnapshot(),
      getServerSnapshot: () => initialSnapshot,
      signOut: () => client.signOut(),
      refresh: () => client.refresh(),
    }),
    [client, initialSnapshot],
  )

  // Keep the newest callback without resubscribing on every render of the parent.
  const onSignedOutRef = useRef(onSignedOut)
  useEffect(() => {
    onSignedOutRef.current = onSignedOut
  })
  const wantsSignedOut = onSignedOut !== undefined
  useEffect(() => {
    if (!wantsSignedOut) return
    return client.on('signedOut', (event) => onSignedOutRef.current?.(event.reason, event))
  }, [client, wantsSignedOut])

  useEffect(() => {
    if (refreshOnMount) refreshIfExpired(client)
  }, [client, refreshOnMount])

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
}
