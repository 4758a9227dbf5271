/**
 * The in-memory revocation list: session ids revoked within the last access-token lifetime, so a
 * revoked session's access tokens are refused at once without a store read per request; and
 * "stale" marks of sessions whose claims changed, so their older access tokens are answered
 * `try_refresh`. Loaded from the store at start, fed by the store's push
 * (`subscribeRevocations`), reloaded on resync. Key revocations arrive on the same push and are
 * handed to `onKeysRevoked`.
 * @module
 */
import type {
  KeyRevocation,
  Revocation,
  RevocationReason,
  SessionStore,
  StaleMark,
} from '../stores/SessionStore.js'

/** What {@link RevocationList.check} answers: a revocation reason, `stale`, or `null` (fine). */
export type SessionCheck = RevocationReason | 'stale' | null

/** Callbacks for what the push brings besides session entries. */
export interface RevocationListHooks {
  /** Signing keys were revoked (pushed by any instance). */
  onKeysRevoked?(keys: KeyRevocation[]): void
  /** Pushes may have been missed (the subscription came back): reload whatever else you keep. */
  onResync?(): void
}

/** What a stale check reads from an access token. */
export interface TokenFacts {
  /** The token's claims version (`cv`); `null` for a token issued before claims versions existed. */
  version: number | null
  /** The token's `iat` in epoch ms: read only against a mark written before claims versions. */
  issuedAt: number
}

/**
 * Whether a token is older than its session's mark. By version: no clock is compared, so
 * instances whose clocks differ agree. A token without a version (issued before the upgrade)
 * counts as version 0, so any mark written since stales it: one refresh, nobody signed out. A
 * mark without a version (written before the upgrade, or pushed by an instance not yet
 * upgraded) is judged by time as that release did; a whole-second token counts from the end of
 * its second, so a token issued in the same second as such a mark is not refused again and
 * again (no refresh loop).
 */
function isStale(mark: { version: number; legacyAt: number }, token: TokenFacts): boolean {
  if ((token.version ?? 0) < mark.version) return true
  if (mark.legacyAt === 0) return false
  const issued = token.version === null ? token.issuedAt : token.issuedAt + 999
  return issued < mark.legacyAt
}

/** See the module description. Checks are O(1). */
export class RevocationList {
  private readonly entries = new Map<string, { reason: RevocationReason; expiresAt: number }>()
  /** By session: the claims version a token must have reached, and a pre-version mark's time (0: none). */
  private readonly stale = new Map<string, { version: number; legacyAt: number; expiresAt: number }>()
  private unsubscribe: (() => Promise<void>) | null = null
  private additions = 0
  /** Push messages received from the store: revocations, stale marks, key revocations (for `sessions.stats()`). */
  pushesReceived = 0

  constructor(
    private readonly store: SessionStore,
    private readonly now: () => number,
    private readonly hooks: RevocationListHooks = {},
  ) {}

  /** Loads the list and subscribes to pushes. */
  async start(): Promise<void> {
    this.unsubscribe = await this.store.subscribeRevocations({
      onRevoked: (revocations) => {
        this.pushesReceived++
        this.add(revocations)
      },
      onStale: (marks) => {
        this.pushesReceived++
        this.addStale(marks)
      },
      onKeysRevoked: (keys) => {
        this.pushesReceived++
        this.hooks.onKeysRevoked?.(keys)
      },
      // Pushes may have been missed while disconnected: reload. A failure keeps what we have.
      onResync: () => {
        this.reload().catch(() => {})
        this.hooks.onResync?.()
      },
    })
    await this.reload()
  }

  /** Replaces nothing, adds everything the store still lists. */
  async reload(): Promise<void> {
    const now = this.now()
    const [revocations, marks] = await Promise.all([
      this.store.listRevocations(now),
      this.store.listStaleMarks(now),
    ])
    this.add(revocations)
    this.addStale(marks)
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
    this.counted(revocations.length)
  }

  /** Records stale marks (also called directly after a local claims update). The latest mark wins. */
  addStale(marks: StaleMark[]): void {
    for (const mark of marks) {
      const existing = this.stale.get(mark.sessionId)
      this.stale.set(mark.sessionId, {
        version: Math.max(existing?.version ?? 0, mark.version),
        legacyAt: Math.max(existing?.legacyAt ?? 0, mark.version === 0 ? mark.markedAt : 0),
        expiresAt: Math.max(existing?.expiresAt ?? 0, mark.expiresAt),
      })
    }
    this.counted(marks.length)
  }

  /**
   * Why `sessionId` was revoked; `stale` when `token` carries a claims version older than the
   * session's mark (its claims are old); or `null` when neither (or the entries have lapsed).
   * Without `token` (a refresh asking about theft), never `stale`.
   */
  check(sessionId: string, token?: TokenFacts): SessionCheck {
    // Every protected request asks; most lists are empty most of the time.
    if (this.entries.size === 0 && this.stale.size === 0) return null
    const entry = this.entries.get(sessionId)
    if (entry) {
      if (entry.expiresAt > this.now()) return entry.reason
      this.entries.delete(sessionId)
    }
    const mark = this.stale.get(sessionId)
    if (!mark) return null
    if (mark.expiresAt <= this.now()) {
      this.stale.delete(sessionId)
      return null
    }
    return token !== undefined && isStale(mark, token) ? 'stale' : null
  }

  /** Number of live entries, revocations and stale marks (for tests and metrics). */
  get size(): number {
    this.prune()
    return this.entries.size + this.stale.size
  }

  /** Drops lapsed entries, keeping memory bounded by the revocation rate. */
  prune(): void {
    const now = this.now()
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(id)
    for (const [id, mark] of this.stale) if (mark.expiresAt <= now) this.stale.delete(id)
    this.additions = 0
  }

  /** Ends the subscription. */
  async stop(): Promise<void> {
    const unsubscribe = this.unsubscribe
    this.unsubscribe = null
    await unsubscribe?.()
  }

  private counted(n: number): void {
    this.additions += n
    if (this.additions > 1000) this.prune()
  }
}
