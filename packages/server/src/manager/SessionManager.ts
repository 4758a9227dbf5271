/**
 * The API an application calls: the {@link SessionManager} interface, implemented by
 * `createSessionManager` from the parts in this folder.
 * @module
 */
import type { ReadSessionInput, ReadSessionResult } from '../http/readSession.js'
import type { KeyRevocationResult } from '../keys/keyRing.js'
import type { RequestContext } from '../ManagerCore.js'
import type { SessionListing } from '../sessionListing.js'
import type { VerifiedSession } from '../tokens/accessToken.js'
import type { RequestLike } from '../transport/requestLike.js'
import type { CreatedSession, CreateSessionInput } from './signIn.js'
import type { SessionManagerStats } from './stats.js'

/** The session manager. See the README for a tour. */
export interface SessionManager {
  /** Resolves once keys, secrets and the revocation list are loaded. Calls wait for it themselves. */
  readonly ready: Promise<void>
  /** The validated base path of the endpoints, e.g. `/auth/session`. */
  readonly basePath: string
  /**
   * Creates a session for an authenticated user; a valid key proof in the request's `DPoP` header
   * binds it (option `binding`). Rejects `TypeError` on bad input, `LatchError` on store failure,
   * and `unauthorized` under `binding: 'required'` without a valid proof.
   */
  create(request: RequestLike, input: CreateSessionInput): Promise<CreatedSession>
  /**
   * Verifies the request's access token (Bearer header, else cookie + CSRF on unsafe methods).
   * Rejects a `LatchError`. No store read. A token that came some other way (a WebSocket message,
   * a queue) goes in as a Bearer header:
   * `verify(new Request(url, { headers: { authorization: 'Bearer ' + token } }))`.
   */
  verify(request: RequestLike): Promise<VerifiedSession>
  /**
   * `verify` for code handed headers instead of a `Request` (Next.js server components, loaders):
   * `authenticated`, `refresh` (the browser should refresh) or `unauthenticated`, as a result.
   * Writes no cookies, reads no store, never rejects for bad input.
   */
  readSession(input: ReadSessionInput): Promise<ReadSessionResult>
  /**
   * Answers `{base}/refresh`, `{base}/signout` and `{base}/jwks.json`; `null` for other paths.
   * Adapters that write their own responses use `answerRequest` from `@latch/server/adapter`.
   */
  handle(request: Request, context?: RequestContext): Promise<Response | null>
  /** The user's live sessions, newest first; `current` marks `currentSessionId`. */
  listUserSessions(userId: string, currentSessionId?: string | null): Promise<SessionListing[]>
  /** Revokes one session. Resolves whether it existed. */
  revokeSession(sessionId: string): Promise<boolean>
  /** Revokes all of a user's sessions, or all others with `except`. Resolves how many went. */
  revokeUserSessions(userId: string, options?: { except?: string | null }): Promise<number>
  /** Adds a signing key now; it signs after the activation delay (2 × `keySyncInterval`). */
  rotateKeys(): Promise<void>
  /**
   * Revokes a signing key for good (a leak): it leaves the JWKS, and every instance answers the
   * tokens it signed `try_refresh` within about a second (pushed), so clients refresh once and
   * nobody is signed out. Revoking the newest key first adds its replacement, which signs at
   * once. An unknown or already revoked kid changes nothing (see `outcome`). With explicit
   * `keys`, the revocation is recorded in the store too; revoking the last key of the list that
   * is not revoked is a `TypeError` (add its replacement to `keys` first).
   */
  revokeKey(kid: string): Promise<KeyRevocationResult>
  /**
   * Replaces the current signing key and revokes it (`revokeKey` of the signer). Resolves the
   * revoked kid and the one that signs now. With explicit `keys`: a `TypeError` (Latch cannot
   * make a key for you; add one to `keys`, then `revokeKey(oldKid)`).
   */
  revokeCurrentKey(): Promise<{ revokedKid: string; currentKid: string }>
  /**
   * Replaces the application claims of one session (a role granted, a name changed): stored at
   * once, and every instance answers the session's current access tokens `try_refresh` within
   * about a second (pushed); the refresh issues the new claims. Nobody is signed out. Resolves
   * whether the session exists. Claims are checked as in `create` (`TypeError`, nothing stored).
   */
  updateSessionClaims(sessionId: string, claims: Record<string, unknown>): Promise<boolean>
  /** `updateSessionClaims` for every session of a user. Resolves how many sessions changed. */
  updateUserClaims(userId: string, claims: Record<string, unknown>): Promise<number>
  /** The public JWKS. */
  jwks(): Promise<{ keys: Record<string, unknown>[] }>
  /** Counters for metrics (verify cache, revocation list, pushes); cheap to call. */
  stats(): SessionManagerStats
  /** Stops timers and subscriptions. Does not close the store (the application owns it). */
  close(): Promise<void>
}
