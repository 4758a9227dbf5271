/**
 * Signing keys as the store keeps them (`StoredKey`: JWK text, the private one sealed when a
 * `keyEncryptionSecret` is set): generated, derived from explicit `keys`, imported for signing
 * and verifying, and stripped to their public members for the JWKS.
 * @module
 */
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import { toBase64Url } from '../encoding.js'
import type { ResolvedOptions } from '../options.js'
import type { ExplicitKey, SigningAlgorithm } from '../SessionManagerOptions.js'
import type { StoredKey } from '../stores/SessionStore.js'
import { isSealedKey, openPrivateKey, sealPrivateKey } from './keyEncryption.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/** A copy of a JWK without private members. */
export function publicJwkOf(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk }
  for (const member of PRIVATE_MEMBERS) delete copy[member]
  delete copy.key_ops
  delete copy.ext
  return copy as JWK
}

/** A new key pair of the configured algorithm, with a random kid, ready to store. */
export async function generateStoredKey(
  options: Pick<ResolvedOptions, 'algorithm' | 'random' | 'now' | 'keyEncryptionSecret'>,
): Promise<StoredKey> {
  const alg = options.algorithm
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const privateJwk = await exportJWK(privateKey)
  const kid = toBase64Url(options.random(8))
  const json = JSON.stringify(privateJwk)
  return {
    kid,
    alg,
    publicJwk: JSON.stringify(publicJwkOf(privateJwk)),
    privateJwk: options.keyEncryptionSecret
      ? sealPrivateKey(json, options.keyEncryptionSecret, options.random(12), kid)
      : json,
    createdAt: options.now(),
  }
}

/** Explicit `keys` in the stored form, each dated `now`. */
export function explicitStoredKeys(
  keys: ExplicitKey[],
  algorithm: SigningAlgorithm,
  now: number,
): StoredKey[] {
  return keys.map((key) => ({
    kid: key.kid,
    alg: key.alg ?? (key.privateJwk.alg as SigningAlgorithm | undefined) ?? algorithm,
    publicJwk: JSON.stringify(publicJwkOf(key.privateJwk)),
    privateJwk: JSON.stringify(key.privateJwk),
    createdAt: now,
  }))
}

/**
 * Imports a stored key: its private key (opened with `secret` when sealed) and `publicJwk`, its
 * public part. A sealed key without a secret is a `TypeError` naming the option.
 */
export async function importKeyPair(
  key: StoredKey,
  publicJwk: JWK,
  secret: string | null,
): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  const privateText = isSealedKey(key.privateJwk)
    ? secret
      ? openPrivateKey(key.privateJwk, secret, key.kid)
      : (() => {
          throw new TypeError(
            `Signing key ${key.kid} is encrypted; set the \`keyEncryptionSecret\` option it was stored with.`,
          )
        })()
    : key.privateJwk
  return {
    // Extractable: the signer hands it to `KeyObject.from`, which Node 24 deprecates for
    // non-extractable keys (DEP0204). The JWK text is in memory anyway.
    privateKey: (await importJWK(JSON.parse(privateText) as JWK, key.alg, {
      extractable: true,
    })) as CryptoKey,
    publicKey: (await importJWK(publicJwk, key.alg)) as CryptoKey,
  }
}
