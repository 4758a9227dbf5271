import type { SessionInfo, SessionSnapshot } from '@latch/client'

const LOADING: SessionSnapshot = Object.freeze({ status: 'loading', session: null })
const UNAUTHENTICATED: SessionSnapshot = Object.freeze({ status: 'unauthenticated', session: null })

/**
 * The snapshot React uses on the server and while hydrating. The server cannot read the browser's
 * front token, so without an initial session the honest answer is `loading`; with one, the server
 * HTML and the first client render agree, and hydration does not mismatch.
 *
 * `undefined` means "the server does not know" (loading); `null` means "the server checked and
 * there is no session" (unauthenticated).
 * @internal
 */
export function serverSnapshot(initialSession: SessionInfo | null | undefined): SessionSnapshot {
  if (initialSession === undefined) return LOADING
  if (initialSession === null) return UNAUTHENTICATED
  return { status: 'authenticated', session: initialSession }
}
