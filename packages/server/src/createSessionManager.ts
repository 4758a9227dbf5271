/**
 * The session manager: wires options, key ring, tokens, revocation list and store into the
 * {@link SessionManager} an application calls. Each job lives in a module of its own (sign-in,
 * verification, the refresh flow, key and session administration, stats, the start/stop
 * lifecycle); this file only builds the parts and connects them.
 * @module
 */

import { updateSessionClaims, updateUserClaims } from './claims.js'
import { answer, handle } from './http/handle.js'
import { readSession } from './http/readSession.js'
import { KeyRing } from './keys/keyRing.js'
import type { ManagerCore } from './ManagerCore.js'
import { attachInternals } from './manager/internals.js'
import { jwks, revokeCurrentKey, revokeKey, rotateKeys } from './manager/keyAdministration.js'
import { startLifecycle } from './manager/lifecycle.js'
import type { SessionManager } from './manager/SessionManager.js'
import { listUserSessions, revokeSession, revokeUserSessions } from './manager/sessionAdministration.js'
import { createSession, plainHttpWarning } from './manager/signIn.js'
import { managerStats } from './manager/stats.js'
import { verifyRequest, verifyRequestCached } from './manager/verification.js'
import { resolveOptions } from './options.js'
import { RevocationList } from './revocation/revocationList.js'
import type { SessionManagerOptions } from './SessionManagerOptions.js'
import { AccessTokens } from './tokens/accessToken.js'
import { assertRequestLike } from './transport/requestLike.js'

export type { SessionManager } from './manager/SessionManager.js'
export type { CreatedSession, CreateSessionInput } from './manager/signIn.js'
export type { SessionManagerStats } from './manager/stats.js'

/**
 * Creates a session manager. Options are validated now (`TypeError` naming the option); keys,
 * secrets and the revocation list load in the background (`ready`).
 *
 * @example
 * const sessions = createSessionManager({ store: memoryStore(), accessTokenTtl: '10m' })
 */
export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const resolved = resolveOptions(options)
  const keys = new KeyRing(resolved)
  const revocations = new RevocationList(resolved.store, resolved.now, {
    // A pushed key revocation: drop the key and every cached token (some may be its own).
    onKeysRevoked: (revoked) => {
      keys.revokeLocal(revoked)
      accessTokens.clearCache()
    },
    onResync: () => {
      keys.sync().catch(() => {})
    },
  })
  const accessTokens = new AccessTokens(resolved, keys, revocations)
  const lifecycle = startLifecycle(resolved, keys, revocations)
  const core: ManagerCore = { options: resolved, keys, accessTokens, revocations, started: lifecycle.started }
  const warnPlainHttp = plainHttpWarning(resolved.warn)

  const manager: SessionManager = {
    ready: lifecycle.ready,
    basePath: resolved.basePath,
    create: (request, input) => createSession(core, request, input, warnPlainHttp),
    verify: (request) => verifyRequest(core, lifecycle, request),
    readSession(input) {
      // Through `verify` itself, so cookie and token reading stay in one place.
      return readSession((request) => this.verify(request), input)
    },
    handle: (request, context) => handle(core, request, context),
    listUserSessions: (userId, currentSessionId = null) => listUserSessions(core, userId, currentSessionId),
    revokeSession: (sessionId) => revokeSession(core, sessionId),
    revokeUserSessions: (userId, { except = null } = {}) => revokeUserSessions(core, userId, except),
    rotateKeys: () => rotateKeys(core),
    revokeKey: (kid) => revokeKey(core, kid),
    revokeCurrentKey: () => revokeCurrentKey(core),
    updateSessionClaims: (sessionId, claims) => updateSessionClaims(core, sessionId, claims),
    updateUserClaims: (userId, claims) => updateUserClaims(core, userId, claims),
    jwks: () => jwks(core),
    stats: () => managerStats(core),
    close: () => lifecycle.close(),
  }
  // For `@latch/server/adapter` only (see manager/internals.ts).
  return attachInternals(manager, {
    verifyCached: (request, memo) => verifyRequestCached(core, lifecycle, request, memo),
    answer: (request, context) => {
      // A programming error rejects; what the client sent is answered (a bad Host: `null`/401).
      try {
        assertRequestLike(request, 'answerRequest()')
      } catch (error) {
        return Promise.reject(error)
      }
      return answer(core, request, context)
    },
  })
}
