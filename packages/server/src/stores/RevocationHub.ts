import type { KeyRevocation, Revocation, RevocationSubscriber, StaleMark } from './SessionStore.js'

/** What one push carries: any mix of revocations, stale marks and key revocations. */
export interface PushBatch {
  revocations?: Revocation[]
  stale?: StaleMark[]
  keys?: KeyRevocation[]
}

/**
 * The wire form of a push: a JSON array. Revocations go as they are (the form older instances
 * read); stale marks and key revocations are tagged with `t`, which older instances drop.
 */
export function encodePush(batch: PushBatch): unknown[] {
  return [
    ...(batch.revocations ?? []),
    ...(batch.stale ?? []).map((mark) => ({ t: 'stale', ...mark })),
    ...(batch.keys ?? []).map((key) => ({ t: 'key', ...key })),
  ]
}

/**
 * In-process fan-out of pushes to subscribers. Single-node stores push through it directly;
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
      onStale: (m) => subscriber.onStale?.(m),
      onKeysRevoked: (k) => subscriber.onKeysRevoked?.(k),
    }
    this.#subscribers.add(entry)
    return () => {
      this.#subscribers.delete(entry)
    }
  }

  /** Delivers copies of `revocations` to every subscriber. */
  publish(revocations: Revocation[]): void {
    this.publishBatch({ revocations })
  }

  /** Delivers copies of every part of `batch` to every subscriber. */
  publishBatch(batch: PushBatch): void {
    const { revocations = [], stale = [], keys = [] } = batch
    for (const subscriber of [...this.#subscribers]) {
      // A throwing subscriber must not break the call that triggered it, nor starve the others.
      try {
        if (revocations.length > 0) subscriber.onRevoked(revocations.map((r) => ({ ...r })))
      } catch {}
      try {
        if (stale.length > 0) subscriber.onStale!(stale.map((m) => ({ ...m })))
      } catch {}
      try {
        if (keys.length > 0) subscriber.onKeysRevoked!(keys.map((k) => ({ ...k })))
      } catch {}
    }
  }

  /**
   * Delivers a pushed message (a JSON array, see {@link encodePush}) from pub/sub or NOTIFY.
   * Anything else — garbage, entries of the wrong shape — is dropped: the channel is not
   * trusted input.
   */
  publishJson(message: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(message)
    } catch {
      return
    }
    if (!Array.isArray(parsed)) return
    const batch: Required<PushBatch> = { revocations: [], stale: [], keys: [] }
    for (const entry of parsed) {
      if (entry?.t === 'stale') {
        // A mark from an instance older than claims versions has none: 0, judged by time.
        if (isStaleMark(entry))
          batch.stale.push({ ...pick(entry, STALE_FIELDS), version: markVersion(entry.version) } as StaleMark)
      } else if (entry?.t === 'key') {
        if (isKeyRevocation(entry)) batch.keys.push(pick(entry, KEY_FIELDS) as unknown as KeyRevocation)
      } else if (isRevocation(entry)) batch.revocations.push(entry)
    }
    this.publishBatch(batch)
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

const STALE_FIELDS = ['sessionId', 'userId', 'markedAt', 'expiresAt'] as const
const KEY_FIELDS = ['kid', 'revokedAt'] as const

/** A mark's claims version as read from the wire or a store; 0 (a pre-version mark) when absent or invalid. */
export function markVersion(value: unknown): number {
  const n = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= 0x7fff_ffff ? n : 0
}

/** Only the named fields, so the tag (and anything else on the wire) stays out of memory. */
function pick(entry: any, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [field, entry[field]]))
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

/** Shape check for stale marks arriving over the channel or read from a store. */
export function isStaleMark(v: any): v is StaleMark {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.sessionId === 'string' &&
    typeof v.userId === 'string' &&
    Number.isFinite(v.markedAt) &&
    Number.isFinite(v.expiresAt)
  )
}

/** Shape check for key revocations arriving over the channel or read from a store. */
export function isKeyRevocation(v: any): v is KeyRevocation {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.kid === 'string' &&
    /^[\w-]{1,64}$/.test(v.kid) &&
    Number.isFinite(v.revokedAt)
  )
}
