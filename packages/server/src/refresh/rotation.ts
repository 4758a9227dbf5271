/**
 * The four refresh rules of DESIGN.md (with rule 1b, a duplicate that presents the current token)
 * as one pure decision: given the session record, what the presented token proves about itself,
 * the time and the reuse grace, say what to do. The manager applies the decision
 * (compare-and-swap, revocation); this file touches nothing.
 * @module
 */
import { sessionLiveAt } from '../stores/rotationRule.js'
import type { SessionRecord } from '../stores/SessionStore.js'

/** Facts about the presented refresh token that need no store (see `refreshToken.ts`). */
export interface PresentedTokenFacts {
  /** SHA-256 of the token. */
  hash: string
  /** The proof of issue checks out for the session the token names. */
  issued: boolean
  /**
   * The generation the client says it refreshes from (the browser client sends its front token's
   * `generation`); `undefined` when the request does not say. Only ever lowers what happens: a
   * current token presented by a client that saw an older generation is answered again instead of
   * being rotated a second time (rule 1b).
   */
  seenGeneration?: number
}

/** What a refresh must do. */
export type RefreshDecision =
  /** Rule 1: the current token. Rotate with a compare-and-swap on `currentHash`. */
  | { action: 'rotate' }
  /**
   * Rule 1b: the current token, presented within the grace of its own rotation by a client that
   * saw an older generation: a duplicate of the refresh that made it (a tab that read the front
   * token before another tab's answer landed in the shared cookie jar). Answer the same token
   * again with a fresh access token; rotating it would orphan whatever older copy is still in
   * flight, which rule 3 would then call theft.
   */
  | { action: 'reissue' }
  /** Rule 2: the immediate predecessor within the grace. Answer the sealed successor again. */
  | { action: 'replay' }
  /** Rule 3: an older token the server really issued. Revoke the session. */
  | { action: 'theft' }
  /** Rule 4: the session passed its idle or absolute timeout. */
  | { action: 'expired' }
  /** Rule 4: unknown session, or a token the server never issued. Touch nothing. */
  | { action: 'unauthorized' }

/**
 * Decides a refresh. `equal` compares hashes; pass a constant-time comparison.
 *
 * Order matters: an unproven token is `unauthorized` before anything else, so a made-up token
 * naming a real session learns nothing about it and revokes nothing; an expired session reports
 * expiry even for an old token, since there is nothing left to protect.
 */
export function decideRefresh(
  record: SessionRecord | null,
  presented: PresentedTokenFacts,
  now: number,
  reuseGraceMs: number,
  equal: (a: string, b: string) => boolean,
): RefreshDecision {
  if (!presented.issued || record === null) return { action: 'unauthorized' }
  // The same liveness test the stores' rotate-if-current applies (stores/rotationRule.ts).
  if (!sessionLiveAt(record, now)) return { action: 'expired' }
  if (equal(presented.hash, record.currentHash)) {
    const seen = presented.seenGeneration
    return seen !== undefined && seen < record.generation && withinGrace(record, now, reuseGraceMs)
      ? { action: 'reissue' }
      : { action: 'rotate' }
  }
  if (
    record.previousHash !== null &&
    equal(presented.hash, record.previousHash) &&
    record.successorSealed !== null &&
    withinGrace(record, now, reuseGraceMs)
  ) {
    return { action: 'replay' }
  }
  return { action: 'theft' }
}

/** The last rotation happened at most `reuseGraceMs` ago (the boundary included). */
const withinGrace = (record: SessionRecord, now: number, reuseGraceMs: number): boolean =>
  record.rotatedAt !== null && now - record.rotatedAt <= reuseGraceMs
