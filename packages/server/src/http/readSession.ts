/**
 * `readSession`: the session of a request for code that is handed headers rather than a Web
 * `Request` (Next.js server components with `headers()` / `cookies()`, Remix and Hono loaders).
 * Read-only by design: a server component cannot set cookies, and the refresh cookie is scoped to
 * the session base path, so a page request can never refresh. It says what a protected route
 * would say, as a result instead of an exception.
 * @module
 */
import { isLatchError } from '../errors.js'
import type { VerifiedSession } from '../tokens/accessToken.js'
import { cookieNames } from '../transport/cookies.js'
import type { RequestLike } from '../transport/requestLike.js'

/** What {@link readSession} reads: the request's headers, as a framework hands them over. */
export interface ReadSessionInput {
  /**
   * The request's `Cookie` header, e.g. `(await headers()).get('cookie')` in Next.js.
   * Defaults to `null` (no cookies).
   */
  cookie?: string | null
  /**
   * The request's `Authorization` header; `Bearer <access token>` in header transport.
   * Defaults to `null`.
   */
  authorization?: string | null
  /**
   * Whether the page was requested over HTTPS, which picks the cookie names
   * (`__Host-latch-access` instead of `latch-access`), as `verify` decides from the request URL.
   * Pass it in production so that unprefixed copies, which a sibling subdomain could set, are
   * never read. Defaults to HTTPS names when the Cookie header carries a `__Host-latch-` cookie,
   * else the plain-HTTP names.
   */
  https?: boolean
}

/**
 * The session of a request, told apart the way a page needs:
 * - `authenticated`: the access token verified; `session` is what `verify` resolves.
 * - `refresh`: the browser holds a session whose access token cannot be used here (expired,
 *   signed by a retired key, unreadable) — what a protected route answers with `try_refresh`.
 *   Render something that does not depend on the user; the browser client refreshes and the
 *   page re-renders.
 * - `unauthenticated`: no session, or one that has ended (revoked, theft).
 */
export type ReadSessionResult =
  | {
      status: 'authenticated'
      session: VerifiedSession
      /**
       * The front-token cookie as the browser sent it (what the browser's session client reads:
       * not secret, not verified), or `null`. `@latch/client`'s `initialSessionOf` turns it
       * into the provider's `initialSession`, so the first client render matches the server HTML.
       */
      frontToken: string | null
    }
  | { status: 'refresh'; session: null; frontToken: null }
  | { status: 'unauthenticated'; session: null; frontToken: null }

const REFRESH: ReadSessionResult = Object.freeze({ status: 'refresh', session: null, frontToken: null })
const UNAUTHENTICATED: ReadSessionResult = Object.freeze({
  status: 'unauthenticated',
  session: null,
  frontToken: null,
})

/** Codes a protected route would answer that mean "this session is over", not "refresh". */
const ENDED = new Set(['unauthorized', 'session_expired', 'token_theft_detected'])

const MAX_VALUE_LENGTH = 4096

/**
 * The raw value of the first `name` cookie, `''` when present but empty, `null` when absent.
 * Lenient on purpose (no throw on duplicates or size): it only decides between `refresh` and
 * `unauthenticated`; `verify` judges the access token with its own strict reading.
 */
function firstCookie(header: string, name: string): string | null {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return null
}

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null)

const INPUT_KEYS = new Set(['cookie', 'authorization', 'https'])

/**
 * Throws a `TypeError` for input that is not a {@link ReadSessionInput}: a `Headers` object, a
 * Node `req.headers`, a cookie jar, a misspelled key. Those are programming errors; read as
 * "no cookies", they would sign every user out without a word. Never quotes a value.
 */
function checkInput(input: unknown): void {
  if (input == null) return
  const need =
    "readSession() takes { cookie, authorization, https? } with the headers' values, e.g. readSession({ cookie: headers.get('cookie'), authorization: headers.get('authorization') })"
  if (typeof input !== 'object') throw new TypeError(`${need}.`)
  if (typeof (input as { get?: unknown }).get === 'function') {
    throw new TypeError(`${need}; it was given a Headers-like object.`)
  }
  for (const key of Object.keys(input)) {
    if (!INPUT_KEYS.has(key)) throw new TypeError(`${need}; \`${key.slice(0, 64)}\` is not one of them.`)
  }
  const { cookie, authorization, https } = input as Record<string, unknown>
  for (const [name, value] of [
    ['cookie', cookie],
    ['authorization', authorization],
  ] as const) {
    if (value != null && typeof value !== 'string') {
      throw new TypeError(`${need}; \`${name}\` must be the header's string value or null.`)
    }
  }
  if (https !== undefined && typeof https !== 'boolean') {
    throw new TypeError(`${need}; \`https\` must be a boolean.`)
  }
}

/**
 * Reads the session from a request's headers without a store read and without writing anything.
 * Never rejects for bad request data (garbage, oversized or duplicated cookies give `refresh` or
 * `unauthenticated`, exactly as a protected route would answer `try_refresh` or `unauthorized`);
 * rejects when the manager cannot start (store down before the keys were ever loaded), and
 * with a `TypeError` when `input` is not a {@link ReadSessionInput} (a `Headers` object, Node's
 * `req.headers`, a cookie jar: programming errors, not "signed out").
 *
 * @param verify the manager's `verify`, which owns token and cookie reading.
 */
export async function readSession(
  verify: (request: RequestLike) => Promise<VerifiedSession>,
  input: ReadSessionInput | null | undefined,
): Promise<ReadSessionResult> {
  checkInput(input)
  const cookie = stringOrNull(input?.cookie) ?? ''
  const authorization = stringOrNull(input?.authorization)
  const https = typeof input?.https === 'boolean' ? input.https : /(?:^|;)\s*__Host-latch-/.test(cookie)
  const names = cookieNames({ https })

  const front = firstCookie(cookie, names.front)
  const frontToken = front !== null && front !== '' && front.length <= MAX_VALUE_LENGTH ? front : null
  const bearer = authorization !== null && /^\s*bearer(?:\s|$)/i.test(authorization)
  // The browser's client acts only when it knows of a session: from the front-token cookie
  // (cookie transport) or from what it stored itself (header transport, which sends a Bearer).
  const clientKnowsSession = frontToken !== null || bearer
  if (!bearer && !firstCookie(cookie, names.access)) return clientKnowsSession ? REFRESH : UNAUTHENTICATED

  // A GET: the CSRF header protects writes made with cookies, and a page render writes nothing.
  const request: RequestLike = {
    method: 'GET',
    url: https ? 'https://localhost/' : 'http://localhost/',
    headers: {
      get: (name) => {
        const lower = name.toLowerCase()
        if (lower === 'cookie') return cookie === '' ? null : cookie
        if (lower === 'authorization') return authorization
        return null
      },
    },
  }
  try {
    const session = await verify(request)
    return { status: 'authenticated', session, frontToken }
  } catch (error) {
    // Not an answer about the token: the store failed while starting, or a bug. Let it surface.
    if (!isLatchError(error) || error.code === 'store_unavailable') throw error
    if (ENDED.has(error.code) || !clientKnowsSession) return UNAUTHENTICATED
    return REFRESH
  }
}
