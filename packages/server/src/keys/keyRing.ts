/**
 * The signing-key ring: keys live in the store so every instance shares them, are generated on
 * first use and rotated on an interval. A new key is published (JWKS, verification) at once but
 * signs only after an activation delay, so instances that have not re-read the store yet still
 * accept its tokens. A replaced key keeps verifying until every token it signed has expired,
 * then leaves the JWKS and the store. A revoked key (a leak) leaves the JWKS and verification at
 * once, on every instance (pushed), and never signs again; the key after it signs at once, with no
 * activation delay. Keys are imported once; lookups on the hot path are sync.
 *
 * Key material (generation, import, explicit keys, public JWKs) is in `keyMaterial.ts`; this
 * module is the ring's state over the stored key list: activate, retire, revoke, sync.
 * @module
 */
import type { JWK } from 'jose'
import type { ResolvedOptions } from '../options.js'
import type { SigningAlgorithm } from '../SessionManagerOptions.js'
import type { KeyRevocation, StoredKey } from '../stores/SessionStore.js'
import { explicitStoredKeys, generateStoredKey, importKeyPair, publicJwkOf } from './keyMaterial.js'

/** A key ready to sign or verify. */
export interface RingKey {
  kid: string
  alg: SigningAlgorithm
  key: CryptoKey
}

/** The least time between two key reloads caused by tokens naming an unknown kid. */
const MIN_UNKNOWN_KID_SYNC_GAP_MS = 5_000

/** What `revokeKey` did. */
export interface KeyRevocationResult {
  /**
   * `revoked`: done now; `already_revoked`: it was revoked before (nothing changed);
   * `unknown_kid`: no such key (nothing changed).
   */
  outcome: 'revoked' | 'already_revoked' | 'unknown_kid'
  /** The kid revoked by this call, `null` when nothing changed. */
  revokedKid: string | null
  /** The kid that signs now (after the call). */
  currentKid: string
}

/** A `TypeError` for misuse of the ring (not a store failure, which the manager turns into 503). */
export class KeyRingMisuse extends TypeError {}

/** How often `revoke` retries its compare-and-swap when a concurrent rotation adds a key. */
const MAX_REVOKE_ATTEMPTS = 4

interface Entry {
  stored: StoredKey
  /** When it starts signing. */
  activatesAt: number
  /** After this, no token it signed can still be valid. `null` while it is the newest. */
  expiresAt: number | null
  publicJwk: JWK
  privateKey?: CryptoKey
  publicKey?: CryptoKey
}

/** See the module description. */
export class KeyRing {
  private entries: Entry[] = []
  private imported = new Map<string, { privateKey?: CryptoKey; publicKey: CryptoKey }>()
  private readonly retired = new Set<string>()
  /** Revoked kids: refused for good, whatever the key list says. */
  private readonly revoked = new Map<string, number>()
  private lastSync = Number.NEGATIVE_INFINITY
  private syncing: Promise<void> | null = null
  private syncingRevision = 0
  /** Bumped by every key revocation this ring learns of; a read started before it is not enough. */
  private revision = 0
  private loadedRevision = 0
  private lastSyncSoon = Number.NEGATIVE_INFINITY

  constructor(private readonly options: ResolvedOptions) {}

  /** The activation delay of a new key: two sync intervals, so every instance has seen it. */
  get activationDelay(): number {
    return this.options.keySyncInterval * 2
  }

  /** How long a replaced key must keep verifying. */
  private get tokenLifetime(): number {
    return Math.max(this.options.accessTokenTtl, this.options.maxTokenAge) + this.options.clockTolerance
  }

  /**
   * True when the last read is older than the sync interval, or a key was revoked since the last
   * read began (`ensureFresh` would re-read). Sync.
   */
  syncDue(): boolean {
    return (
      this.loadedRevision !== this.revision ||
      this.options.now() - this.lastSync >= this.options.keySyncInterval
    )
  }

  /** Re-reads the keys if the last read is older than the sync interval. */
  async ensureFresh(): Promise<void> {
    if (this.syncDue()) await this.sync()
  }

