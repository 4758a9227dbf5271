/**
 * Refresh tokens: `<sessionId>.<secret>`, where the secret is 256 random bits followed by a MAC
 * of the session id and those bits under a store-kept server secret. The MAC is the proof of
 * issue: a token the server really issued for a session can be told from a made-up one that only
 * names the session, which is what keeps theft detection from being a sign-anyone-out button.
 * Only a SHA-256 hash of a token is stored; the successor kept for the reuse grace is sealed with
 * a key derived from its predecessor, so the store alone never yields a usable token.
 * @module
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto'
import { fromBase64Url, sha256, toBase64Url } from '../encoding.js'

const RANDOM_BYTES = 32
const MAC_BYTES = 16
const SECRET_LENGTH = Math.ceil(((RANDOM_BYTES + MAC_BYTES) * 4) / 3) // 64 base64url characters
const SESSION_ID_BYTES = 16
const TOKEN_PATTERN = /^([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{64})$/
const SEAL_IV_BYTES = 12
const SEAL_TAG_BYTES = 16

/** Name under which the MAC secret is kept in the store (`getOrCreateSecret`). */
export const REFRESH_MAC_SECRET_NAME = 'refresh-token-mac'

/** What a presented refresh token says about itself, before any store read. */
export interface PresentedRefreshToken {
  sessionId: string
  /** SHA-256 of the whole token, as stored in the session record. */
  hash: string
  /** The MAC checks out: this server issued the token for this session at some point. */
  issued: boolean
}

/** Issues, parses, hashes and seals refresh tokens. */
export interface RefreshTokens {
  /** A fresh token for `sessionId`. */
  issue(sessionId: string): string
  /** Facts about a presented token, or `null` when it is not even shaped like one. */
  parse(token: string): PresentedRefreshToken | null
  /** The hash kept at rest. */
  hash(token: string): string
  /** Seals `successor` so only the holder of `predecessor` can open it. */
  seal(successor: string, predecessor: string, sessionId: string): string
  /** Opens a sealed successor, or `null` when it does not open with this predecessor. */
  unseal(sealed: string, predecessor: string, sessionId: string): string | null
}

/** A new random session id: 128 bits, 22 base64url characters. */
export function newSessionId(random: (size: number) => Uint8Array): string {
  return toBase64Url(random(SESSION_ID_BYTES))
}

/**
 * Creates the refresh-token codec.
 * @param macSecret the server secret behind the proof of issue (from `store.getOrCreateSecret`).
 */
export function createRefreshTokens(macSecret: string, random: (size: number) => Uint8Array): RefreshTokens {
  // Imported once: an HMAC keyed by a string re-encodes and re-imports the key on every call.
  const macKey = createSecretKey(Buffer.from(macSecret, 'utf8'))
  const mac = (sessionId: string, bits: Uint8Array) =>
    createHmac('sha256', macKey).update(sessionId).update('.').update(bits).digest().subarray(0, MAC_BYTES)

  // The seal key is an HMAC of the predecessor, not its SHA-256: the store holds the SHA-256.
  const sealKey = (predecessor: string) => createHmac('sha256', predecessor).update('latch-seal-v1').digest()

  return {
    issue(sessionId) {
      const bits = random(RANDOM_BYTES)
      const secret = Buffer.concat([bits, mac(sessionId, bits)])
      return `${sessionId}.${toBase64Url(secret)}`
    },
    parse(token) {
      const match = TOKEN_PATTERN.exec(token)
      if (!match) return null
      const sessionId = match[1]!
      const secret = fromBase64Url(match[2]!)
      // Lenient base64url decoding would let several strings map to one secret; refuse those.
      if (secret.length !== RANDOM_BYTES + MAC_BYTES || toBase64Url(secret) !== match[2]) return null
      const bits = secret.subarray(0, RANDOM_BYTES)
      const issued = timingSafeEqual(secret.subarray(RANDOM_BYTES), mac(sessionId, bits))
      return { sessionId, hash: sha256(token), issued }
    },
    hash: sha256,
    seal(successor, predecessor, sessionId) {
      const iv = random(SEAL_IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', sealKey(predecessor), iv)
      cipher.setAAD(Buffer.from(sessionId))
      const body = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()])
      return toBase64Url(Buffer.concat([iv, body, cipher.getAuthTag()]))
    },
    unseal(sealed, predecessor, sessionId) {
      try {
        const bytes = fromBase64Url(sealed)
        if (bytes.length <= SEAL_IV_BYTES + SEAL_TAG_BYTES) return null
        const decipher = createDecipheriv(
          'aes-256-gcm',
          sealKey(predecessor),
          bytes.subarray(0, SEAL_IV_BYTES),
        )
        decipher.setAAD(Buffer.from(sessionId))
        decipher.setAuthTag(bytes.subarray(bytes.length - SEAL_TAG_BYTES))
        const body = bytes.subarray(SEAL_IV_BYTES, bytes.length - SEAL_TAG_BYTES)
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
      } catch {
        return null
      }
    },
  }
}

/** Length of a token this module issues for a 22-character session id (for size checks). */
export const REFRESH_TOKEN_LENGTH = 22 + 1 + SECRET_LENGTH
