/**
 * `@latch/server/adapter`: what an adapter author needs to bind Latch to a framework without a
 * Web `Request` or `Response` per request (the express, Fastify and Hono adapters are built on
 * it). An adapter does three jobs and decides nothing:
 *
 * 1. serve the routes under `sessions.basePath` with {@link answerRequest}, writing the plain
 *    {@link LatchAnswer} it resolves (status, headers, every `Set-Cookie` line, body);
 * 2. guard routes with a {@link cachedVerifier} (synchronous, a cache hit allocates nothing),
 *    falling back to `sessions.verify(view)` when it returns `undefined`;
 * 3. answer any {@link LatchError} it catches with {@link toAnswer}, which carries `x-latch-error`,
 *    `Retry-After` (503) and `Allow` (405): dropping those breaks the client's rules.
 *
 * Check a binding with `describeAdapterConformance` from `@latch/server/testing`.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { SessionManager } from '../createSessionManager.js'
import { isLatchError, type LatchError, type LatchErrorCode, toAnswer, UnauthorizedError } from '../errors.js'
import type { LatchAnswer } from '../LatchAnswer.js'
import type { RequestContext } from '../ManagerCore.js'
import { internalsOf } from '../manager/internals.js'
import type { TokenKeyMemo, VerifiedSession } from '../tokens/accessToken.js'
import type { RequestLike } from '../transport/requestLike.js'

export { type LatchAnswer, toWebResponse } from '../LatchAnswer.js'
export type { RequestContext } from '../ManagerCore.js'
export type { TokenKeyMemo, VerifiedSession } from '../tokens/accessToken.js'
export type { RequestLike } from '../transport/requestLike.js'
export { isLatchError, type LatchError, type LatchErrorCode, toAnswer }

const SLASH = 0x2f

/**
 * Each connection's {@link TokenKeyMemo}: one property per connection (set on its first guarded
 * request), not per request. A symbol, so it shows in no enumeration of the socket.
 */
const MEMO = Symbol('latch.tokenKey')
type MemoHolder = { [MEMO]?: TokenKeyMemo }

/**
 * The per-connection memo to pass to a {@link CachedVerifier}: a browser sends the
 * same access token on every request of a keep-alive connection, and the memo saves hashing it
 * again. Keyed on the connection object (a Node `Socket`, or anything that lives exactly as long
 * as one connection). `undefined` without one (a hand-made request): verify then hashes as usual.
 *
 * @example verifyCached(view, connectionMemo(req.socket))
 */
export function connectionMemo(connection: object | null | undefined): TokenKeyMemo | undefined {
  if (connection == null) return undefined
  const holder = connection as MemoHolder
  let memo = holder[MEMO]
  if (memo === undefined) holder[MEMO] = memo = { token: '', key: '' }
  return memo
}

/** A URL scheme at the start: what tells a relative URL from an absolute one that does not parse. */
const SCHEME = /^[a-z][a-z\d+.-]*:/i

/**
 * `sessions.handle` as a plain {@link LatchAnswer}, for an adapter that writes its own responses
 * (no Web `Request` or `Response` built) and has already seen the request's path under
 * `sessions.basePath`. `request.url` must be absolute, with the real host: it decides the
 * cookies' `Secure`. Resolves the route's answer, an `unauthorized` answer for an absolute URL that cannot
 * be parsed (a bogus `Host`: the client's fault, and such a refresh carries no usable token), or
 * `null` for a path Latch does not serve (pass the request on). Throws a `TypeError` for a
 * relative URL, which is the adapter's mistake, not the client's, and for a `sessions` that is
 * not a manager made by `createSessionManager`.
 */
export async function answerRequest(
  sessions: SessionManager,
  request: RequestLike,
  context?: RequestContext,
): Promise<LatchAnswer | null> {
  if (!URL.canParse(request.url)) {
    if (!SCHEME.test(request.url))
      throw new TypeError(
        'answerRequest needs the absolute request URL (scheme, host, path), e.g. https://example.com/auth/session/refresh: build it from the scheme, the Host header and the request target.',
      )
    return toAnswer(new UnauthorizedError('Malformed request.'))
  }
  return internalsOf(sessions, 'answerRequest()').answer(request, context)
}

