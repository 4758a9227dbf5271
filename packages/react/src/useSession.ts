import type { SessionInfo, SessionSnapshot } from '@latch/client'
import { useContext, useMemo, useSyncExternalStore } from 'react'
import { SessionContext, type SessionContextValue } from './SessionContext'

/** The actions {@link useSession} returns next to the state. Stable for a given client. */
export interface SessionActions {
  /** Signs out on the server and in every tab (`client.signOut()`). */
  signOut: () => Promise<void>
  /**
   * Refreshes now (`client.refresh()`: single flight, cross-tab lock). Resolves the new session,
   * or `null` when the session turned out to be gone.
   */
  refresh: () => Promise<SessionInfo | null>
}

/**
 * What {@link useSession} returns: the client's snapshot plus {@link SessionActions}, as a
 * discriminated union on `status`, so `session` is a {@link SessionInfo} exactly when
 * `status === 'authenticated'` and `null` otherwise.
 */
export type UseSessionResult = SessionSnapshot & SessionActions

/** @internal Shared by the hooks: the provider's value, or a message that says how to fix it. */
export function useSessionContext(hook: string): SessionContextValue {
  const context = useContext(SessionContext)
  if (context === null) {
    throw new Error(
      `${hook} must be used inside <SessionProvider>. Wrap your component tree in ` +
        '<SessionProvider client={createSessionClient()}>…</SessionProvider>.',
    )
  }
  return context
}

/**
 * The current session, kept in sync with the client (this tab's refreshes and sign-outs, other
 * tabs', and sessions ended by a call through `client.fetch`). Built on `useSyncExternalStore`, so
 * every component sees the same state in a render (no tearing), and a component re-renders only
 * when the client's snapshot changes. On the server and during hydration the state comes from the
 * provider's `initialSession`. When a session ended, `reason` says why (`signout`, `other_tab`,
 * `unauthorized`, `session_expired`, `token_theft_detected`: `SignedOutReason` of
 * `@latch/client`), so the page can tell the user something true.
 *
 * Throws when used outside {@link SessionProvider}.
 *
 * @example
 * const { status, session, signOut } = useSession()
 * if (status === 'authenticated') return <button onClick={signOut}>Sign out {session.userId}</button>
 */
export function useSession(): UseSessionResult {
  const { subscribe, getSnapshot, getServerSnapshot, signOut, refresh } = useSessionContext('useSession')
  const snapshot = useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot)
  // One object per snapshot, so consumers may use the result itself as a dependency.
  return useMemo(() => ({ ...snapshot, signOut, refresh }), [snapshot, signOut, refresh])
}
