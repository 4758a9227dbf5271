/**
 * The refresh and sign-out flows: judge the presented copies, ask `rotation.ts` what to do, build
 * the rotation once (`stores/rotationRule.ts`), apply the decision through the store
 * (compare-and-swap, revocation) and hand back what to issue, or reject a `LatchError`. The HTTP
 * layer (`http/sessionEndpoints.ts`) only translates the result into an answer.
 * @module
 */

import { safeEqual } from '../encoding.js'
import { SessionExpiredError, TokenTheftError, UnauthorizedError } from '../errors.js'
import { type ManagerCore, type RequestContext, revocationFor, withStore } from '../ManagerCore.js'
import { rotationUpdate } from '../stores/rotationRule.js'
import type { CurrentRotation, SessionRecord } from '../stores/SessionStore.js'
import type { PresentedRefreshToken, RefreshTokens } from '../tokens/refreshToken.js'
import { frontTokenFor } from '../transport/frontToken.js'
import type { RequestLike } from '../transport/requestLike.js'
import type { IssuedTokens } from '../transport/sessionHeaders.js'
import { bindingRefusal, type PresentedProof } from './binding.js'
import { type Presented, proofOf } from './presented.js'
import { decideRefresh, type PresentedTokenFacts, type RefreshDecision } from './rotation.js'

/** A CAS lost to a concurrent refresh is retried with the fresh record; more than this is a bug. */
const MAX_ATTEMPTS = 4

/** One presented copy, judged without side effects. */
interface Judged {
  token: string
  facts: PresentedRefreshToken & PresentedTokenFacts
  record: SessionRecord | null
  decision: RefreshDecision
}

/** How strongly a decision claims the request: a live copy first, theft only when none is live. */
const RANK: Record<RefreshDecision['action'], number> = {
  rotate: 0,
  reissue: 0,
  replay: 0,
  theft: 1,
  expired: 2,
  unauthorized: 3,
}

/**
 * Judges every presented copy with `decideRefresh`, reading the store but writing nothing, and
 * returns the one to act on: a current or in-grace copy if there is one (a stale leftover at
 * another Path or Domain must never revoke or sign out a live session), else a theft, else an
 * expiry, else `null` (nothing usable: `unauthorized`). A made-up token is never read further.
 */
async function judge(core: ManagerCore, tokens: RefreshTokens, presented: Presented) {
  let best: Judged | null = null
  for (const token of presented.tokens) {
    const parsed = tokens.parse(token)
    // A made-up token naming a real session is refused before any store read.
    if (!parsed?.issued) continue
    // Rule 1b only for a tab the cookie jar shows to be behind: the same answer on every store.
    const facts = { ...parsed, seenGeneration: presented.behind ? presented.seenGeneration : undefined }
    let record: SessionRecord | null = null
    let decision: RefreshDecision
    // The session may already be gone because of theft: say so to the victim and the thief alike.
    if (core.revocations.check(facts.sessionId) === 'theft') decision = { action: 'theft' }
    else {
      record = await withStore(() => core.options.store.getSession(facts.sessionId))
      decision = decideRefresh(record, facts, core.options.now(), core.options.reuseGrace, safeEqual)
    }
    if (decision.action === 'unauthorized') continue
    if (best === null || RANK[decision.action] < RANK[best.decision.action])
      best = { token, facts, record, decision }
    if (RANK[decision.action] === 0) break
  }
  return best
}

/**
 * The common refresh in one store call, for a store with `rotateIfCurrent` and a single presented
 * copy: the store rotates if the token is current and the session live. Otherwise it hands back
 * what it read, judged here as `judge` would, so the usual path goes on without reading again.
 */
async function rotateAtOnce(
  core: ManagerCore,
  tokens: RefreshTokens,
  token: string,
  proof: PresentedProof,
): Promise<{ issued: IssuedTokens } | { judged: Judged | null }> {
  const facts = tokens.parse(token)
  // A made-up token naming a real session is refused before any store call.
  if (!facts?.issued) return { judged: null }
  if (core.revocations.check(facts.sessionId) === 'theft')
    return { judged: { token, facts, record: null, decision: { action: 'theft' } } }
  const { options } = core
  const store = options.store
  const now = options.now()
  // Made before knowing whether it is needed: a replay, theft or expiry (rare) wastes them.
  const { successor, rotation } = successorOf(core, tokens, token, facts.sessionId, facts.hash, now)
  // The store leaves a session bound to another key as it is; the caller then refuses it.
  rotation.binding = proof.thumbprint
  const { before, rotated } = await withStore(() =>
    store.rotateIfCurrent!(facts.sessionId, facts.hash, rotation, now),
  )
  if (rotated && before) {
    const record: SessionRecord = { ...before, ...rotationUpdate(before, rotation) }
    return { issued: await issuedTokens(core, record, successor) }
  }
  const decision = decideRefresh(before, facts, now, options.reuseGrace, safeEqual)
  return { judged: decision.action === 'unauthorized' ? null : { token, facts, record: before, decision } }
}

/**
 * The successor token of `sessionId` and the rotation that stores it: `previousHash` becomes the
 * predecessor, the successor is sealed under the presented `token` for the reuse grace, and the
 * idle expiry slides from `now` (the store, or `rotationUpdate`, caps it by the absolute one).
 */
function successorOf(
  core: ManagerCore,
  tokens: RefreshTokens,
  token: string,
  sessionId: string,
  previousHash: string,
  now: number,
): { successor: string; rotation: CurrentRotation } {
  const successor = tokens.issue(sessionId)
  return {
    successor,
    rotation: {
      currentHash: tokens.hash(successor),
      previousHash,
      rotatedAt: now,
      successorSealed: tokens.seal(successor, token, sessionId),
      lastRefreshedAt: now,
      idleExpiresAt: now + core.options.sessionTtl,
    },
  }
}

