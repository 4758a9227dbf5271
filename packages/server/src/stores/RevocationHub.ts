import type { Revocation, RevocationSubscriber } from './SessionStore.js'

/**
 * In-process fan-out of revocations to subscribers. Single-node stores push through it directly;
 * networked stores feed it from their pub/sub connection so one network subscription serves
 * every local subscriber.
 */
export class RevocationHub {
  readonly #subscribers = new Set<RevocationSubscriber>()

  /** Number of live subscribers (networked stores open their connection for the first). */
  get size(): number {
    return this.#subscribers.size
  }

  /** Adds a subscriber; the returned function removes it (idempotent). */
  add(subscriber: RevocationSubscriber): () => void {
    // Wrap so the same object may subscribe twice and unsubscribe each independently.
    const entry: RevocationSubscriber = {
      onRevoked: (r) => subscriber.onRevoked(r),
      onResync: () => subscriber.onResync(),
    }
    this.#subscribers.add(entry)
    return () => {
      this.#subscribers.delete(entry)
    }
  }

  /** Delivers copies of `revocations` to every subscriber. */
  publish(revocations: Revocation[]): void {
    if (revocations.length === 0) return
    for (const subscriber of [...this.#subscribers]) {
      // A throwing subscriber must not break the revoke that triggered it, nor starve the others.
      try {
        subscriber.onRevoked(revocations.map((r) => ({ ...r })))
      } catch {}
    }
  }

  /**
   * Delivers a pushed message (a JSON array of revocations) from pub/sub or NOTIFY. Anything
   * else — garbage, entries of the wrong shape — is dropped: the channel is not trusted input.
   */
  publishJson(message: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(message)
    } catch {
      return
    }
    if (Array.isArray(parsed)) this.publish(parsed.filter(isRevocation))
  }

  /** Tells every subscriber that pushes may have been missed. */
  resync(): void {
    for (const subscriber of [...this.#subscribers]) {
      try {
        subscriber.onResync()
      } catch {}
    }
  }

  clear(): void {
    this.#subscribers.clear()
  }
}

/** Shape check for revocations arriving over pub/sub or NOTIFY (anything else is ignored). */
export function isRevocation(v: any): v is Revocation {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.sessionId === 'string' &&
    typeof v.userId === 'string' &&
    typeof v.reason === 'string' &&
    typeof v.revokedAt === 'number' &&
    typeof v.expiresAt === 'number'
  )
}
