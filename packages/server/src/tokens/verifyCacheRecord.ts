/**
 * The record layout of the verified-token cache (`verifyCache.ts`), chosen for bytes per entry
 * rather than elegance: no object and no `Map` entry per token. Entries live in dense slots of one
 * `Int32Array`, a 48-byte record each (16 bytes of the token's SHA-256, the session id's 16 raw
 * bytes, `iat`/`exp` in seconds, the claims version, a hit counter). One record rather than an
 * array per field because a hit runs between two HTTP requests' worth of work that has pushed the
 * cache out of the CPU's caches: a record is one or two cache lines to fetch, where separate
 * arrays cost a miss each. This module holds the word offsets and the encodings into words: the
 * key's, the session id's (base64url ↔ 16 bytes) and the times'.
 * @module
 */

/** Key and session id: 16 bytes each, as four 32-bit words. */
export const WORDS = 4
/** A slot's record, in 32-bit words: key, session id, then the fields below. */
export const STRIDE = 12
/** Where the session id's four words start in a record. */
export const SESSION_ID = 4
/** `iat`, whole epoch seconds (unsigned). */
export const IAT = 8
/** `exp`, epoch seconds (unsigned). */
export const EXP = 9
/**
 * The claims version (0 … 2³¹−1) of a token that carries one; for a token issued before claims
 * versions, −1 − its `iat`'s milliseconds (−1 … −1000), which a pre-version stale mark reads.
 * One word for both: a token carries a version or sub-second `iat`, never both.
 */
export const VERSION = 10
/** Hand passes an entry survives without a hit (see `evictOne`). */
export const CREDIT = 11
/** The largest time a record holds, in seconds. */
export const UINT32_MAX = 0xffff_ffff

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const ENCODE = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0))
const DECODE = new Int8Array(128).fill(-1)
for (let i = 0; i < 64; i++) DECODE[ENCODE[i]!] = i

/**
 * Writes the 16 bytes of a session id into `bytes`; false when it is not the canonical
 * 22-character base64url of 16 bytes (the only form Latch issues): such a token is verified every
 * time instead of cached, so a hit always rebuilds exactly the string that was signed. In plain
 * JS because a `Buffer` round trip costs twice as much on the hit path.
 */
export function decodeSessionId(sessionId: string, bytes: Uint8Array): boolean {
  if (sessionId.length !== 22) return false
  let out = 0
  for (let i = 0; i < 22; i += 4) {
    const c0 = sextet(sessionId, i)
    const c1 = sextet(sessionId, i + 1)
    if (i === 20) {
      // The last two characters carry one byte; the 4 bits left over must be zero.
      if ((c0 | c1) < 0 || (c1 & 15) !== 0) return false
      bytes[out] = (c0 << 2) | (c1 >> 4)
      return true
    }
    const c2 = sextet(sessionId, i + 2)
    const c3 = sextet(sessionId, i + 3)
    if ((c0 | c1 | c2 | c3) < 0) return false
    bytes[out++] = (c0 << 2) | (c1 >> 4)
    bytes[out++] = ((c1 & 15) << 4) | (c2 >> 2)
    bytes[out++] = ((c2 & 3) << 6) | c3
  }
  return false
}

function sextet(text: string, at: number): number {
  const code = text.charCodeAt(at)
  return code < 128 ? DECODE[code]! : -1
}

/** The 22-character base64url of 16 bytes. */
export function encodeSessionId(b: Uint8Array): string {
  const e = ENCODE
  return String.fromCharCode(
    e[b[0]! >> 2]!,
    e[((b[0]! & 3) << 4) | (b[1]! >> 4)]!,
    e[((b[1]! & 15) << 2) | (b[2]! >> 6)]!,
    e[b[2]! & 63]!,
    e[b[3]! >> 2]!,
    e[((b[3]! & 3) << 4) | (b[4]! >> 4)]!,
    e[((b[4]! & 15) << 2) | (b[5]! >> 6)]!,
    e[b[5]! & 63]!,
    e[b[6]! >> 2]!,
    e[((b[6]! & 3) << 4) | (b[7]! >> 4)]!,
    e[((b[7]! & 15) << 2) | (b[8]! >> 6)]!,
    e[b[8]! & 63]!,
    e[b[9]! >> 2]!,
    e[((b[9]! & 3) << 4) | (b[10]! >> 4)]!,
    e[((b[10]! & 15) << 2) | (b[11]! >> 6)]!,
    e[b[11]! & 63]!,
    e[b[12]! >> 2]!,
    e[((b[12]! & 3) << 4) | (b[13]! >> 4)]!,
    e[((b[13]! & 15) << 2) | (b[14]! >> 6)]!,
    e[b[14]! & 63]!,
    e[b[15]! >> 2]!,
    e[(b[15]! & 3) << 4]!,
  )
}

/** Little-endian 32-bit word of four latin1 characters (digest bytes). */
export function word(key: string, at: number): number {
  return (
    key.charCodeAt(at) |
    (key.charCodeAt(at + 1) << 8) |
    (key.charCodeAt(at + 2) << 16) |
    (key.charCodeAt(at + 3) << 24)
  )
}

/**
 * True when a token's times and claims version fit a record. A token that does not (times finer
 * than Latch writes them, out of range) is verified every time instead of cached.
 */
export function fitsRecord(iatMs: number, exp: number, version: number | null): boolean {
  if (!Number.isSafeInteger(iatMs) || !storable(Math.floor(iatMs / 1000)) || !storable(exp)) return false
  if (version !== null && !(Number.isSafeInteger(version) && version >= 0 && version <= 0x7fff_ffff))
    return false
  // A versioned token's `iat` is whole seconds (Latch issues no other); anything finer is verified each time.
  return version === null || iatMs % 1000 === 0
}

/**
 * Writes a record's key, session id (its four words, from `decodeSessionId`), times and version
 * at word `at` of `slots`. The hit counter is the cache's to set.
 */
export function writeRecord(
  slots: Int32Array,
  at: number,
  key: string,
  sessionIdWords: Int32Array,
  iatMs: number,
  exp: number,
  version: number | null,
): void {
  slots[at] = word(key, 0)
  slots[at + 1] = word(key, 4)
  slots[at + 2] = word(key, 8)
  slots[at + 3] = word(key, 12)
  for (let i = 0; i < WORDS; i++) slots[at + SESSION_ID + i] = sessionIdWords[i]!
  // Stored as int32 bits; `storable` checked they fit 32 unsigned bits.
  slots[at + IAT] = Math.floor(iatMs / 1000)
  slots[at + EXP] = exp
  slots[at + VERSION] = version ?? -1 - (iatMs % 1000)
}

/** True when `seconds` fits a record's unsigned 32-bit time. */
function storable(seconds: number): boolean {
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= UINT32_MAX
}
