/**
 * The four refresh rules of DESIGN.md as one pure decision: given the session record, what the
 * presented token proves about itself, the time and the reuse grace, say what to do. The manager
 * applies the decision (compare-and-swap, revocation); this file touches nothing.
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
}

/** What a refresh must do. */
export type RefreshDecision =
  /** Rule 1: the current token. Rotate with a compare-and-swap on `currentHash`. */
  | { action: 'rotate' }
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
  if (equal(presented.hash, record.currentHash)) return { action: 'rotate' }
  if (
    record.previousHash !== null &&
    equal(presented.hash, record.previousHash) &&
    record.rotatedAt !== null &&
    record.successorSealed !== null &&
    now - record.rotatedAt <= reuseGraceMs
  ) {
    return { action: 'replay' }
  }
  return { action: 'theft' }
}
