// A browser's cookie jar in one function, for the load generator and the revocation probe.

/**
 * Replaces, in a `Cookie` request header, the cookies named by these `Set-Cookie` lines (a
 * cleared one — empty value or `Max-Age=0` — is dropped), as a browser would before its next request.
 */
export function applySetCookie(header, setCookies) {
  const jar = new Map(
    header
      .split('; ')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair]),
  )
  for (const line of setCookies) {
    const pair = line.split(';', 1)[0]
    const name = pair.slice(0, pair.indexOf('='))
    if (/;\s*max-age=0(;|$)/i.test(line) || pair.endsWith('=')) jar.delete(name)
    else jar.set(name, pair)
  }
  return [...jar.values()].join('; ')
}
