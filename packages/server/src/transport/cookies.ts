/**
 * The three session cookies of docs/contract.md: names (with `__Host-`/`__Secure-` on HTTPS),
 * attributes, and a strict reader. Only Latch's own cookies are judged: a duplicate or oversized
 * one is bad input (cookie tossing, a broken proxy), while the app's other cookies are ignored.
 * @module
 */
import { BadRequestError } from '../errors.js'

/** A Cookie header longer than this is bad input (browsers cap a cookie at 4 KB, a header near 8 KB). */
export const MAX_COOKIE_HEADER_LENGTH = 16_384

/** One cookie value longer than this is bad input. */
export const MAX_COOKIE_VALUE_LENGTH = 4096

/** How the request reached us, which decides cookie names and the `Secure` attribute. */
export interface CookieContext {
  /** HTTPS: prefixed names. */
  https: boolean
  /** Whether to set `Secure`: always, except plain-HTTP development on a loopback host. */
  secure: boolean
  /** The session base path, the refresh cookie's `Path`. */
  basePath: string
}

/** The cookie names used in a context. */
export interface CookieNames {
  access: string
  refresh: string
  front: string
}

/** True for `localhost`, `*.localhost`, `127.0.0.0/8` and `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    host === '::1' ||
    /^127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(host)
  )
}

/** The cookie context of a request URL. */
export function cookieContext(url: URL, basePath: string): CookieContext {
  const https = url.protocol === 'https:'
  return { https, secure: https || !isLoopbackHost(url.hostname), basePath }
}

/** Cookie names for a context. */
export function cookieNames(context: CookieContext): CookieNames {
  return context.https
    ? { access: '__Host-latch-access', refresh: '__Secure-latch-refresh', front: '__Host-latch-front' }
    : { access: 'latch-access', refresh: 'latch-refresh', front: 'latch-front' }
}

/**
 * The value of cookie `name` in a `Cookie` header, or `null`. Throws `BadRequestError` when the
 * header is oversized or the cookie appears twice or is oversized. Values are taken raw (no
 * percent-decoding): Latch writes only base64url and dots, anything else fails token checks.
 */
export function readCookie(header: string | null, name: string): string | null {
  if (header === null || header === '') return null
  if (header.length > MAX_COOKIE_HEADER_LENGTH) throw new BadRequestError('The Cookie header is too large.')
  let found: string | null = null
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue
    if (found !== null) throw new BadRequestError(`The ${name} cookie appears more than once.`)
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    if (value.length > MAX_COOKIE_VALUE_LENGTH) throw new BadRequestError(`The ${name} cookie is too large.`)
    found = value
  }
  return found === '' ? null : found
}

interface CookieAttributes {
  path: string
  maxAge: number
  httpOnly: boolean
  sameSite: 'Lax' | 'Strict'
  secure: boolean
}

/** Serializes one `Set-Cookie` value. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  let cookie = `${name}=${value}; Path=${attributes.path}; Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`
  if (attributes.httpOnly) cookie += '; HttpOnly'
  if (attributes.secure) cookie += '; Secure'
  return `${cookie}; SameSite=${attributes.sameSite}`
}

/** The three `Set-Cookie` values of a live session; `maxAgeSeconds` is the session's remaining life. */
export function sessionCookies(
  context: CookieContext,
  tokens: { access: string; refresh: string; front: string },
  maxAgeSeconds: number,
): string[] {
  const names = cookieNames(context)
  const base = { maxAge: maxAgeSeconds, secure: context.secure }
  return [
    serializeCookie(names.access, tokens.access, { ...base, path: '/', httpOnly: true, sameSite: 'Lax' }),
    serializeCookie(names.refresh, tokens.refresh, {
      ...base,
      path: context.basePath,
      httpOnly: true,
      sameSite: 'Strict',
    }),
    serializeCookie(names.front, tokens.front, { ...base, path: '/', httpOnly: false, sameSite: 'Lax' }),
  ]
}

/** `Set-Cookie` values that clear all three cookies. */
export function clearedCookies(context: CookieContext): string[] {
  return sessionCookies(context, { access: '', refresh: '', front: '' }, 0)
}