/**
 * `sessions.verify` without waiting, for a guard's hot path: the session when the request's token
 * is in the verify cache (expiry, revocation, stale claims and key revocation checked),
 * `undefined` when only `verify` can tell (a token not verified here before). Throws the
 * `LatchError` that `verify` would reject with. `memo`: the connection's
 * {@link connectionMemo}, so the same token sent again on one connection is not hashed again.
 * Defaults to none.
 */
export type CachedVerifier = (request: RequestLike, memo?: TokenKeyMemo) => VerifiedSession | undefined

/**
 * The {@link CachedVerifier} of `sessions`: build it once, with the guard, and call it per
 * request. Throws a `TypeError` when `sessions` is not a manager made by `createSessionManager`.
 *
 * @example
 * const verifyCached = cachedVerifier(sessions)
 * // per request:
 * const session = verifyCached(view, connectionMemo(req.socket)) ?? (await sessions.verify(view))
 */
export function cachedVerifier(sessions: SessionManager): CachedVerifier {
  return internalsOf(sessions, 'cachedVerifier()').verifyCached
}

// Only the scheme of a guard's URL is read (it picks the cookie names): two constant strings
// instead of one built per request.
const HTTPS_URL = 'https://localhost/'
const HTTP_URL = 'http://localhost/'
const NO_HEADERS: IncomingHttpHeaders = Object.freeze({})

/**
 * A {@link RequestLike} over Node's `IncomingMessage` parts, reusable: building a full Web
 * `Request` per call costs throughput. It is its own `headers`; reads go straight to Node's
 * lower-case header object. One instance may serve every request of a synchronous path (call
 * {@link NodeRequestView.release} after, so it keeps no cookie alive); an asynchronous path takes
 * a fresh one.
 */
export class NodeRequestView implements RequestLike {
  /** The request method. Defaults to `''` until pointed at a request. */
  method = ''
  /** The absolute URL (only its scheme when pointed with {@link NodeRequestView.of}). */
  url = HTTP_URL
  /** The view itself: `headers.get(name)`. */
  readonly headers: this = this
  private raw: IncomingHttpHeaders = NO_HEADERS

  /**
   * Points the view at a request for verification: the URL holds the scheme only, which is all
   * `verify` reads from it.
   */
  of(method: string, https: boolean, headers: IncomingHttpHeaders): this {
    this.method = method
    this.url = https ? HTTPS_URL : HTTP_URL
    this.raw = headers
    return this
  }

  /**
   * Points the view at a request with its whole URL, for the endpoints and sign-in: they route by
   * path, and the host decides whether cookies need `Secure` (only loopback goes without).
   * `target` is the request target as sent (`/path?query`, or an absolute-form URL); `host`
   * defaults to `localhost` when missing.
   */
  withUrl(
    method: string,
    https: boolean,
    host: string | undefined,
    target: string,
    headers: IncomingHttpHeaders,
  ): this {
    this.of(method, https, headers)
    // An absolute-form request target (`GET http://host/path`) is a whole URL already.
    this.url =
      target.charCodeAt(0) === SLASH
        ? `${https ? 'https' : 'http'}://${host || 'localhost'}${target}`
        : target
    return this
  }

  /** Drops the reference to the request's headers, so a shared view keeps no cookie alive. */
  release(): void {
    this.raw = NO_HEADERS
  }

  /** A header's value, repeated values joined with `, `; `null` when absent. */
  get(name: string): string | null {
    // Latch asks for lower-case names; Node's header keys are lower case.
    let value = this.raw[name]
    if (value === undefined) {
      const lower = name.toLowerCase()
      if (lower === name) return null
      value = this.raw[lower]
      if (value === undefined) return null
    }
    return typeof value === 'string' ? value : value.join(', ')
  }
}
