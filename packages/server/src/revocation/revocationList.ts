/**
 * The in-memory revocation list: session ids revoked within the last access-token lifetime, so a
 * revoked session's access tokens are refused at once without a store read per request. Loaded
 * from the store at start, fed by the store's push (`subscribeRevocations`), reloaded on resync.
 * @module
 */
import type { Revocation, RevocationReason, SessionStore } from '../stores/SessionStore.js'

/** See the module description. Checks are O(1). */
export class RevocationList {
  private readonly entries = new Map<string, { reason: RevocationReason; expiresAt: number }>()
  private unsubscribe: (() => Promise<void>) | null = null
  private additions = 0
  /** Push messages received from the store (for `sessions.stats()`). */
  pushesReceived = 0

  constructor(
    private readonly store: SessionStore,
    private readonly now: () => number,
  ) {}

  /** Loads the list and subscribes to pushes. */
  async start(): Promise<void> {
    this.unsubscribe = await this.store.subscribeRevocations({
      onRevoked: (revocations) => {
        this.pushesReceived++
        this.add(revocations)
      },
      // Pushes may have been missed while disconnected: reload. A failure keeps what we have.
      onResync: () => {
        this.reload().catch(() => {})
      },
    })
    await this.reload()
  }

  /** Replaces nothing, adds everything the store still lists. */
  async reload(): Promise<void> {
    this.add(await this.store.listRevocations(this.now()))
  }

  /** Records revocations (also called directly after a local revoke, before the push arrives). */
  add(revocations: Revocation[]): void {
    for (const revocation of revocations) {
      const existing = this.entries.get(revocation.sessionId)
      // A theft verdict must not be downgraded by a later, plainer revocation of the same session.
      const reason = existing?.reason === 'theft' ? 'theft' : revocation.reason
      this.entries.set(revocation.sessionId, {
        reason,
        expiresAt: Math.max(existing?.expiresAt ?? 0, revocation.expiresAt),
      })
    }
    this.additions += revocations.length
    if (this.additions > 1000) this.prune()
  }

  /** Why `sessionId` was revoked, or `null` when it was not (or the entry has lapsed). */
  check(sessionId: string): RevocationReason | null {
    const entry = this.entries.get(sessionId)
    if (!entry) return null
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(sessionId)
      return null
    }
    return entry.reason
  }

  /** Number of live entries (for tests and metrics). */
  get size(): number {
    this.prune()
    return this.entries.size
  }

  /** Drops lapsed entries, keeping memory bounded by the revocation rate. */
  prune(): void {
    const now = this.now()
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(id)
    this.additions = 0
  }

  /** Ends the subscription. */
  async stop(): Promise<void> {
    const unsubscribe = this.unsubscribe
    this.unsubscribe = null
    await unsubscribe?.()
  }
}
