/**
 * Small byte helpers shared by the token modules (base64url, SHA-256, constant-time compare).
 * Sync `node:crypto` on purpose: hashing sits on the hot path and must not cost an await.
 * @module
 */
import { createHash, randomFillSync, timingSafeEqual } from 'node:crypto'

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

const POOL_BYTES = 4096
let pool: Uint8Array | null = null
let poolOffset = POOL_BYTES

/**
 * `size` fresh bytes from the CSPRNG, served from a pool refilled 4 KB at a time (as Node's own
 * `randomUUID` does): one `randomFillSync` call per ~100 tokens instead of one per token. Every
 * byte is handed out once and wiped from the pool as it leaves; large requests bypass the pool.
 */
export function pooledRandomBytes(size: number): Uint8Array {
  if (size > POOL_BYTES / 8) return randomFillSync(new Uint8Array(size))
  if (pool === null || poolOffset + size > POOL_BYTES) {
    pool ??= new Uint8Array(POOL_BYTES)
    randomFillSync(pool)
    poolOffset = 0
  }
  const bytes = pool.slice(poolOffset, poolOffset + size)
  pool.fill(0, poolOffset, poolOffset + size)
  poolOffset += size
  return bytes
}
