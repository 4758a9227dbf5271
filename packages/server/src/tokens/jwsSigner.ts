/**
 * Compact JWS signing with synchronous `node:crypto`: the key ring's `CryptoKey` becomes a
 * `KeyObject` once per key, the base64url protected header is built once per key and `typ`, and
 * a signature is one `crypto.sign()` call on the calling thread. This is what `jose`'s `SignJWT`
 * produces byte for byte (same header and payload serialisation, same signature encodings), minus
 * its per-call WebCrypto key preparation and the libuv thread-pool round trip of `subtle.sign`.
 * Verification stays with `jose`.
 * @module
 */
import { constants, KeyObject, type SignKeyObjectInput, sign } from 'node:crypto'
import type { SigningAlgorithm } from '../SessionManagerOptions.js'

/** How `crypto.sign()` makes each algorithm's JWS signature (RFC 7518 §3, RFC 8037). */
interface AlgorithmSpec {
  /** Digest for `crypto.sign()`; `null` for Ed25519, which hashes internally. */
  digest: string | null
  /** `asymmetricKeyType`s of a key that may sign with it. */
  keyTypes: readonly string[]
  /** EC curve (`asymmetricKeyDetails.namedCurve`), when it is an ECDSA algorithm. */
  curve?: string
  /** Extra `crypto.sign()` key options: raw r‖s for ECDSA, padding and salt for RSA. */
  options: Omit<SignKeyObjectInput, 'key'>
  /** Smallest RSA modulus, as jose enforces when it signs. */
  minRsaBits?: number
}

const ALGORITHMS: Record<SigningAlgorithm, AlgorithmSpec> = {
  EdDSA: { digest: null, keyTypes: ['ed25519'], options: {} },
  ES256: { digest: 'sha256', keyTypes: ['ec'], curve: 'prime256v1', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { digest: 'sha384', keyTypes: ['ec'], curve: 'secp384r1', options: { dsaEncoding: 'ieee-p1363' } },
  RS256: {
    digest: 'sha256',
    keyTypes: ['rsa'],
    options: { padding: constants.RSA_PKCS1_PADDING },
    minRsaBits: 2048,
  },
  PS256: {
    digest: 'sha256',
    keyTypes: ['rsa', 'rsa-pss'],
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    minRsaBits: 2048,
  },
}

/** A signing key ready for `crypto.sign()`, with its encoded protected header. */
interface PreparedKey {
  kid: string
  alg: SigningAlgorithm
  typ: string
  /** base64url(JSON of `{ alg, kid, typ }`) followed by `.`. */
  headerPrefix: string
  digest: string | null
  signKey: SignKeyObjectInput
}

/** One prepared key per `CryptoKey` (the key ring imports each key once and keeps its `CryptoKey`). */
const prepared = new WeakMap<CryptoKey, PreparedKey>()

function prepare(kid: string, alg: SigningAlgorithm, key: CryptoKey, typ: string): PreparedKey {
  const spec = ALGORITHMS[alg]
  if (!spec) throw new TypeError(`Unsupported signing algorithm ${String(alg)}.`)
  const keyObject = KeyObject.from(key)
  const keyType = keyObject.asymmetricKeyType ?? ''
  if (keyObject.type !== 'private' || !spec.keyTypes.includes(keyType)) {
    throw new TypeError(`The signing key ${kid} does not fit ${alg}.`)
  }
  const details = keyObject.asymmetricKeyDetails ?? {}
  if (spec.curve !== undefined && details.namedCurve !== spec.curve) {
    throw new TypeError(`The signing key ${kid} does not fit ${alg}.`)
  }
  if (spec.minRsaBits !== undefined && !((details.modulusLength ?? 0) >= spec.minRsaBits)) {
    throw new TypeError(`${alg} requires key modulusLength to be 2048 bits or larger`)
  }
  // Same member order as `setProtectedHeader({ alg, kid, typ })`, so the same bytes as jose.
  const header = Buffer.from(JSON.stringify({ alg, kid, typ })).toString('base64url')
  return {
    kid,
    alg,
    typ,
    headerPrefix: `${header}.`,
    digest: spec.digest,
    signKey: { key: keyObject, ...spec.options },
  }
}

/**
 * Signs `payload` (a JSON object, serialised as is) as a compact JWS with header
 * `{ alg, kid, typ }`. Throws `TypeError` when the key does not fit the algorithm.
 */
export function signCompactJws(
  signer: { kid: string; alg: SigningAlgorithm; key: CryptoKey },
  typ: string,
  payload: Record<string, unknown>,
): string {
  let entry = prepared.get(signer.key)
  if (!entry || entry.kid !== signer.kid || entry.alg !== signer.alg || entry.typ !== typ) {
    entry = prepare(signer.kid, signer.alg, signer.key, typ)
    prepared.set(signer.key, entry)
  }
  const input = entry.headerPrefix + Buffer.from(JSON.stringify(payload)).toString('base64url')
  const signature = sign(entry.digest, Buffer.from(input), entry.signKey)
  return `${input}.${signature.toString('base64url')}`
}