/** The tokens that hand `record` (as now stored) to the client with its refresh token. */
async function issuedTokens(
  core: ManagerCore,
  record: SessionRecord,
  refreshToken: string,
): Promise<IssuedTokens> {
  // The common case (keys read recently) costs no await. A failed re-read signs with the keys
  // already loaded: the rotation is stored by now, and a 503 here would burn its successor (on a
  // Redis Cluster the key ring can live on a master that is down while the session's is up).
  if (core.keys.syncDue()) await core.keys.ensureFresh().catch(() => {})
  const access = core.accessTokens.issue(record.userId, record.id, record.claims, record.claimsVersion)
  return {
    accessToken: access.token,
    refreshToken,
    front: frontTokenFor(record, access.expiresAt, record.generation, core.options.publicClaims),
    maxAgeSeconds: (record.expiresAt - core.options.now()) / 1000,
  }
}

async function theft(
  core: ManagerCore,
  record: SessionRecord,
  request: RequestLike,
  context: RequestContext,
) {
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

/**
 * The refresh flow of `POST {base}/refresh`: judges the presented copies, decides (the pure rules
 * of `rotation.ts`), applies the decision through the store and resolves the tokens to hand over.
 * Rejects a `LatchError` for every refusal (the HTTP layer translates it); `url`: the request's
 * URL, parsed by the router.
 */
export async function refreshFlow(
  core: ManagerCore,
  request: RequestLike,
  context: RequestContext,
  presented: Presented,
  url: URL,
): Promise<IssuedTokens> {
  const tokens = await withStore(() => core.started())
  const proof = await proofOf(core, request, presented, url)
  let chosen: Judged | null
  // `required` refuses unbound sessions, which the one-step rotation would rotate; a client behind
  // the cookie jar may be a duplicate (rule 1b), which it would rotate again.
  if (
    core.options.store.rotateIfCurrent &&
    presented.tokens.length === 1 &&
    !presented.behind &&
    core.options.binding !== 'required'
  ) {
    const outcome = await rotateAtOnce(core, tokens, presented.tokens[0]!, proof)
    if ('issued' in outcome) return outcome.issued
    chosen = outcome.judged
  } else chosen = await judge(core, tokens, presented)
  if (chosen === null) throw new UnauthorizedError('No valid refresh token.')
  // Already revoked for theft: nothing left to revoke, the answer says why.
  if (chosen.record === null) throw new TokenTheftError()
  const { token, facts } = chosen
  const { options } = core
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // The first attempt acts on the judged record; a lost compare-and-swap reads it again.
    const record =
      attempt === 0 ? chosen.record : await withStore(() => options.store.getSession(facts.sessionId))
    const now = options.now()
    const decision =
      attempt === 0 ? chosen.decision : decideRefresh(record, facts, now, options.reuseGrace, safeEqual)
    // A bound session moves (or is revoked for theft) only for its key: a copied jar changes nothing.
    if (record && decision.action !== 'unauthorized' && decision.action !== 'expired') {
      const refusal = bindingRefusal(core, record, proof, request, context, 'refresh')
      if (refusal) throw refusal
    }
    switch (decision.action) {
      case 'unauthorized':
        throw new UnauthorizedError('No valid session.')
      case 'expired':
        throw new SessionExpiredError()
      case 'theft':
        throw await theft(core, record!, request, context)
      case 'reissue':
        // The presented token is still the current one: it goes back as is.
        return await issuedTokens(core, record!, token)
      case 'replay': {
        const successor = tokens.unseal(record!.successorSealed!, token, record!.id)
        if (successor === null || !safeEqual(tokens.hash(successor), record!.currentHash)) {
          throw new UnauthorizedError('No valid session.')
        }
        return await issuedTokens(core, record!, successor)
      }
      case 'rotate': {
        const current = record!
        const { successor, rotation } = successorOf(core, tokens, token, current.id, current.currentHash, now)
        const update = rotationUpdate(current, rotation)
        const rotated = await withStore(() =>
          // The claims version too: a claims update since `current` was read fails the swap, and
          // the retry reads the new claims, so this refresh never issues the ones it replaced.
          options.store.rotateSession(current.id, current.currentHash, update, current.claimsVersion),
        )
        // Lost the race: another request rotated this token a moment ago; decide again on its result.
        if (!rotated) continue
        return await issuedTokens(core, { ...current, ...update }, successor)
      }
    }
  }
  throw new UnauthorizedError('No valid session.')
}

/**
 * The sign-out flow of `POST {base}/signout`: idempotent; revokes only with a token the server
 * issued for the session. Rejects a `LatchError` for a refusal.
 */
export async function signOutFlow(
  core: ManagerCore,
  request: RequestLike,
  context: RequestContext,
  presented: Presented,
  url: URL,
): Promise<void> {
  const tokens = await withStore(() => core.started())
  const chosen = await judge(core, tokens, presented)
  const action = chosen?.decision.action
  if (chosen?.record) {
    const proof = await proofOf(core, request, presented, url)
    const refusal = bindingRefusal(core, chosen.record, proof, request, context, 'signout')
    if (refusal) throw refusal
  }
  if (action === 'theft' && chosen!.record !== null) {
    await theft(core, chosen!.record, request, context)
  } else if (action === 'rotate' || action === 'reissue' || action === 'replay' || action === 'expired') {
    const made = await withStore(() =>
      core.options.store.revokeSessions([chosen!.facts.sessionId], revocationFor(core.options, 'signout')),
    )
    core.revocations.add(made)
  }
}
