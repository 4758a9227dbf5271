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
