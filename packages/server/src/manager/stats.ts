/**
 * A manager's counters for metrics (`SessionManager.stats`).
 * @module
 */
import type { ManagerCore } from '../ManagerCore.js'

/**
 * Counters of one manager, for metrics: a fresh plain object per `stats()` call. Counts run from
 * the manager's creation and never reset.
 */
export interface SessionManagerStats {
  /** The verified-token cache (`verifyCacheSize`). */
  verifyCache: {
    /** Tokens held now. */
    entries: number
    /** The bound (`verifyCacheSize`). */
    maxEntries: number
    /** Verifications answered from the cache (accepted, or refused as revoked). */
    hits: number
    /** Verifications that needed a signature check. */
    misses: number
    /** Live entries dropped to make room: when this climbs, the cache is smaller than the active set. */
    evictions: number
  }
  /** The in-memory revocation list. */
  revocationList: {
    /** Sessions revoked within the last access-token lifetime. */
    entries: number
  }
  /** Pushed messages received from the store (revocations, and later stale marks / key revocations). */
  pushesReceived: number
}

/** The counters of the manager `core` belongs to, read now. */
export function managerStats(core: ManagerCore): SessionManagerStats {
  const cache = core.accessTokens.cache
  return {
    verifyCache: {
      entries: cache.size,
      maxEntries: cache.maxEntries,
      hits: cache.hits,
      misses: cache.misses,
      evictions: cache.evictions,
    },
    revocationList: { entries: core.revocations.size },
    pushesReceived: core.revocations.pushesReceived,
  }
}
