/**
 * The signing-key ring: keys live in the store so every instance shares them, are generated on
 * first use and rotated on an interval. A new key is published (JWKS, verification) at once but
 * signs only after an activation delay, so instances that have not re-read the store yet still
 * accept its tokens. A replaced key keeps verifying until every token it signed has expired,
 * then leaves the JWKS and the store. Keys are imported once; lookups on the hot path are sync.
 * @module
 */
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import type { ExplicitKey, ResolvedOptions, SigningAlgorithm } from '../options.js'
import type { StoredKey } from '../stores/SessionStore.js'
import { toBase64Url } from '../tokens/encoding.js'
import { isSealedKey, openPrivateKey, sealPrivateKey } from './keyEncryption.js'

/** A key ready to sign or verify. */
export interface RingKey {
  kid: string
  alg: SigningAlgorithm
  key: CryptoKey
}

/** The least time between two key reloads caused by tokens naming an unknown kid. */
const MIN_UNKNOWN_KID_SYNC_GAP_MS = 5_000

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/** A copy of a JWK without private members. */
export function publicJwkOf(jwk: JWK | JsonWebKey): JWK {
  const copy: Record<string, unknown> = { ...jwk }
  for (const member of PRIVATE_MEMBERS) delete copy[member]
  delete copy.key_ops
  delete copy.ext
  return copy as JWK
}

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
  private lastSync = Number.NEGATIVE_INFINITY
  private syncing: Promise<void> | null = null
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

  /** True when the last read is older than the sync interval (`ensureFresh` would re-read). Sync. */
  syncDue(): boolean {
    return this.options.now() - this.lastSync >= this.options.keySyncInterval
  }

  /** Re-reads the keys if the last read is older than the sync interval. */
  async ensureFresh(): Promise<void> {
    if (this.syncDue()) await this.sync()
  }

  /** Loads keys (store or explicit), adds a key when rotation is due, drops expired ones. Single flight. */
  sync(): Promise<void> {
    this.syncing ??= this.load().finally(() => {
      this.syncing = null
    })
    return this.syncing
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
    await this.options.store.addKey(await this.generate(), latest)
    await this.sync()
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

  /** True when `kid` belonged to a key this ring has dropped (its tokens are expired). */
  wasRetired(kid: string): boolean {
    return this.retired.has(kid)
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

  private async load(): Promise<void> {
    const now = this.options.now()
    let stored = this.options.keys ? this.explicitKeys(now) : await this.options.store.listKeys()
    if (!this.options.keys) {
      const newest = stored.at(-1)
      if (!newest || newest.createdAt + this.options.keyRotationInterval <= now) {
        // Compare-and-swap: of several instances starting or rotating at once, one key wins.
        await this.options.store.addKey(await this.generate(), newest?.kid ?? null)
        stored = await this.options.store.listKeys()
      }
    }
    const entries: Entry[] = []
    const expired: string[] = []
    for (const [index, key] of stored.entries()) {
      const next = stored[index + 1]
      const activatesAt =
        index === 0 || this.options.keys ? key.createdAt : key.createdAt + this.activationDelay
      const replacedAt = next ? (this.options.keys ? now : next.createdAt + this.activationDelay) : null
      const expiresAt = replacedAt === null ? null : replacedAt + this.tokenLifetime
      if (expiresAt !== null && expiresAt < now && !this.options.keys) {
        expired.push(key.kid)
        this.retired.add(key.kid)
        continue
      }
      entries.push({
        stored: key,
        activatesAt,
        expiresAt: this.options.keys ? null : expiresAt,
        ...(await this.importEntry(key)),
      })
    }
    this.entries = entries
    for (const kid of this.imported.keys())
      if (!entries.some((e) => e.stored.kid === kid)) this.imported.delete(kid)
    this.lastSync = now
    if (expired.length > 0) await this.options.store.deleteKeys(expired)
  }

  private async importEntry(key: StoredKey) {
    const publicJwk = publicJwkOf(JSON.parse(key.publicJwk ?? '{}') as JWK)
    let cached = this.imported.get(key.kid)
    if (!cached) {
      const privateText = isSealedKey(key.privateJwk)
        ? this.options.keyEncryptionSecret
          ? openPrivateKey(key.privateJwk, this.options.keyEncryptionSecret, key.kid)
          : (() => {
              throw new TypeError(
                `Signing key ${key.kid} is encrypted; set the \`keyEncryptionSecret\` option it was stored with.`,
              )
            })()
        : key.privateJwk
      cached = {
        privateKey: (await importJWK(JSON.parse(privateText) as JWK, key.alg)) as CryptoKey,
        publicKey: (await importJWK(publicJwk, key.alg)) as CryptoKey,
      }
      this.imported.set(key.kid, cached)
    }
    return { publicJwk, privateKey: cached.privateKey, publicKey: cached.publicKey }
  }

  private explicitKeys(now: number): StoredKey[] {
    return (this.options.keys as ExplicitKey[]).map((key) => ({
      kid: key.kid,
      alg: key.alg ?? (key.privateJwk.alg as SigningAlgorithm | undefined) ?? this.options.algorithm,
      publicJwk: JSON.stringify(publicJwkOf(key.privateJwk)),
      privateJwk: JSON.stringify(key.privateJwk),
      createdAt: now,
    }))
  }

  private async generate(): Promise<StoredKey> {
    const alg = this.options.algorithm
    const { privateKey } = await generateKeyPair(alg, { extractable: true })
    const privateJwk = await exportJWK(privateKey)
    const kid = toBase64Url(this.options.random(8))
    const json = JSON.stringify(privateJwk)
    return {
      kid,
      alg,
      publicJwk: JSON.stringify(publicJwkOf(privateJwk)),
      privateJwk: this.options.keyEncryptionSecret
        ? sealPrivateKey(json, this.options.keyEncryptionSecret, this.options.random(12), kid)
        : json,
      createdAt: this.options.now(),
    }
  }
}