  /** Loads keys (store or explicit), adds a key when rotation is due, drops expired ones. Single flight. */
  sync(): Promise<void> {
    // Single flight, except that a read begun before a key revocation may miss its replacement:
    // then one more read follows it.
    if (this.syncing && this.syncingRevision === this.revision) return this.syncing
    const revision = this.revision
    const run: Promise<void> = (this.syncing ?? Promise.resolve())
      .catch(() => {})
      .then(() => this.load(revision))
      .finally(() => {
        if (this.syncing === run) this.syncing = null
      })
    this.syncing = run
    this.syncingRevision = revision
    return run
  }

  /**
   * Re-reads the keys in the background, at most once per `MIN_UNKNOWN_KID_SYNC_GAP_MS`: called
   * when a token names a kid this ring does not know. Never rejects.
   */
  syncSoon(): void {
    const now = this.options.now()
    if (now - this.lastSyncSoon < MIN_UNKNOWN_KID_SYNC_GAP_MS) return
    this.lastSyncSoon = now
    this.sync().catch(() => {
      // The store is down: verification goes on with the keys this ring has.
    })
  }

  /** Adds a new key now (it signs after the activation delay). Resolves once this ring has it. */
  async rotate(): Promise<void> {
    if (this.options.keys)
      throw new TypeError(
        'rotateKeys() is not available with explicit `keys`; change the `keys` option instead.',
      )
    await this.sync()
    const latest = this.entries.at(-1)?.stored.kid ?? null
    await this.options.store.addKey(await generateStoredKey(this.options), latest)
    await this.sync()
  }

  /**
   * Revokes `kid` for good: recorded in the store and pushed, so every instance drops it from
   * verification and the JWKS. Revoking the newest key (the signer, or the pending one) first
   * adds its replacement, which signs at once. With explicit `keys` the revocation is recorded
   * too, but no key can be made: revoking the last unrevoked one is a `TypeError`.
   */
  async revoke(kid: string): Promise<KeyRevocationResult> {
    await this.sync()
    const unchanged = (outcome: KeyRevocationResult['outcome']): KeyRevocationResult => ({
      outcome,
      revokedKid: null,
      currentKid: this.signer().kid,
    })
    if (this.revoked.has(kid)) return unchanged('already_revoked')
    for (let attempt = 0; attempt < MAX_REVOKE_ATTEMPTS; attempt++) {
      const known = this.options.keys
        ? explicitStoredKeys(this.options.keys, this.options.algorithm, this.options.now())
        : await this.options.store.listKeys()
      if (!known.some((key) => key.kid === kid)) return unchanged('unknown_kid')
      const live = known.filter((key) => !this.revoked.has(key.kid))
      if (live.at(-1)?.kid === kid) {
        if (this.options.keys) {
          if (live.length === 1)
            throw new KeyRingMisuse(
              'Cannot revoke the only signing key given in `keys`: add its replacement to the `keys` option on every instance first, then revoke it.',
            )
        } else if (
          !(await this.options.store.addKey(await generateStoredKey(this.options), known.at(-1)!.kid))
        ) {
          // Another instance added a key meanwhile: look again, that key may be the replacement.
          continue
        }
      }
      const revocation = { kid, revokedAt: this.options.now() }
      const fresh = await this.options.store.revokeKey(revocation)
      this.revokeLocal([revocation])
      await this.sync()
      return fresh
        ? { outcome: 'revoked', revokedKid: kid, currentKid: this.signer().kid }
        : unchanged('already_revoked')
    }
    throw new Error('The signing keys kept changing during revokeKey(); try again.')
  }

  /**
   * Applies revocations (pushed, or made here): the keys stop verifying and leave the JWKS now,
   * and the ring re-reads the store, where the replacement is. Resolves nothing; never throws.
   */
  revokeLocal(revocations: KeyRevocation[]): void {
    for (const { kid, revokedAt } of revocations) this.revoked.set(kid, revokedAt)
    this.entries = this.entries.filter((entry) => !this.revoked.has(entry.stored.kid))
    // The next signing path re-reads (`syncDue`), and a background read starts now.
    this.revision++
    this.sync().catch(() => {})
  }

  /** True when `kid` was revoked. */
  isRevoked(kid: string): boolean {
    return this.revoked.has(kid)
  }

  /** The key that signs now. Throws if the ring was never loaded (a wiring bug, not bad input). */
  signer(): RingKey {
    const now = this.options.now()
    let chosen: Entry | undefined
    for (const entry of this.entries) if (entry.activatesAt <= now) chosen = entry
    chosen ??= this.entries[0]
    if (!chosen?.privateKey) throw new Error('The key ring is not loaded; await sessions.ready first.')
    return { kid: chosen.stored.kid, alg: chosen.stored.alg as SigningAlgorithm, key: chosen.privateKey }
  }

