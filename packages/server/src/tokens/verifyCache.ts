/**
 * The verified-token cache behind `AccessTokens.verify`: sized to hold a whole active set
 * (100 000+ tokens at about 100–115 B each, see `verifyCache.memory.test.ts`), with CLOCK-style
 * eviction (a small hit counter per entry) so tokens in use stay ahead of idle ones.
 *
 * Entries are fixed-size records in dense slots of one `Int32Array` (`verifyCacheRecord.ts` has
 * the layout and its encodings), plus one JS array of user ids; application claims, absent from
 * most tokens, sit in a side `Map` by slot. This module is the cache over those slots: a
 * linear-probing index of slot numbers (`Int32Array`, at most half full) finds a slot from the
 * key. An evicted slot takes the newcomer in place; a deleted one is filled by the last slot, so
 * slots stay dense and the CLOCK hand sweeps only live entries.
 * @module
 */
import {
  CREDIT,
  decodeSessionId,
  EXP,
  encodeSessionId,
  fitsRecord,
  IAT,
  SESSION_ID,
  STRIDE,
  UINT32_MAX,
  VERSION,
  WORDS,
  word,
  writeRecord,
} from './verifyCacheRecord.js'

/** What one entry holds: everything a `VerifiedSession` is rebuilt from on a hit. */
export interface CachedToken {
  userId: string
  sessionId: string
  /** Application claims; `null` (or an empty object) for none. */
  claims: Record<string, unknown> | null
  /**
   * The token's claims version (`cv`), which stale marks compare against; `null` for a token
   * issued before claims versions existed.
   */
  version: number | null
  /** Epoch seconds; milliseconds only on a token without a claims version (issued before them). */
  iat: number
  /** Epoch seconds. */
  exp: number
}

/** How long a verified token stays acceptable, in whole seconds (from the manager's options). */
export interface TokenLifetime {
  /** Oldest `iat` accepted (`maxTokenAge`). */
  maxTokenAge: number
  /** Clock skew tolerated (`clockTolerance`). */
  tolerance: number
}

/** Counters for `sessions.stats()`: plain integers, incremented on the hot path. */
export interface VerifyCacheCounters {
  hits: number
  misses: number
  evictions: number
}

/** The first dense capacity; it doubles as entries arrive, up to `maxEntries`. */
const INITIAL_CAPACITY = 1024
/**
 * Credit a hit gives: the hand passes an entry this many times before it may go. Measured on a
 * skewed workload (verifyCache.test.ts), 3 beats a single reference bit (plain CLOCK) and keeps
 * a token that fell idle (the one a refresh replaced) for only a few sweeps.
 */
const HIT_CREDIT = 3

/** See the module description. */
export class VerifyCache implements VerifyCacheCounters {
  hits = 0
  misses = 0
  evictions = 0
  private count = 0
  private capacity = 0
  private hand = 0
  /** `STRIDE` words per slot; times are unsigned, read back with `>>> 0`. */
  private slots = new Int32Array(0)
  /** User id per slot. */
  private userIds: (string | null)[] = []
  /** Non-empty claims by slot. */
  private claimsBySlot = new Map<number, Record<string, unknown>>()
  /** Slot + 1 per bucket, 0 for empty; a power of two at least twice the capacity. */
  private index = new Int32Array(0)
  private mask = 0
  /** Reused to convert session ids between base64url and bytes without allocating. */
  private readonly scratch = new Uint8Array(16)
  private readonly scratchWords = new Int32Array(this.scratch.buffer, 0, WORDS)

  /**
   * @param maxEntries the bound; 0 disables the cache (nothing is stored).
   * @param lifetime decides each entry's valid-until from its `iat` and `exp`.
   */
  constructor(
    readonly maxEntries: number,
    private readonly lifetime: TokenLifetime = { maxTokenAge: UINT32_MAX, tolerance: 0 },
  ) {}

  /** Number of entries held. */
  get size(): number {
    return this.count
  }

