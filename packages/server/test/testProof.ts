/**
 * Test helper: a P-256 key pair and proofs made with it the way `@latch/client/bound`
 * makes them, plus knobs to make every kind of bad one. Private to the tests.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { PROOF_TYPE } from '../src/binding/proof.js'

/** A proof-making key. */
export interface ProofKey {
  publicJwk: JWK
  privateJwk: JWK
  thumbprint: string
  /** A proof for `method url` at `now` (ms); `overrides` change claims or the header. */
  proof(method: string, url: string, now?: number, overrides?: ProofOverrides): Promise<string>
}

export interface ProofOverrides {
  claims?: Record<string, unknown>
  header?: Record<string, unknown>
}

/** A new key able to sign proofs. */
export async function proofKey(): Promise<ProofKey> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const full = await exportJWK(publicKey)
  const publicJwk = { kty: full.kty, crv: full.crv, x: full.x, y: full.y }
  const privateJwk = await exportJWK(privateKey)
  return {
    publicJwk,
    privateJwk,
    thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256'),
    proof: (method, url, now = Date.now(), overrides = {}) =>
      new SignJWT({
        htm: method,
        htu: url,
        iat: Math.floor(now / 1000),
        jti: randomUUID(),
        ...overrides.claims,
      })
        .setProtectedHeader({ typ: PROOF_TYPE, alg: 'ES256', jwk: publicJwk, ...overrides.header })
        .sign(privateKey),
  }
}
