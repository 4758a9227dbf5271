/**
 * Small byte helpers shared by the token modules (base64url, SHA-256, constant-time compare).
 * Sync `node:crypto` on purpose: hashing sits on the hot path and must not cost an await.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'

/** Base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/** Decodes strict base64url (the caller has checked the alphabet). */
export function fromBase64Url(text: string): Buffer {
  return Buffer.from(text, 'base64url')
}

/** SHA-256 of a string, base64url. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url')
}

/** Constant-time equality of two strings (false, not a throw, when the lengths differ). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
