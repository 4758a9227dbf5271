/**
 * The three session cookies of docs/contract.md: names (with `__Host-`/`__Secure-` on HTTPS),
 * attributes, and a bounded reader that returns every copy of a name (at most three), so callers
 * can pick the copy that works instead of refusing the request. The app's other cookies are ignored.
 * @module
 */

/** A Cookie header longer than this is not read at all (browsers cap a cookie at 4 KB, a header near 8 KB). */
export const MAX_COOKIE_HEADER_LENGTH = 16_384

/** A cookie value longer than this is not a usable copy. */
export const MAX_COOKIE_VALUE_LENGTH = 4096

/** How the request reached us, which decides cookie names and the `Secure` attribute. */
export interface CookieContext {
  /** HTTPS: prefixed names. */
  https: boolean
  /** Whether to set `Secure`: always, except plain-HTTP development on a loopback host. */
  secure: boolean
  /** The session base path, the refresh cookie's `Path`. */
  basePath: string
  /** Old places of the session cookies, expired by every answer that sets or clears them. */
  legacy?: readonly LegacyCookieLocation[]
}

/**
 * An old place where a browser may still hold a session cookie, after a change of `basePath` or
 * of the cookie domain: answers that set or clear the session cookies also expire the copies
 * there, since a cookie is only removed by a `Set-Cookie` naming its exact path and domain.
 */
export interface LegacyCookieLocation {
  /** The old `Path`. Defaults to the current one of each cookie (`/`, and the base path for the refresh cookie). */
  path?: string
  /** The old `Domain` attribute (e.g. `example.com`). Defaults to none (a host-only cookie). */
  domain?: string
}

/** At most this many legacy locations: each adds Set-Cookie headers to every session answer. */
const MAX_LEGACY_LOCATIONS = 8

/**
 * Validates the `legacyCookies` option. Throws a `TypeError` naming the option.
 * A location without a `domain` must name a path other than the current ones, or it would
 * expire the live cookie; such an entry is refused rather than silently ignored.
 */
