/**
 * The slice of a Web `Request` that verification needs. A real `Request` satisfies it; adapters
 * may pass a lighter object so the hot path does not pay for building a full `Request`.
 * @module
 */

/** What `verify` reads from a request. */
export interface RequestLike {
  /** HTTP method, e.g. `GET`. */
  readonly method: string
  /** Absolute URL (`https:` decides the cookie names). */
  readonly url: string
  /** Header lookup, case-insensitive, `null` when absent. */
  readonly headers: { get(name: string): string | null }
}

/** The request's URL parsed, or `null` when it cannot be (a bogus `Host` header, for instance). */
export function parseRequestUrl(request: RequestLike): URL | null {
  try {
    return new URL(request.url)
  } catch {
    return null
  }
}

/** A URL with a scheme (`https://…`); a relative one (`/auth/session/refresh`) has none. */
const ABSOLUTE = /^[a-z][a-z\d+.-]*:/i

/**
 * Throws a `TypeError` saying what `method` needs when `request` is not a {@link RequestLike}: a
 * relative URL (Fastify's or Node's `req.url`) or a plain header object (Node's `req.headers`).
 * These are programming errors, so they are not answered as a 401 or a "not mine" `null`, which
 * would hide them. A URL that has a scheme but does not parse (a bogus `Host` header) is the
 * client's doing and is left to the callers' own handling. Never quotes the URL or a header,
 * which may carry a token.
 */
export function assertRequestLike(request: RequestLike, method: string): void {
  // Runs on every verify: the checks are a few typeofs, and a message is built only on failure.
  if (
    typeof request === 'object' &&
    request !== null &&
    typeof request.method === 'string' &&
    typeof request.url === 'string' &&
    ABSOLUTE.test(request.url) &&
    typeof request.headers?.get === 'function'
  )
    return
  throw new TypeError(misuse(request, method))
}

/** What is wrong with a request-like, for the `TypeError` of {@link assertRequestLike}. */
function misuse(request: RequestLike, method: string): string {
  const need = `${method} needs a Web Request or a { method, url, headers: { get(name) } } object`
  if (typeof request !== 'object' || request === null) return `${need}.`
  if (typeof request.method !== 'string') return `${need}; \`method\` is not a string.`
  if (typeof request.url !== 'string' || !ABSOLUTE.test(request.url)) {
    return `${need} whose \`url\` is absolute, with the scheme and host the browser used (e.g. \`https://\${host}\${req.url}\`): \`url\` is ${typeof request.url === 'string' ? 'relative' : 'not a string'}. The scheme decides the cookies' names and Secure attribute. The express, Fastify and Hono adapters build it for you.`
  }
  return `${need}: \`headers\` has no get(name) method${typeof request.headers === 'object' && request.headers !== null ? " (Node's plain req.headers object? Wrap it: { get: (name) => … } returning the header as a string or null)" : ''}.`
}
