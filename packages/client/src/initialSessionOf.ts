import { decodeFrontToken } from './frontToken'
import type { SessionInfo } from './types'

/**
 * The part of `@latch/server`'s `ReadSessionResult` that {@link initialSessionOf} reads, written
 * out so the browser packages do not depend on the server package.
 */
export interface ReadSessionResultLike {
  status: 'authenticated' | 'refresh' | 'unauthenticated'
  session: { userId: string; sessionId: string } | null
  frontToken?: string | null
}

/**
 * Turns what the server read (`sessions.readSession(...)`) into `<SessionProvider initialSession>`,
 * so the server HTML and the first client render agree and hydration does not mismatch:
 * - `authenticated` → the session as the browser's client will read it from the same front-token
 *   cookie (same user, session, expiry and generation);
 * - `unauthenticated` → `null`;
 * - `refresh` (expired access token) → `undefined`: the server cannot know what the refresh will
 *   give, so it renders `loading`, and the client refreshes once after hydrating.
 *
 * An `authenticated` result whose front token is missing or names another session also gives
 * `undefined`: the browser's own front token decides once hydrated.
 *
 * Plain function, no React: call it in a server component (this module is not a client module,
 * unlike `@latch/react`'s bundle) and pass the result, which is serializable, to a client component.
 *
 * @example
 * const result = await sessions.readSession({ cookie: (await headers()).get('cookie') })
 * return <Providers initialSession={initialSessionOf(result)}>{children}</Providers>
 */
export function initialSessionOf(result: ReadSessionResultLike): SessionInfo | null | undefined {
  if (result.status === 'unauthenticated') return null
  if (result.status !== 'authenticated' || result.session === null) return undefined
  const front = decodeFrontToken(result.frontToken)
  return front !== null &&
    front.sessionId === result.session.sessionId &&
    front.userId === result.session.userId
    ? front
    : undefined
}
