/**
 * The refresh and sign-out flows: read the presented refresh token, ask `rotation.ts` what to do,
 * apply the decision to the store (compare-and-swap, revocation), answer per the contract.
 * @module
 */
import { LatchError, SessionExpiredError, TokenTheftError, toResponse, UnauthorizedError } from './errors.js'
import { endedSessionHeaders, jsonResponse, sessionHeaders } from './http/sessionHeaders.js'
import { type ManagerCore, type RequestContext, revocationFor, slidExpiry, withStore } from './ManagerCore.js'
import { decideRefresh } from './rotation.js'
import type { SessionRecord } from './stores/SessionStore.js'
import { safeEqual } from './tokens/encoding.js'
import type { PresentedRefreshToken, RefreshTokens } from './tokens/refreshToken.js'
import { cookieContext, cookieNames, readCookie } from './transport/cookies.js'
import { assertCsrf } from './transport/csrf.js'
import { frontTokenFor } from './transport/frontToken.js'
import { readBearer, requestedTransport, type Transport } from './transport/headers.js'

/** A CAS lost to a concurrent refresh is retried with the fresh record; more than this is a bug. */
const MAX_ATTEMPTS = 4

interface Presented {
  transport: Transport
  /** Cookie names and attributes; `null` in header transport, whose answers need none. */
  context: ReturnType<typeof cookieContext> | null
  token: string | null
}

/** Reads the refresh token the way the request's transport carries it; CSRF applies to cookies. */
function presentedToken(core: ManagerCore, request: Request): Presented {
  const transport = requestedTransport(request)
  // Only cookies need the context (names, `Secure`): header answers never parse the URL.
  if (transport === 'header') return { transport, context: null, token: readBearer(request) }
  const context = cookieContext(new URL(request.url), core.options.basePath)
  assertCsrf(request)
  return {
    transport,
    context,
    token: readCookie(request.headers.get('cookie'), cookieNames(context).refresh),
  }
}

/** Answers an error; errors that mean "the session is gone" also clear the client's session. */
function errorResponse(error: LatchError, presented: Presented | null): Response {
  const ends = ['unauthorized', 'session_expired', 'token_theft_detected'].includes(error.code)
  return toResponse(
    error,
    ends && presented ? endedSessionHeaders(presented.transport, presented.context) : undefined,
  )
}

async function issueFor(
  core: ManagerCore,
  presented: Presented,
  record: SessionRecord,
  refreshToken: string,
  generation: number,
  expiresAt: number,
): Promise<Response> {
  // The common case (keys read recently) costs no await. A failed re-read signs with the keys
  // already loaded: the rotation is stored by now, and a 503 here would burn its successor (on a
  // Redis Cluster the key ring can live on a master that is down while the session's is up).
  if (core.keys.syncDue()) await core.keys.ensureFresh().catch(() => {})
  const access = core.accessTokens.sign(record.userId, record.id, record.claims)
  const front = frontTokenFor(record, access.expiresAt, generation, core.options.publicClaims)
  const maxAgeSeconds = (expiresAt - core.options.now()) / 1000
  const headers = sessionHeaders(presented.transport, presented.context, {
    accessToken: access.token,
    refreshToken,
    front,
    maxAgeSeconds,
  })
  return jsonResponse({ session: front }, headers)
}

async function theft(core: ManagerCore, record: SessionRecord, request: Request, context: RequestContext) {
  const made = await withStore(() =>
    core.options.store.revokeSessions([record.id], revocationFor(core.options, 'theft')),
  )
  core.revocations.add(made)
  const hook = core.options.onTheftDetected
  if (hook) {
    const event = {
      sessionId: record.id,
      userId: record.userId,
      ip: context.ip ?? null,
      userAgent: request.headers.get('user-agent'),
    }
    // The hook is the application's; its failure must not change the answer.
    Promise.resolve()
      .then(() => hook(event))
      .catch(() => {})
  }
  return new TokenTheftError()
}

