/**
 * Key-binding proofs (DESIGN "Bound refresh"): a DPoP-style JWS (RFC 9449 shape) signed by a key
 * the browser cannot export. This module only checks a proof against the request it came with;
 * whether a session needs one, and the once-only use of its `jti`, are decided by the flows.
 * @module
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto'

/** The request header that carries the proof (RFC 9449's name). */
export const PROOF_HEADER = 'dpop'

/** The `typ` a proof must declare (RFC 9449 §4.2). */
export const PROOF_TYPE = 'dpop+jwt'

/**
 * How far a proof's `iat` may be from the server's clock, either way, in ms. Small, because a
 * proof is made for one request; the client signs with the server time it learned (the `Date`
 * header), so only network time and a one-second rounding separate the two.
 */
export const PROOF_WINDOW_MS = 60_000

/**
 * Longest proof accepted, in characters. A real one (ES256, P-256 `jwk`, four claims) is about
 * 420; the bound keeps a hostile header from costing a JSON parse of megabytes.
 */
export const MAX_PROOF_LENGTH = 2048

/** A proof that checked out: the key's RFC 7638 thumbprint and the proof's `jti` and `iat`. */
export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the public key, base64url. */
  thumbprint: string
  jti: string
  /** Seconds since the epoch, as signed. */
  iat: number
  /** The key under which the `jti` is remembered: a hash of thumbprint and `jti`, fixed length. */
  nonceKey: string
}

/** Why a proof was refused (for tests and metrics; never shown with the proof itself). */
export type ProofFailure =
  | 'malformed'
  | 'oversized'
  | 'bad_header'
  | 'bad_key'
  | 'bad_signature'
  | 'bad_claims'
  | 'wrong_method'
  | 'wrong_url'
  | 'iat_out_of_window'
  | 'replayed'

/** A refused proof. The message names the check, never the proof's content. */
export class ProofError extends Error {
  readonly reason: ProofFailure
  constructor(reason: ProofFailure) {
    super(`Key-binding proof refused (${reason}).`)
    this.name = 'ProofError'
    this.reason = reason
  }
}

const SEGMENT = /^[\w-]+$/
/** Members a public EC JWK may carry besides the coordinates; anything else (`d` first) is refused. */
const ALLOWED_JWK_MEMBERS = new Set(['kty', 'crv', 'x', 'y', 'alg', 'use', 'key_ops', 'ext', 'kid'])
/** Header members that would point the verifier elsewhere or demand extensions. */
const FORBIDDEN_HEADER_MEMBERS = ['crit', 'jku', 'x5u', 'x5c', 'kid', 'b64']

function decodeJson(segment: string): Record<string, unknown> {
  if (!SEGMENT.test(segment)) throw new ProofError('malformed')
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    throw new ProofError('malformed')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProofError('malformed')
  return value as Record<string, unknown>
}

/** A checked public P-256 JWK. */
interface PublicJwk {
  kty: 'EC'
  crv: 'P-256'
  x: string
  y: string
}

/** The public key of the header, checked: P-256, coordinates of 32 bytes, no private member. */
function publicJwkOf(header: Record<string, unknown>): PublicJwk {
  const jwk = header.jwk as Record<string, unknown> | undefined
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new ProofError('bad_key')
  for (const member of Object.keys(jwk)) if (!ALLOWED_JWK_MEMBERS.has(member)) throw new ProofError('bad_key')
  const { kty, crv, x, y } = jwk
  const coordinate = (v: unknown) => typeof v === 'string' && /^[\w-]{43}$/.test(v)
  if (kty !== 'EC' || crv !== 'P-256' || !coordinate(x) || !coordinate(y)) throw new ProofError('bad_key')
  return { kty, crv, x: x as string, y: y as string }
}

/** An imported key and its thumbprint, kept per key: a device proves with the same key each time. */
interface KnownKey {
  key: KeyObject
  thumbprint: string
}

/**
 * Keys seen recently, by `x.y`. Importing a JWK costs about as much as the signature check, and
 * a browser keeps its key for months; bounded, oldest out first, so hostile keys only evict.
 */
const knownKeys = new Map<string, KnownKey>()
const MAX_KNOWN_KEYS = 10_000

