/**
 * What a refresh or sign-out request presents: its refresh-token copies (the Bearer token, or the
 * cookie's copies with CSRF) and, when a token came, its key proof.
 * @module
 */
import { type ManagerCore, withStore } from '../ManagerCore.js'
import { cookieContext, cookieNames, readCookies } from '../transport/cookies.js'
import { assertCsrf } from '../transport/csrf.js'
import { frontTokenGeneration } from '../transport/frontToken.js'
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
  /**
   * The generation the client says it refreshes from (`?generation=N`, sent by the browser
   * client), `undefined` when absent or not a whole number (ignored, never an error).
   */
  seenGeneration: number | undefined
  /**
   * The front cookie sent along names a later generation than `seenGeneration`: the tab read its
   * front token before another tab's refresh answer reached the shared cookie jar, so this may be
   * a duplicate of that refresh (rule 1b). A hint that the one-step rotation must not be taken.
   */
  behind: boolean
}

/** Up to 15 digits: a generation is a safe integer; anything else is ignored. */
const GENERATION = /^\d{1,15}$/

/**
 * Reads the refresh token the way the request's transport carries it; CSRF applies to cookies.
 * `url`: the request's URL, parsed by the router.
 */
export function presentedToken(core: ManagerCore, request: RequestLike, url: URL): Presented {
  const transport = requestedTransport(request)
  const claimed = url.search === '' ? null : url.searchParams.get('generation')
  const seenGeneration = claimed !== null && GENERATION.test(claimed) ? Number(claimed) : undefined
  // Only cookies need the context (names, `Secure`). A header-transport client keeps its front
  // token and tokens in one storage entry, so what it saw is what it sends: never behind.
  if (transport === 'header') {
    const bearer = readBearer(request)
    return {
      transport,
      context: null,
      tokens: bearer === null ? [] : [bearer],
      seenGeneration,
      behind: false,
    }
  }
  const context = cookieContext(url, core.options.basePath, core.options.legacyCookies)
  assertCsrf(request)
  const cookies = request.headers.get('cookie')
  const names = cookieNames(context)
  // Every copy of the front cookie counts (a leftover at another Path may be older): the newest
  // is what the jar's refresh token belongs to. A copy that is not a front token counts as none.
  const behind =
    seenGeneration !== undefined &&
    readCookies(cookies, names.front).some((copy) => (frontTokenGeneration(copy) ?? -1) > seenGeneration)
  return { transport, context, tokens: readCookies(cookies, names.refresh), seenGeneration, behind }
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
