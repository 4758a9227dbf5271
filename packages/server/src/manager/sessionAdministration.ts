/**
 * A user's sessions seen from the application (`listUserSessions`, `revokeSession`,
 * `revokeUserSessions`): store calls whose revocations also enter this instance's list at once
 * (other instances learn them by push).
 * @module
 */
import { type ManagerCore, revocationFor, withStore } from '../ManagerCore.js'
import { listedSession, type SessionListing } from '../sessionListing.js'

/** The user's live sessions, newest first; `current` marks `currentSessionId`. */
export async function listUserSessions(
  core: ManagerCore,
  userId: string,
  currentSessionId: string | null,
): Promise<SessionListing[]> {
  const records = await withStore(() => core.options.store.listUserSessions(userId, core.options.now()))
  return records.map((record) => listedSession(record, currentSessionId))
}

/** Revokes one session; resolves whether it existed. */
export async function revokeSession(core: ManagerCore, sessionId: string): Promise<boolean> {
  const made = await withStore(() =>
    core.options.store.revokeSessions([sessionId], revocationFor(core.options, 'revoked')),
  )
  core.revocations.add(made)
  return made.length > 0
}

/** Revokes a user's sessions but `except`; resolves how many went. */
export async function revokeUserSessions(
  core: ManagerCore,
  userId: string,
  except: string | null,
): Promise<number> {
  const made = await withStore(() =>
    core.options.store.revokeUserSessions(userId, except, revocationFor(core.options, 'revoked')),
  )
  core.revocations.add(made)
  return made.length
}