  /**
   * The slot of `key` (a 32-character latin1 SHA-256 digest, of which the first 16 bytes are
   * used), or -1. Marks the entry as in use for the eviction sweep.
   */
  find(key: string): number {
    if (this.count === 0) return -1
    const k0 = word(key, 0)
    const k1 = word(key, 4)
    const k2 = word(key, 8)
    const k3 = word(key, 12)
    const { index, slots, mask } = this
    for (let bucket = k0 & mask; ; bucket = (bucket + 1) & mask) {
      const entry = index[bucket]!
      if (entry === 0) return -1
      const slot = entry - 1
      const at = slot * STRIDE
      if (slots[at] === k0 && slots[at + 1] === k1 && slots[at + 2] === k2 && slots[at + 3] === k3) {
        slots[at + CREDIT] = HIT_CREDIT
        return slot
      }
    }
  }

  /** The session id of a slot (rebuilt from its bytes: one short string per call). */
  sessionId(slot: number): string {
    const at = slot * STRIDE + SESSION_ID
    const { slots, scratchWords: words } = this
    words[0] = slots[at]!
    words[1] = slots[at + 1]!
    words[2] = slots[at + 2]!
    words[3] = slots[at + 3]!
    return encodeSessionId(this.scratch)
  }

  userId(slot: number): string {
    return this.userIds[slot] as string
  }

  claims(slot: number): Record<string, unknown> | null {
    return this.claimsBySlot.size === 0 ? null : (this.claimsBySlot.get(slot) ?? null)
  }

  /** `iat` of a slot, epoch seconds (with milliseconds for a token without a claims version). */
  iat(slot: number): number {
    const at = slot * STRIDE
    const version = this.slots[at + VERSION]!
    return (this.slots[at + IAT]! >>> 0) + (version < 0 ? (-1 - version) / 1000 : 0)
  }

  /** Claims version of a slot; `null` for a token issued before claims versions. */
  version(slot: number): number | null {
    const version = this.slots[slot * STRIDE + VERSION]!
    return version < 0 ? null : version
  }

  /** `exp` of a slot, epoch seconds. */
  exp(slot: number): number {
    return this.slots[slot * STRIDE + EXP]! >>> 0
  }

  /** Valid-until of a slot, epoch seconds: past this, the token is refused whatever the entry says. */
  validUntil(slot: number): number {
    const at = slot * STRIDE
    const iat = this.slots[at + IAT]! >>> 0
    const exp = this.slots[at + EXP]! >>> 0
    return Math.min(exp, iat + this.lifetime.maxTokenAge) + this.lifetime.tolerance
  }

  /**
   * Remembers a verified token under `key`. Entries that cannot be stored compactly (a session id
   * Latch would not issue, times finer than Latch writes them) are skipped: they cost a signature
   * check each time, never a wrong answer. Evicts one entry when full.
   */
  add(key: string, entry: CachedToken, nowSeconds: number): void {
    if (this.maxEntries === 0) return
    const iatMs = Math.round(entry.iat * 1000)
    if (!fitsRecord(iatMs, entry.exp, entry.version)) return
    if (!decodeSessionId(entry.sessionId, this.scratch)) return
    if (this.find(key) !== -1) return // two misses of one token, verified concurrently
    let slot: number
    if (this.count < this.capacity || this.capacity < this.maxEntries) {
      if (this.count === this.capacity) this.grow()
      slot = this.count++
    } else {
      slot = this.evictOne(nowSeconds)
    }
    writeRecord(this.slots, slot * STRIDE, key, this.scratchWords, iatMs, entry.exp, entry.version)
    // A new entry starts with no credit: a token seen once is the first to go, so a stream of
    // one-off tokens cannot push out the ones in use.
    this.slots[slot * STRIDE + CREDIT] = 0
    if (entry.claims !== null && !isEmpty(entry.claims)) this.claimsBySlot.set(slot, entry.claims)
    if (this.userIds.length === slot) this.userIds.push(entry.userId)
    else this.userIds[slot] = entry.userId
    this.insertIndex(slot)
  }

