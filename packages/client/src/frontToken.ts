/**
 * The front token: what the browser may know about the session (user id, session id, access
 * expiry, generation) without a network call. Read from the `latch-front` / `__Host-latch-front`
 * cookie when the API is same-origin, or from the `x-latch-front-token` response header persisted
 * in storage otherwise (docs/contract.md, "Front token").
 * @module
 */
import type { StateStorage } from './storage'
import type { SessionInfo } from './types'

/** Cookie names of the front token, preferred first (the `__Host-` one exists on HTTPS). */
export const FRONT_COOKIE_NAMES = ['__Host-latch-front', 'latch-front'] as const

/** The header value meaning "the session ended". */
export const FRONT_TOKEN_REMOVE = 'remove'

// A real front token is ~150 chars; anything far larger is garbage and not worth decoding.
const MAX_FRONT_TOKEN_LENGTH = 4096

function base64UrlToString(value: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) return null
  try {
    // atob accepts unpadded input (forgiving-base64), so only the alphabet needs translating.
    const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'))
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0))
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return null
  }
}

function toSessionInfo(payload: unknown): SessionInfo | null {
  if (typeof payload !== 'object' || payload === null) return null
  const { uid, sid, exp, gen } = payload as Record<string, unknown>
  if (typeof uid !== 'string' || uid === '' || typeof sid !== 'string' || sid === '') return null
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp < 0) return null
  if (typeof gen !== 'number' || !Number.isSafeInteger(gen) || gen < 0) return null
  return { userId: uid, sessionId: sid, accessTokenExpiresAt: exp * 1000, generation: gen }
}

/**
 * Decodes an encoded front token (`base64url(JSON)`), or a payload object as found in the refresh
 * answer's body. Anything malformed gives `null` (treated as "no session"), never an exception.
 */
export function decodeFrontToken(value: unknown): SessionInfo | null {
  if (typeof value !== 'string') return toSessionInfo(value)
  if (value.length === 0 || value.length > MAX_FRONT_TOKEN_LENGTH) return null
  const json = base64UrlToString(value)
  if (json === null) return null
  try {
    return toSessionInfo(JSON.parse(json))
  } catch {
    return null
  }
}

/** True when both describe the same session at the same generation (the change marker). */
export function sameSession(a: SessionInfo | null, b: SessionInfo | null): boolean {
  if (a === null || b === null) return a === b
  return (
    a.sessionId === b.sessionId &&
    a.generation === b.generation &&
    a.accessTokenExpiresAt === b.accessTokenExpiresAt &&
    a.userId === b.userId
  )
}

/** Reads the front-token cookie from a `document.cookie` string. */
export function readFrontCookie(cookieString: string): SessionInfo | null {
  const values = new Map<string, string>()
  for (const part of cookieString.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = part.slice(0, eq).trim()
    if (!values.has(name)) values.set(name, part.slice(eq + 1).trim())
  }
  for (const name of FRONT_COOKIE_NAMES) {
    const raw = values.get(name)
    if (raw === undefined) continue
    let decoded = raw
    try {
      decoded = decodeURIComponent(raw)
    } catch {
      // A cookie that is not URI-encoded is read as is.
    }
    return decodeFrontToken(decoded)
  }
  return null
}

/** Where the client reads and keeps the front token. */
export interface FrontTokenSource {
  /** False when there is nothing to read from (SSR): the state then stays `loading`. */
  available(): boolean
  read(): SessionInfo | null
  /** Keeps a front token seen in a response header (or `remove`). */
  persist(value: string): void
  /** Forgets the front token locally (local sign-out). */
  remove(): void
}

interface DocumentLike {
  cookie: string
}

const currentDocument = (): DocumentLike | undefined => (globalThis as { document?: DocumentLike }).document

/** Front token from the cookie (same-origin API). Response headers are ignored: the cookie is the truth. */
export function cookieFrontTokenSource(): FrontTokenSource {
  return {
    available: () => currentDocument() !== undefined,
    read: () => {
      const doc = currentDocument()
      if (!doc) return null
      try {
        return readFrontCookie(String(doc.cookie ?? ''))
      } catch {
        return null
      }
    },
    persist: (value) => {
      // The server also sets or clears the cookie; clearing it here too covers the case where a
      // proxy stripped Set-Cookie but kept the header.
      if (value === FRONT_TOKEN_REMOVE) clearFrontCookies()
    },
    remove: clearFrontCookies,
  }
}

function clearFrontCookies(): void {
  const doc = currentDocument()
  if (!doc) return
  try {
    // Only the non-httpOnly front cookie can be cleared from script; clearing it makes every tab
    // that re-reads the cookie agree that the session is gone.
    doc.cookie = 'latch-front=; Max-Age=0; Path=/; SameSite=Lax'
    doc.cookie = '__Host-latch-front=; Max-Age=0; Path=/; Secure; SameSite=Lax'
  } catch {
    // A sandboxed document may refuse cookie writes; the in-memory state is still cleared.
  }
}

/** Front token persisted in storage from the `x-latch-front-token` header (cross-origin API, header mode). */
export function storedFrontTokenSource(storage: StateStorage | null, key: string): FrontTokenSource {
  return {
    available: () => storage !== null,
    read: () => (storage ? decodeFrontToken(storage.getItem(key)) : null),
    persist: (value) => {
      if (!storage) return
      if (value === FRONT_TOKEN_REMOVE) storage.removeItem(key)
      else if (decodeFrontToken(value) !== null) storage.setItem(key, value)
    },
    remove: () => storage?.removeItem(key),
  }
}
