import type { SessionInfo } from '@latch/client'
import type { ReactNode } from 'react'
import { useSession } from './useSession'

/** Props of {@link RequireSession}. */
export interface RequireSessionProps {
  /**
   * Rendered only with a session. A function receives the session, typed non-null.
   */
  children: ReactNode | ((session: SessionInfo) => ReactNode)
  /**
   * Rendered when there is no session: a sign-in form, or a redirect element such as
   * `<Navigate to="/login" />`.
   * Defaults to `null`.
   */
  fallback?: ReactNode
  /**
   * Rendered while the state is unknown (`loading`: a server render without an initial session).
   * Kept apart from `fallback` so a signed-in user does not see a sign-in form flash by.
   * Defaults to `null`.
   */
  loading?: ReactNode
}

/**
 * Guards a part of the tree: renders `children` with a session, `fallback` without one, and
 * `loading` while the state is unknown. Follows the session live, so a sign-out in another tab
 * swaps the children for the fallback.
 *
 * @example
 * <RequireSession fallback={<SignInForm />} loading={<Spinner />}>
 *   {(session) => <Dashboard userId={session.userId} />}
 * </RequireSession>
 */
export function RequireSession({
  children,
  fallback = null,
  loading = null,
}: RequireSessionProps): ReactNode {
  const state = useSession()
  if (state.status === 'loading') return loading
  if (state.status === 'unauthenticated') return fallback
  return typeof children === 'function' ? children(state.session) : children
}
