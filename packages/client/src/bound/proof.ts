/**
 * Making a key proof: a DPoP-style JWS (RFC 9449 shape) over the request's method and URL, signed
 * with WebCrypto ECDSA P-256. WebCrypto returns the signature as r‖s, which is exactly JWS ES256.
 * @module
 */

/** A public P-256 key as the proof's `jwk` header carries it (no private member, ever). */
export interface PublicJwk {
  kty: 'EC'
  crv: 'P-256'
  x: string
  y: string
}

const encoder = new TextEncoder()

/** base64url without padding, of bytes or of a string's UTF-8. */
export function base64url(input: Uint8Array | string): string {
  const bytes = typeof input === 'string' ? encoder.encode(input) : input
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The URL as a proof names it: no query, no fragment (RFC 9449 §4.2). */
export function proofUrl(url: string): string {
  const parsed = new URL(url)
  return parsed.origin + parsed.pathname
}

/**
 * Signs a proof for `method url` at server time `now` (ms) with `privateKey`, whose public half
 * is `jwk`. `iat` is whole seconds; `jti` 128 random bits.
 */
export async function signProof(
  privateKey: CryptoKey,
  jwk: PublicJwk,
  method: string,
  url: string,
  now: number,
): Promise<string> {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } }
  const payload = {
    htm: method.toUpperCase(),
    htu: proofUrl(url),
    iat: Math.floor(now / 1000),
    jti: base64url(crypto.getRandomValues(new Uint8Array(16))),
  }
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    privateKey,
    encoder.encode(input),
  )
  return `${input}.${base64url(new Uint8Array(signature))}`
}