  /** Removes the entry in `slot` (expired, for instance). */
  delete(slot: number): void {
    this.removeIndex(slot)
    const last = this.count - 1
    if (slot !== last) this.move(last, slot)
    this.count = last
    // Not `length =`: shrinking and regrowing the array would copy it on every eviction.
    this.userIds[last] = null
    this.claimsBySlot.delete(last)
  }

  /** Forgets everything and releases the memory. */
  clear(): void {
    this.count = 0
    this.capacity = 0
    this.hand = 0
    this.slots = new Int32Array(0)
    this.userIds = []
    this.claimsBySlot = new Map()
    this.index = new Int32Array(0)
    this.mask = 0
  }

  /**
   * CLOCK with a small counter (GCLOCK): the hand passes over entries with credit left, taking one
   * from each, and frees the first entry with none (or expired). Returns the freed slot, out of
   * the index, for the new entry; the hand moves past it, so the newcomer gets a full turn.
   */
  private evictOne(nowSeconds: number): number {
    const { slots } = this
    for (;;) {
      if (this.hand >= this.count) this.hand = 0
      const slot = this.hand++
      const expired = this.validUntil(slot) <= nowSeconds
      if (expired || slots[slot * STRIDE + CREDIT] === 0) {
        if (!expired) this.evictions++
        this.removeIndex(slot)
        if (this.claimsBySlot.size > 0) this.claimsBySlot.delete(slot)
        return slot
      }
      slots[slot * STRIDE + CREDIT]!--
    }
  }

  private grow(): void {
    const capacity = Math.min(this.maxEntries, Math.max(INITIAL_CAPACITY, this.capacity * 2))
    const slots = new Int32Array(capacity * STRIDE)
    slots.set(this.slots)
    this.slots = slots
    this.capacity = capacity
    let buckets = 2
    while (buckets < capacity * 2) buckets *= 2
    this.index = new Int32Array(buckets)
    this.mask = buckets - 1
    for (let slot = 0; slot < this.count; slot++) this.insertIndex(slot)
  }

  private insertIndex(slot: number): void {
    let bucket = this.slots[slot * STRIDE]! & this.mask
    while (this.index[bucket] !== 0) bucket = (bucket + 1) & this.mask
    this.index[bucket] = slot + 1
  }

  private bucketOf(slot: number): number {
    let bucket = this.slots[slot * STRIDE]! & this.mask
    while (this.index[bucket] !== slot + 1) bucket = (bucket + 1) & this.mask
    return bucket
  }

  /** Linear-probing deletion by backward shift: no tombstones, so lookups never slow down. */
  private removeIndex(slot: number): void {
    const { index, slots, mask } = this
    let hole = this.bucketOf(slot)
    index[hole] = 0
    for (let next = (hole + 1) & mask; index[next] !== 0; next = (next + 1) & mask) {
      const home = slots[(index[next]! - 1) * STRIDE]! & mask
      // The entry at `next` may fill the hole only if its home is not in (hole, next].
      const between = hole <= next ? hole < home && home <= next : hole < home || home <= next
      if (between) continue
      index[hole] = index[next]!
      index[next] = 0
      hole = next
    }
  }

  /** Moves the entry in slot `from` to the free slot `to`. */
  private move(from: number, to: number): void {
    this.index[this.bucketOf(from)] = to + 1
    this.slots.copyWithin(to * STRIDE, from * STRIDE, from * STRIDE + STRIDE)
    this.userIds[to] = this.userIds[from]!
    const claims = this.claimsBySlot.get(from)
    if (claims !== undefined) {
      this.claimsBySlot.set(to, claims)
      this.claimsBySlot.delete(from)
    } else this.claimsBySlot.delete(to)
  }
}

function isEmpty(object: Record<string, unknown>): boolean {
  return Object.keys(object).length === 0
}
