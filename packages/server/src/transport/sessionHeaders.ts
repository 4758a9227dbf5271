/**
 * Response headers that carry a session (cookies or header transport, plus the front token) or
 * announce its end. Shared by `create`, refresh and sign-out so every path sets the same things.
 * @module
 */

import type { AnswerHeaders } from '../LatchAnswer.js'
import { type CookieContext, clearedCookies, sessionCookies } from './cookies.js'
import { encodeFrontToken, type FrontToken } from './frontToken.js'
import { ACCESS_TOKEN_HEADER, FRONT_TOKEN_HEADER, REFRESH_TOKEN_HEADER, type Transport } from './headers.js'

/** Tokens and facts of a session answer. */
export interface IssuedTokens {
  accessToken: string
  refreshToken: string
  front: FrontToken
  /** Remaining session life in seconds (cookie `Max-Age`). */
  maxAgeSeconds: number
}

/** The context of a cookie answer; a header answer needs none (`null`). */
function cookieContextOf(context: CookieContext | null): CookieContext {
  if (context === null) throw new TypeError('A cookie answer needs the request’s cookie context.')
  return context
}

/** Headers that hand a session to the client. `context` may be `null` in header transport. */
export function sessionHeaders(
  transport: Transport,
  context: CookieContext | null,
  issued: IssuedTokens,
): AnswerHeaders {
  const front = encodeFrontToken(issued.front)
  const headers: Record<string, string> = { 'cache-control': 'no-store', [FRONT_TOKEN_HEADER]: front }
  if (transport === 'header') {
    headers[ACCESS_TOKEN_HEADER] = issued.accessToken
    headers[REFRESH_TOKEN_HEADER] = issued.refreshToken
    return { headers, cookies: [] }
  }
  const cookies = sessionCookies(
    cookieContextOf(context),
    { access: issued.accessToken, refresh: issued.refreshToken, front },
    issued.maxAgeSeconds,
  )
  return { headers, cookies }
}

/**
 * Headers that end a session on the client: cleared cookies (cookie mode) and `front: remove`.
 * `context` may be `null` in header transport.
 */
export function endedSessionHeaders(transport: Transport, context: CookieContext | null): AnswerHeaders {
  return {
    headers: { 'cache-control': 'no-store', [FRONT_TOKEN_HEADER]: 'remove' },
    cookies: transport === 'cookie' ? clearedCookies(cookieContextOf(context)) : [],
  }
}
