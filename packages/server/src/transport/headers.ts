/**
 * Header names of the wire contract (docs/contract.md) and the header-mode readers.
 * @module
 */
import { UnauthorizedError } from '../errors.js'

/** Request header carrying the CSRF proof: `x-latch-csrf: 1`. */
export const CSRF_HEADER = 'x-latch-csrf'
/** Request header selecting header transport: `x-latch-transport: header`. */
export const TRANSPORT_HEADER = 'x-latch-transport'
/** Response header with the new access token (header mode). */
export const ACCESS_TOKEN_HEADER = 'x-latch-access-token'
/** Response header with the new refresh token (header mode). */
export const REFRESH_TOKEN_HEADER = 'x-latch-refresh-token'
/** Response header with the front token, or `remove` when the session ended. */
export const FRONT_TOKEN_HEADER = 'x-latch-front-token'
/** Response header with the error code of every Latch error. */
export const ERROR_HEADER = 'x-latch-error'

/**
 * Headers a cross-origin app must list in `Access-Control-Expose-Headers`. `date` lets the
 * browser client judge expiry in server time (a browser clock hours off keeps its proactive
 * refresh); it is not readable cross-origin otherwise.
 */
export const exposedHeaders: readonly string[] = [
  ERROR_HEADER,
  FRONT_TOKEN_HEADER,
  ACCESS_TOKEN_HEADER,
  REFRESH_TOKEN_HEADER,
  // The server's time: the browser client judges expiry by it, and `@latch/client/bound` dates
  // its key proofs by it.
  'date',
]

/** Headers a cross-origin app must list in `Access-Control-Allow-Headers`. */
export const allowedHeaders: readonly string[] = [
  CSRF_HEADER,
  TRANSPORT_HEADER,
  'authorization',
  'content-type',
  // The key proof of bound refresh (RFC 9449's header name).
  'dpop',
]

/** How tokens travel: cookies (browsers) or headers (native apps, CLIs, cookie-less cross-site). */
export type Transport = 'cookie' | 'header'

/**
 * The transport a request asks for. An unknown value is not a silent fallback: it throws
 * `UnauthorizedError` (the session request cannot be used; the client has a rule for that).
 */
export function requestedTransport(request: { headers: { get(name: string): string | null } }): Transport {
  const value = request.headers.get(TRANSPORT_HEADER)
  if (value === null) return 'cookie'
  const normalized = value.trim().toLowerCase()
  if (normalized === 'header' || normalized === 'cookie') return normalized
  throw new UnauthorizedError('The x-latch-transport header must be `header` or `cookie`.')
}

/**
 * The bearer token of the `Authorization` header, `null` when there is none or it uses another
 * scheme (an app may use `Basic` for its own routes). A Bearer with no usable token (empty, with
 * spaces or commas, e.g. a JSON-serialised JWS) gives `''`, which every token check refuses with
 * the caller's own code: `try_refresh` for an access token, `unauthorized` for a refresh token.
 */
export function readBearer(request: { headers: { get(name: string): string | null } }): string | null {
  const value = request.headers.get('authorization')
  if (value === null) return null
  const match = /^\s*bearer(?:\s+(.*))?$/i.exec(value)
  if (!match) return null
  const token = (match[1] ?? '').trim()
  return /[\s,]/.test(token) ? '' : token
}
