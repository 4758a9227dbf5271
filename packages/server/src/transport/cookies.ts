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

/** Cookie names on HTTPS: `__Host-`/`__Secure-` prefixed. */
export const HTTPS_COOKIE_NAMES: Readonly<CookieNames> = Object.freeze({
  access: '__Host-latch-access',
  refresh: '__Secure-latch-refresh',
  front: '__Host-latch-front',
})

/** Cookie names on plain HTTP (development). */
export const HTTP_COOKIE_NAMES: Readonly<CookieNames> = Object.freeze({
  access: 'latch-access',
  refresh: 'latch-refresh',
  front: 'latch-front',
})

/** Cookie names for a context (shared frozen objects: read on every request, never rebuilt). */
export function cookieNames(context: { https: boolean }): Readonly<CookieNames> {
  return context.https ? HTTPS_COOKIE_NAMES : HTTP_COOKIE_NAMES
}

/**
 * The value of cookie `name` in a `Cookie` header, or `null`. Throws `BadRequestError` when the
 * header is oversized or the cookie appears twice or is oversized. Values are taken raw (no
 * percent-decoding): Latch writes only base64url and dots, anything else fails token checks.
 */
export function readCookie(header: string | null, name: string): string | null {
  if (header === null || header === '') return null
  if (header.length > MAX_COOKIE_HEADER_LENGTH) throw new BadRequestError('The Cookie header is too large.')
  // Scans for `name` instead of splitting the header: it runs on every protected request. Same
  // reading as splitting on `;` and trimming each side of the first `=`: an occurrence counts
  // only when nothing but whitespace separates it from the previous `;` (or the start) and from
  // the `=` that follows it.
  let found: string | null = null
  let from = 0
  for (;;) {
    const at = header.indexOf(name, from)
    if (at === -1) break
    from = at + 1
    let before = at - 1
    while (before >= 0 && isTrimmed(header.charCodeAt(before))) before--
    if (before >= 0 && header.charCodeAt(before) !== SEMICOLON) continue
    let eq = at + name.length
    while (eq < header.length && isTrimmed(header.charCodeAt(eq))) eq++
    if (header.charCodeAt(eq) !== EQUALS) continue
    let end = header.indexOf(';', eq + 1)
    if (end === -1) end = header.length
    from = end
    if (found !== null) throw new BadRequestError(`The ${name} cookie appears more than once.`)
    let value = header.slice(eq + 1, end).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    if (value.length > MAX_COOKIE_VALUE_LENGTH) throw new BadRequestError(`The ${name} cookie is too large.`)
    found = value
  }
  return found === '' ? null : found
}

const SEMICOLON = 0x3b
const EQUALS = 0x3d
const TRIMMED = /\s/

/** True for a character `String.prototype.trim` removes (`\s`: ASCII and Unicode whitespace). */
function isTrimmed(code: number): boolean {
  if (code === 0x20 || (code >= 0x09 && code <= 0x0d)) return true
  return code >= 0xa0 && TRIMMED.test(String.fromCharCode(code))
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
