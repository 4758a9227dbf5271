/**
 * Optional encryption of private signing keys at rest (AES-256-GCM under a key derived from the
 * configured `keyEncryptionSecret`), so a copy of the store alone cannot mint access tokens.
 * @module
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto'
import { fromBase64Url, toBase64Url } from '../encoding.js'

const PREFIX = 'latch-enc-v1.'

function derive(secret: string): Buffer {
  return createHmac('sha256', secret).update('latch-key-encryption-v1').digest()
}

/** True when a stored private key is sealed. */
export function isSealedKey(stored: string): boolean {
  return stored.startsWith(PREFIX)
}

/** Seals a private JWK (JSON text). */
export function sealPrivateKey(json: string, secret: string, iv: Uint8Array, kid: string): string {
  const cipher = createCipheriv('aes-256-gcm', derive(secret), iv)
  cipher.setAAD(Buffer.from(kid))
  const body = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()])
  return PREFIX + toBase64Url(Buffer.concat([iv, body, cipher.getAuthTag()]))
}

/** Opens a sealed private JWK; throws when the secret is wrong or the text was altered. */
export function openPrivateKey(sealed: string, secret: string, kid: string): string {
  const bytes = fromBase64Url(sealed.slice(PREFIX.length))
  const decipher = createDecipheriv('aes-256-gcm', derive(secret), bytes.subarray(0, 12))
  decipher.setAAD(Buffer.from(kid))
  decipher.setAuthTag(bytes.subarray(bytes.length - 16))
  return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString(
    'utf8',
  )
}