  /** The public key for `kid`, if it may still verify. Sync: this is on the verification path. */
  verificationKey(kid: string): RingKey | undefined {
    const now = this.options.now()
    for (const entry of this.entries) {
      if (entry.stored.kid !== kid) continue
      if (entry.expiresAt !== null && entry.expiresAt < now) return undefined
      return { kid, alg: entry.stored.alg as SigningAlgorithm, key: entry.publicKey! }
    }
    return undefined
  }

  /** True when `kid` belonged to a key this ring has dropped (its tokens are expired) or revoked. */
  wasRetired(kid: string): boolean {
    return this.retired.has(kid) || this.revoked.has(kid)
  }

  /** The public JWKS: current, pending and retired-but-valid keys, no private members. */
  jwks(): { keys: JWK[] } {
    const now = this.options.now()
    return {
      keys: this.entries
        .filter((entry) => entry.expiresAt === null || entry.expiresAt >= now)
        .map((entry) => ({ ...entry.publicJwk, kid: entry.stored.kid, alg: entry.stored.alg, use: 'sig' })),
    }
  }

  private async load(revision: number): Promise<void> {
    const now = this.options.now()
    // Revocations first: a key revoked meanwhile must not be picked up from the list below.
    for (const { kid, revokedAt } of await this.options.store.listRevokedKeys())
      this.revoked.set(kid, revokedAt)
    let stored = this.options.keys
      ? explicitStoredKeys(this.options.keys, this.options.algorithm, now)
      : await this.options.store.listKeys()
    if (!this.options.keys) {
      const newest = stored.at(-1)
      if (
        !newest ||
        this.revoked.has(newest.kid) ||
        newest.createdAt + this.options.keyRotationInterval <= now
      ) {
        // Compare-and-swap: of several instances starting or rotating at once, one key wins.
        await this.options.store.addKey(await generateStoredKey(this.options), newest?.kid ?? null)
        stored = await this.options.store.listKeys()
      }
    }
    // A key whose predecessor was revoked is an emergency replacement: it signs at once.
    const activation = stored.map((key, index) =>
      index === 0 || this.options.keys || this.revoked.has(stored[index - 1]!.kid)
        ? key.createdAt
        : key.createdAt + this.activationDelay,
    )
    const entries: Entry[] = []
    const expired: string[] = []
    for (const [index, key] of stored.entries()) {
      // Replaced when the next key that may sign starts signing.
      let next = index + 1
      while (next < stored.length && this.revoked.has(stored[next]!.kid)) next++
      const replacedAt = next < stored.length ? (this.options.keys ? now : activation[next]!) : null
      const expiresAt = replacedAt === null ? null : replacedAt + this.tokenLifetime
      if (expiresAt !== null && expiresAt < now && !this.options.keys) {
        expired.push(key.kid)
        this.retired.add(key.kid)
        continue
      }
      // Revoked keys are kept (for expiry and deletion above) but never enter the ring.
      if (this.revoked.has(key.kid)) continue
      entries.push({
        stored: key,
        activatesAt: activation[index]!,
        expiresAt: this.options.keys ? null : expiresAt,
        ...(await this.importEntry(key)),
      })
    }
    // A revocation pushed while this read was under way still applies.
    this.entries = entries.filter((entry) => !this.revoked.has(entry.stored.kid))
    this.loadedRevision = Math.max(this.loadedRevision, revision)
    for (const kid of this.imported.keys())
      if (!entries.some((e) => e.stored.kid === kid)) this.imported.delete(kid)
    this.lastSync = now
    if (expired.length > 0) await this.options.store.deleteKeys(expired)
  }

  private async importEntry(key: StoredKey) {
    const publicJwk = publicJwkOf(JSON.parse(key.publicJwk ?? '{}') as JWK)
    let cached = this.imported.get(key.kid)
    if (!cached) {
      cached = await importKeyPair(key, publicJwk, this.options.keyEncryptionSecret)
      this.imported.set(key.kid, cached)
    }
    return { publicJwk, privateKey: cached.privateKey, publicKey: cached.publicKey }
  }
}
