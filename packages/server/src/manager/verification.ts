/**
 * Request verification of a manager (`verify`, and the adapters' `verifyCached`): finding the
 * request's access-token copies (Bearer, else cookie with CSRF) and verifying them. No store read
 * once started.
 * @module
 */
import { TryRefreshError } from '../errors.js'
import type { ManagerCore } from '../ManagerCore.js'
import { withStore } from '../ManagerCore.js'
import type { TokenKeyMemo, VerifiedSession } from '../tokens/accessToken.js'
import { cookieNames, readCookies } from '../transport/cookies.js'
import { assertCsrf, needsCsrf } from '../transport/csrf.js'
import { readBearer } from '../transport/headers.js'
import { assertRequestLike, type RequestLike } from '../transport/requestLike.js'
import type { Lifecycle } from './lifecycle.js'

/** What verification needs of the lifecycle: whether it started, and a way to wait for it. */
export type StartState = Pick<Lifecycle, 'isStarted'>

/** Verifies one access token, waiting for the first start (the revocation list) if need be. */
async function verifyToken(core: ManagerCore, state: StartState, token: string): Promise<VerifiedSession> {
  if (!state.isStarted()) await withStore(core.started)
  return core.accessTokens.verify(token)
}

/** Verifies the request's access token; a duplicated cookie's first copy that verifies wins. */
export async function verifyRequest(
  core: ManagerCore,
  state: StartState,
  request: RequestLike,
): Promise<VerifiedSession> {
  const copies = accessTokensOf(request, 'verify()')
  if (copies.length === 1) return verifyToken(core, state, copies[0]!)
  // A duplicated cookie (an old copy at another Path or Domain): the first copy that verifies wins.
  const errors: unknown[] = []
  for (const copy of copies) {
    try {
      return await verifyToken(core, state, copy)
    } catch (error) {
      errors.push(error)
    }
  }
  throw refusal(errors)
}

/** `verifyRequest` from the cache only: `undefined` when only `verifyRequest` can tell. */
export function verifyRequestCached(
  core: ManagerCore,
  state: StartState,
  request: RequestLike,
  memo?: TokenKeyMemo,
): VerifiedSession | undefined {
  const copies = accessTokensOf(request, 'cachedVerifier()')
  // Before the first start nothing was verified, and the revocation list is not loaded yet.
  if (!state.isStarted()) return undefined
  if (copies.length === 1) return core.accessTokens.verifyCached(copies[0]!, memo)
  const errors: unknown[] = []
  for (const copy of copies) {
    try {
      // A hit wins; a copy only `verify` can judge (`undefined`) comes first and might
      // verify, so `verify` decides from there.
      return core.accessTokens.verifyCached(copy)
    } catch (error) {
      errors.push(error)
    }
  }
  throw refusal(errors)
}

/**
 * The request's access-token candidates: the Bearer token, else the cookie's copies (at most
 * three, in header order; a cookie needs the CSRF header). Throws `TryRefreshError` when there
 * is none.
 */
function accessTokensOf(request: RequestLike, method: string): readonly string[] {
  assertRequestLike(request, method)
  const bearer = readBearer(request)
  if (bearer !== null) return [bearer]
  const name = cookieNames({ https: request.url.startsWith('https:') }).access
  const copies = readCookies(request.headers.get('cookie'), name)
  if (copies.length === 0) throw new TryRefreshError('No access token.')
  if (needsCsrf(request.method)) assertCsrf(request)
  return copies
}

/**
 * Why none of the copies could be used: a revocation (the session is over) only when no copy
 * merely needs a refresh, since a copy that needs one may belong to the live session.
 */
const refusal = (errors: unknown[]): unknown =>
  errors.find((error) => error instanceof TryRefreshError) ?? errors[0]