function parsed(tokens: RefreshTokens, token: string | null, core: ManagerCore): PresentedRefreshToken {
  const facts = token === null ? null : tokens.parse(token)
  if (!facts) throw new UnauthorizedError('No valid refresh token.')
  // A made-up token naming a real session is refused before any store read.
  if (!facts.issued) throw new UnauthorizedError('No valid refresh token.')
  // The session may already be gone because of theft: say so to the victim and the thief alike.
  if (core.revocations.check(facts.sessionId) === 'theft') throw new TokenTheftError()
  return facts
}

/** `POST {base}/refresh`. Always resolves a Response (errors per the contract). */
export async function refreshSession(core: ManagerCore, request: Request, context: RequestContext = {}) {
  let presented: Presented | null = null
  try {
    presented = presentedToken(core, request)
    const tokens = await withStore(() => core.started())
    const facts = parsed(tokens, presented.token, core)
    const token = presented.token!
    const { options } = core
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const record = await withStore(() => options.store.getSession(facts.sessionId))
      const now = options.now()
      const decision = decideRefresh(record, facts, now, options.reuseGrace, safeEqual)
      switch (decision.action) {
        case 'unauthorized':
          throw new UnauthorizedError('No valid session.')
        case 'expired':
          throw new SessionExpiredError()
        case 'theft':
          throw await theft(core, record!, request, context)
        case 'replay': {
          const successor = tokens.unseal(record!.successorSealed!, token, record!.id)
          if (successor === null || !safeEqual(tokens.hash(successor), record!.currentHash)) {
            throw new UnauthorizedError('No valid session.')
          }
          return await issueFor(core, presented, record!, successor, record!.generation, record!.expiresAt)
        }
        case 'rotate': {
          const current = record!
          const successor = tokens.issue(current.id)
          const update = {
            generation: current.generation + 1,
            currentHash: tokens.hash(successor),
            previousHash: current.currentHash,
            rotatedAt: now,
            successorSealed: tokens.seal(successor, token, current.id),
            lastRefreshedAt: now,
            expiresAt: slidExpiry(options, current, now),
          }
          const rotated = await withStore(() =>
            options.store.rotateSession(current.id, current.currentHash, update),
          )
          // Lost the race: another request rotated this token a moment ago; decide again on its result.
          if (!rotated) continue
          return await issueFor(
            core,
            presented,
            { ...current, ...update },
            successor,
            update.generation,
            update.expiresAt,
          )
        }
      }
    }
    throw new UnauthorizedError('No valid session.')
  } catch (error) {
    if (error instanceof LatchError) return errorResponse(error, presented)
    throw error
  }
}

/** `POST {base}/signout`: idempotent; revokes only with a token the server issued for the session. */
export async function signOutSession(core: ManagerCore, request: Request, context: RequestContext = {}) {
  let presented: Presented | null = null
  try {
    presented = presentedToken(core, request)
    const tokens = await withStore(() => core.started())
    const facts = presented.token === null ? null : tokens.parse(presented.token)
    if (facts?.issued) {
      const record = await withStore(() => core.options.store.getSession(facts.sessionId))
      const decision = decideRefresh(record, facts, core.options.now(), core.options.reuseGrace, safeEqual)
      if (decision.action === 'theft') {
        await theft(core, record!, request, context)
      } else if (
        decision.action === 'rotate' ||
        decision.action === 'replay' ||
        decision.action === 'expired'
      ) {
        const made = await withStore(() =>
          core.options.store.revokeSessions([facts.sessionId], revocationFor(core.options, 'signout')),
        )
        core.revocations.add(made)
      }
    }
    return jsonResponse({ ok: true }, endedSessionHeaders(presented.transport, presented.context))
  } catch (error) {
    if (error instanceof LatchError) return errorResponse(error, presented)
    throw error
  }
}
