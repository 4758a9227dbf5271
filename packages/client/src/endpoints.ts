/**
 * Where the API is, and whether a request goes there. Resolved at call time, not at creation,
 * so a client created during SSR (no `location`) never touches the page.
 * @module
 */

/** `new URL` without throwing (`URL.canParse` is missing before Safari 17). */
export function parseUrl(url: string, base?: string): URL | null {
  try {
    return new URL(url, base)
  } catch {
    return null
  }
}

/** The page's address, or `undefined` outside a document (Node, SSR). */
export const pageHref = (): string | undefined =>
  parseUrl((globalThis as { location?: { href: string } }).location?.href as string)?.href

/** The API base as an absolute URL, or `null` when it cannot be known here (relative base, no page). */
export const apiBaseUrl = (apiBase: string | undefined): URL | null => parseUrl(apiBase ?? '/', pageHref())

/** The URL of one of Latch's endpoints (`refresh`, `signout`). */
export const endpointUrl = (api: URL, basePath: string, name: 'refresh' | 'signout'): string =>
  `${api.origin + api.pathname.replace(/\/+$/, '') + basePath}/${name}`

/** True when the API is on the page's own origin, so the front-token cookie is readable. */
export function isSameOriginApi(apiBase: string | undefined): boolean {
  const href = pageHref()
  return !!href && apiBaseUrl(apiBase)?.origin === new URL(href).origin
}