/**
 * The key object and RFC 7638 thumbprint (SHA-256 over the required members in lexicographic
 * order, no whitespace) of a checked public JWK. Throws when the point is not on the curve.
 */
function knownKey(jwk: PublicJwk): KnownKey {
  const id = `${jwk.x}.${jwk.y}`
  const known = knownKeys.get(id)
  if (known) return known
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' })
  const canonical = `{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`
  const made = { key, thumbprint: createHash('sha256').update(canonical).digest('base64url') }
  if (knownKeys.size >= MAX_KNOWN_KEYS) knownKeys.delete(knownKeys.keys().next().value!)
  knownKeys.set(id, made)
  return made
}

/**
 * `method` and `url` of the request as the proof must name them. The URL is compared on host and
 * path only: query and fragment are excluded by RFC 9449, and the scheme is not compared because
 * a TLS-terminating proxy makes the server see `http:` for the browser's `https:`.
 */
export interface ProofTarget {
  method: string
  url: URL
}

const hostAndPath = (url: URL) => `${url.host.toLowerCase()}${url.pathname}`

/**
 * Checks a proof for `target` at server time `now` (ms). Resolves the key's thumbprint and the
 * `jti`; rejects {@link ProofError} for anything else: not a compact JWS, oversized, `typ` other
 * than `dpop+jwt`, `alg` other than `ES256` (so `none` and HMAC are refused before any key is
 * touched), a `jwk` that is not a public P-256 key (an embedded private key included), a bad
 * signature, `htm` or `htu` not this request, `iat` outside {@link PROOF_WINDOW_MS}, a `jti` that
 * is not 8–128 characters.
 */
export async function verifyProof(proof: string, target: ProofTarget, now: number): Promise<VerifiedProof> {
  if (typeof proof !== 'string' || proof.length === 0) throw new ProofError('malformed')
  if (proof.length > MAX_PROOF_LENGTH) throw new ProofError('oversized')
  const parts = proof.split('.')
  if (parts.length !== 3 || parts.some((part) => !SEGMENT.test(part))) throw new ProofError('malformed')
  const header = decodeJson(parts[0]!)
  if (header.typ !== PROOF_TYPE || header.alg !== 'ES256') throw new ProofError('bad_header')
  if (FORBIDDEN_HEADER_MEMBERS.some((member) => member in header)) throw new ProofError('bad_header')
  const jwk = publicJwkOf(header)
  // ES256 is ECDSA P-256 over SHA-256 with the signature as r‖s (IEEE P1363): 64 bytes.
  const signature = Buffer.from(parts[2]!, 'base64url')
  if (signature.length !== 64) throw new ProofError('bad_signature')
  let known: KnownKey
  try {
    known = knownKey(jwk)
  } catch {
    throw new ProofError('bad_key')
  }
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii')
  const valid = await new Promise<boolean>((resolve) =>
    // The callback form runs on libuv's pool, off the event loop.
    verify('sha256', signed, { key: known.key, dsaEncoding: 'ieee-p1363' }, signature, (error, ok) =>
      resolve(!error && ok),
    ),
  )
  if (!valid) throw new ProofError('bad_signature')
  const payloadBytes = Buffer.from(parts[1]!, 'base64url')
  let payload: Record<string, unknown>
  try {
    payload = JSON.parse(payloadBytes.toString('utf8'))
  } catch {
    throw new ProofError('bad_claims')
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new ProofError('bad_claims')
  const { htm, htu, iat, jti } = payload
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 128) throw new ProofError('bad_claims')
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new ProofError('bad_claims')
  if (typeof htm !== 'string' || htm !== target.method.toUpperCase()) throw new ProofError('wrong_method')
  let htuUrl: URL
  try {
    htuUrl = new URL(htu as string)
  } catch {
    throw new ProofError('wrong_url')
  }
  if (typeof htu !== 'string' || hostAndPath(htuUrl) !== hostAndPath(target.url))
    throw new ProofError('wrong_url')
  if (Math.abs(iat * 1000 - now) > PROOF_WINDOW_MS) throw new ProofError('iat_out_of_window')
  const thumbprint = known.thumbprint
  const nonceKey = createHash('sha256').update(`${thumbprint}.${jti}`).digest('base64url')
  return { thumbprint, jti, iat, nonceKey }
}
