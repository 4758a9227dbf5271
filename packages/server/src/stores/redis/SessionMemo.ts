/**
 * What a Redis store remembers of the sessions it recently read or wrote, so that a refresh
 * needs one command: each session's owner, and how long its owner's index is known to live.
 * @module
 */

/** How many sessions a store remembers (owner, user-index TTL; see `rotateSession`). */
const OWNER_MEMO_SIZE = 10_000

/** What a store knows about one session without asking Redis. */
export interface KnownSession {
  /** The owner: never changes, and session ids are never reused. */
  userId: string
  /** The owner's index lives at least until then (local clock, ms; 0: unknown). */
  indexUntil: number
}

/**
 * Session id → owner and how long its user index is known to live, from this store's recent
 * reads and writes. The owner never changes and ids are never reused. The index TTL only ever
 * grows, and the index exists as long as it lists the session (it can only vanish by expiring,
 * or by becoming empty, which needs this session removed from it: revoked). So `indexUntil`
 * stays a true lower bound for as long as the session exists. Bounded: the oldest entry goes
 * first.
 */
export class SessionMemo extends Map<string, KnownSession> {
  /** Records the owner of a session and, when larger than known, its index bound. */
  remember(sessionId: string, userId: string, indexUntil = 0): void {
    const known = this.get(sessionId)
    if (known) {
      if (indexUntil > known.indexUntil) known.indexUntil = indexUntil
      return
    }
    // Map iteration is insertion order: dropping the first key forgets the oldest entry.
    if (this.size >= OWNER_MEMO_SIZE) this.delete(this.keys().next().value!)
    this.set(sessionId, { userId, indexUntil })
  }
}
