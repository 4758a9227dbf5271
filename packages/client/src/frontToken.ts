/**
 * The front token: what the browser may know about the session (user id, session id, access
 * expiry, generation) without a network call. Read from the `latch-front` / `__Host-latch-front`
 * cookie when the API is same-origin, or from the `x-latch-front-token` response header persisted
 * in storage otherwise (docs/contract.md, "Front token").
 * @module
 */
import type { StateStorage } from './storage'
import type { SessionInfo } from './types'

/** The header value meaning "the session ended". */
export const FRONT_TOKEN_REMOVE = 'remove'

/** Cookie names of the front token, preferred first (the `__Host-` one exists on HTTPS). */
export const FRONT_COOKIE_NAMES = ['__Host-latch-front', 'latch-front']

/**
 * Decodes an encoded front token (`base64url(JSON)`), or a payload object as found in the refresh
 * answer's body. Anything malformed gives `null` (treated as "no session"), never an exception.
 */
export function decodeFrontToken(value: unknown): SessionInfo | null {
  try {
    if (typeof value === 'string') {
      // A real front token is ~150 chars; anything far larger is garbage and not worth decoding.
      if (!/^[\w-]{1,4096}$/.test(value)) return null
      // atob accepts unpadded input (forgiving-base64), so only the alphabet needs translating.
      // escape() turns the bytes into %XX, which decodeURIComponent reads as UTF-8 (throwing on
      // invalid UTF-8): smaller than TextDecoder and available everywhere.
      value = JSON.parse(decodeURIComponent(escape(atob(value.replace(/-/g, '+').replace(/_/g, '/')))))
    }
    const { uid, sid, exp, gen, cl } = value as {
      uid: string
      sid: string
      exp: number
      gen: number
      cl?: Record<string, unknown>
    }
    // Number.isFinite / isSafeInteger are false for anything that is not a number.
    return typeof uid === 'string' &&
      uid &&
      typeof sid === 'string' &&
      sid &&
      Number.isFinite(exp) &&
      exp >= 0 &&
      Number.isSafeInteger(gen) &&
      gen >= 0
      ? // Public claims only as a plain JSON object (a string or an array has another constructor).
        {
          userId: uid,
          sessionId: sid,
          accessTokenExpiresAt: exp * 1000,
          generation: gen,
          claims: cl?.constructor === Object ? cl : undefined,
        }
      : null
  } catch {
    // Not base64url, invalid UTF-8, not JSON, not an object (destructuring null/undefined).
    return null
  }
}

const fields = (s: SessionInfo | null) =>
  s && JSON.stringify([s.userId, s.sessionId, s.accessTokenExpiresAt, s.generation])

/** True when both describe the same session at the same generation (the change marker). */
export const sameSession = (a: SessionInfo | null, b: SessionInfo | null): boolean => fields(a) === fields(b)

/**
 * The commit guard: may a front token `incoming`, received now, replace the `stored` one? Not when
 * it is older than what is stored (same session, lower generation: a refresh that finished after
 * another tab's, which went on without the lock), nor, for a refresh answer (`sentWith` = the
 * session the refresh was sent for), when the stored session is no longer that one (a sign-out
 * or a sign-in happened meanwhile). Writing it anyway would hand the next refresh a rotated-out
 * token, which the server must treat as theft.
 */
export const mayCommit = (
  stored: SessionInfo | null,
  incoming: SessionInfo,
  sentWith?: SessionInfo | null,
): boolean =>
  !(
    (sentWith && stored?.sessionId !== sentWith.sessionId) ||
    (stored?.sessionId === incoming.sessionId && stored.generation > incoming.generation)
  )

/** Reads the front-token cookie from a `document.cookie` string. */
export function readFrontCookie(cookieString: string): SessionInfo | null {
  for (const name of FRONT_COOKIE_NAMES) {
    const match = new RegExp(`(?:^|;)\\s*${name}\\s*=([^;]*)`).exec(cookieString)
    if (!match) continue
    // Base64url needs no percent-encoding: the value is read as is (anything else is refused).
    return decodeFrontToken(match[1]!.trim())
  }
  return null
}

/** Where the client reads and keeps the front token. */
export interface FrontTokenSource {
  /** False when there is nothing to read from (SSR): the state then stays `loading`. */
  available(): boolean
  read(): SessionInfo | null
  /**
   * Keeps a front token seen in a response header (or `remove`), unless the commit guard
   * ({@link mayCommit}) refuses it; `sentWith` is given for a refresh answer.
   */
  persist(value: string, sentWith?: SessionInfo | null): unknown
  /** Forgets the front token locally (local sign-out). */
  remove(): unknown
}

const currentDocument = () => (globalThis as { document?: { cookie: string } }).document

/** Front token from the cookie (same-origin API). Response headers are ignored: the cookie is the truth. */
export function cookieFrontTokenSource(): FrontTokenSource {
  const remove = () => {
    try {
      // Only the non-httpOnly front cookie can be cleared from script; clearing it makes every
      // tab that re-reads the cookie agree that the session is gone. A sandboxed document may
      // refuse cookie writes (or there is none): the in-memory state is still cleared.
      for (const name of FRONT_COOKIE_NAMES)
        currentDocument()!.cookie = `${name}=; Max-Age=0; Path=/${name[0] === '_' ? '; Secure' : ''}`
    } catch {}
  }
  return {
    available: () => !!currentDocument(),
    read: () => {
      try {
        return readFrontCookie(currentDocument()!.cookie)
      } catch {
        return null
      }
    },
    // The server also sets or clears the cookie; clearing it here too covers the case where a
    // proxy stripped Set-Cookie but kept the header.
    persist: (value) => value === FRONT_TOKEN_REMOVE && remove(),
    remove,
  }
}

/**
 * Front token persisted in storage from the `x-latch-front-token` header (cross-origin API, header
 * mode). In header mode the value also carries the tokens after it, space-separated (see
 * `transport.ts`); only the first part is the front token.
 */
export function storedFrontTokenSource(storage: StateStorage | null, key: string): FrontTokenSource {
  const read = () => decodeFrontToken(storage?.getItem(key)?.split(' ')[0])
  return {
    available: () => !!storage,
    read,
    persist(value, sentWith) {
      if (value === FRONT_TOKEN_REMOVE) return storage?.removeItem(key)
      const incoming = decodeFrontToken(value.split(' ')[0])
      // Cookie mode needs no guard here: the server's grace gives a duplicate refresh the same
      // successor, so whichever cookie the browser keeps last is current.
      if (incoming && mayCommit(read(), incoming, sentWith)) storage?.setItem(key, value)
    },
    remove: () => storage?.removeItem(key),
  }
}