export function resolveLegacyCookies(value: unknown, basePath: string): LegacyCookieLocation[] {
  if (value == null) return []
  const fail = (expectation: string): never => {
    throw new TypeError(`The \`legacyCookies\` option must be ${expectation}.`)
  }
  if (!Array.isArray(value) || value.length > MAX_LEGACY_LOCATIONS)
    fail(`an array of at most ${MAX_LEGACY_LOCATIONS} { path?, domain? } objects`)
  return (value as unknown[]).map((entry) => {
    const { path, domain } = (entry ?? {}) as LegacyCookieLocation
    if (typeof entry !== 'object' || entry === null || (path === undefined && domain === undefined))
      fail('an array of { path?, domain? } objects, each with a path or a domain')
    if (path !== undefined && (typeof path !== 'string' || !/^\/(?:[\w.~-]+\/?)*$/.test(path)))
      fail("an array of locations whose `path` is a cookie path such as '/auth'")
    if (
      domain !== undefined &&
      (typeof domain !== 'string' ||
        domain.length > 253 ||
        !/^\.?[a-z\d](?:[a-z\d-]*[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]*[a-z\d])?)*$/i.test(domain))
    )
      fail("an array of locations whose `domain` is a host name such as 'example.com'")
    if (domain === undefined && (path === '/' || path === basePath))
      fail('an array of old locations: a path without a domain must differ from `/` and the base path')
    return domain === undefined ? { path: path! } : path === undefined ? { domain } : { path, domain }
  })
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
export function cookieContext(
  url: URL,
  basePath: string,
  legacy: readonly LegacyCookieLocation[] = [],
): CookieContext {
  const https = url.protocol === 'https:'
  return { https, secure: https || !isLoopbackHost(url.hostname), basePath, legacy }
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

/** At most this many copies of one cookie name are considered (DESIGN.md, "Duplicate cookies"). */
export const MAX_COOKIE_COPIES = 3

const NONE: readonly string[] = Object.freeze([])

/**
 * The values of cookie `name` in a `Cookie` header, in header order: at most
 * {@link MAX_COOKIE_COPIES} occurrences are looked at, and an empty or oversized copy among them is
 * skipped. Never throws: an oversized header yields no copy, and the caller answers "no usable
 * token" with its own code (`try_refresh` for the access cookie, `unauthorized` for the refresh
 * cookie). Duplicates are normal in the field (an old cookie left at another `Path` or `Domain`
 * is sent too), so each caller decides which copy to use.
 *
 * Cookies are separated by `;`, and also by `,`: a Web `Headers` object joins two `Cookie` headers
 * with `, `, and Latch's values never contain one. Values are taken raw (no percent-decoding):
 * Latch writes only base64url and dots, anything else fails token checks.
 */
export function readCookies(header: string | null, name: string): readonly string[] {
  if (header === null || header === '' || header.length > MAX_COOKIE_HEADER_LENGTH) return NONE
  // Scans for `name` instead of splitting the header: it runs on every protected request. Same
  // reading as splitting on `;`/`,` and trimming each side of the first `=`: an occurrence counts
  // only when nothing but whitespace separates it from the previous separator (or the start) and
  // from the `=` that follows it.
  let copies: string[] | null = null
  let seen = 0
  let from = 0
  while (seen < MAX_COOKIE_COPIES) {
    const at = header.indexOf(name, from)
    if (at === -1) break
    from = at + 1
    let before = at - 1
    while (before >= 0 && isTrimmed(header.charCodeAt(before))) before--
    if (before >= 0 && !isSeparator(header.charCodeAt(before))) continue
    let eq = at + name.length
    while (eq < header.length && isTrimmed(header.charCodeAt(eq))) eq++
    if (header.charCodeAt(eq) !== EQUALS) continue
    const end = separatorAfter(header, eq + 1)
    from = end
    seen++
    let value = header.slice(eq + 1, end).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    if (value === '' || value.length > MAX_COOKIE_VALUE_LENGTH) continue
    if (copies === null) copies = [value]
    else copies.push(value)
  }
  return copies ?? NONE
}

/**
 * The first usable copy of cookie `name` (see {@link readCookies}), or `null`. For reading a
 * cookie where duplicates do not matter; session tokens go through `readCookies`.
 */
export function readCookie(header: string | null, name: string): string | null {
  return readCookies(header, name)[0] ?? null
}

/** Index of the next `;` or `,` at or after `from`, or the header's length. */
function separatorAfter(header: string, from: number): number {
  const semicolon = header.indexOf(';', from)
  const comma = header.indexOf(',', from)
  if (semicolon === -1) return comma === -1 ? header.length : comma
  return comma === -1 || semicolon < comma ? semicolon : comma
}

const isSeparator = (code: number) => code === SEMICOLON || code === COMMA

const SEMICOLON = 0x3b
const COMMA = 0x2c
const EQUALS = 0x3d
const TRIMMED = /\s/

/** True for a character `String.prototype.trim` removes (`\s`: ASCII and Unicode whitespace). */
function isTrimmed(code: number): boolean {
  if (code === 0x20 || (code >= 0x09 && code <= 0x0d)) return true
  return code >= 0xa0 && TRIMMED.test(String.fromCharCode(code))
}

interface CookieAttributes {
  path: string
  domain?: string
  maxAge: number
  httpOnly: boolean
  sameSite: 'Lax' | 'Strict'
  secure: boolean
}

/** Serializes one `Set-Cookie` value. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  let cookie = `${name}=${value}; Path=${attributes.path}; Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`
  if (attributes.domain !== undefined) cookie += `; Domain=${attributes.domain}`
  if (attributes.httpOnly) cookie += '; HttpOnly'
  if (attributes.secure) cookie += '; Secure'
  return `${cookie}; SameSite=${attributes.sameSite}`
}

/**
 * The three `Set-Cookie` values of a live session (`maxAgeSeconds` is the session's remaining
 * life), followed by the ones that expire the copies the server can name: on HTTPS the unprefixed
 * names (left by plain-HTTP days or set by a sibling host), and every configured legacy location.
 * Copies under another `Domain` or `Path` that nobody configured cannot be named, so they stay;
 * reading them is harmless (see `readCookies`).
 */
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
    ...expiredCopies(context),
  ]
}

/** `Set-Cookie` values expiring the stray copies of {@link sessionCookies}; none on plain HTTP without legacy locations. */
function expiredCopies(context: CookieContext): string[] {
  const legacy = context.legacy ?? []
  if (!context.https && legacy.length === 0) return []
  const out: string[] = []
  const expire = (name: string, path: string, domain?: string, httpOnly = true) =>
    out.push(
      serializeCookie(name, '', {
        path,
        ...(domain === undefined ? {} : { domain }),
        maxAge: 0,
        httpOnly,
        sameSite: 'Lax',
        secure: context.secure,
      }),
    )
  const plain = HTTP_COOKIE_NAMES
  const base = context.basePath
  if (context.https) {
    expire(plain.access, '/')
    expire(plain.refresh, base)
    expire(plain.front, '/', undefined, false)
  }
  // `resolveLegacyCookies` refuses a location that is a live one, so none of these expires the
  // cookie set just before it. `__Host-` cookies have no Domain and Path=/ (the live location);
  // `__Secure-` ones may sit elsewhere.
  for (const { path, domain } of legacy) {
    expire(plain.access, path ?? '/', domain)
    expire(plain.refresh, path ?? base, domain)
    expire(plain.front, path ?? '/', domain, false)
    if (context.https) expire(HTTPS_COOKIE_NAMES.refresh, path ?? base, domain)
  }
  return out
}

/** `Set-Cookie` values that clear all three cookies. */
export function clearedCookies(context: CookieContext): string[] {
  return sessionCookies(context, { access: '', refresh: '', front: '' }, 0)
}
