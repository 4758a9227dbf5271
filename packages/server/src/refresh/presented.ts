/**
 * What a refresh or sign-out request presents: its refresh-token copies (the Bearer token, or the
 * cookie's copies with CSRF) and, when a token came, its key proof.
 * @module
 */
import { type ManagerCore, withStore } from '../ManagerCore.js'
import { cookieContext, cookieNames, readCookies } from '../transport/cookies.js'
import { assertCsrf } from '../transport/csrf.js'
import { readBearer, requestedTransport, type Transport } from '../transport/headers.js'
import type { RequestLike } from '../transport/requestLike.js'
import { type PresentedProof, presentedProof } from './binding.js'

/** What the request presents: its transport, cookie context and refresh-token copies. */
export interface Presented {
  transport: Transport
  /** Cookie names and attributes; `null` in header transport, whose answers need none. */
  context: ReturnType<typeof cookieContext> | null
  /** The refresh-token candidates: the Bearer token, or the cookie's copies (at most three). */
  tokens: readonly string[]
}

/**
 * Reads the refresh token the way the request's transport carries it; CSRF applies to cookies.
 * `url`: the request's URL, parsed by the router.
 */
export function presentedToken(core: ManagerCore, request: RequestLike, url: URL): Presented {
  const transport = requestedTransport(request)
  // Only cookies need the context (names, `Secure`): header answers never parse the URL.
  if (transport === 'header') {
    const bearer = readBearer(request)
    return { transport, context: null, tokens: bearer === null ? [] : [bearer] }
  }
  const context = cookieContext(url, core.options.basePath, core.options.legacyCookies)
  assertCsrf(request)
  return {
    transport,
    context,
    tokens: readCookies(request.headers.get('cookie'), cookieNames(context).refresh),
  }
}

/**
 * The request's key proof, read only when a refresh token came with it (so garbage costs no
 * store call).
 */
export async function proofOf(
  core: ManagerCore,
  request: RequestLike,
  presented: Presented,
  url: URL,
): Promise<PresentedProof> {
  if (presented.tokens.length === 0) return { thumbprint: null, failure: 'missing' }
  return withStore(() => presentedProof(core, request, url))
}
