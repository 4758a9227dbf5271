/**
 * The routes under the base path: refresh, signout, jwks.json. `answer` takes any
 * {@link RequestLike} and resolves a plain {@link LatchAnswer} (what the express adapter writes to
 * `res`); `handle` is `Request → Response | null` on top of it, which any Web-standard framework
 * mounts (Hono, Next.js route handlers, Bun, Deno). Paths it does not own resolve `null` so the
 * app can carry on.
 * @module
 */
import { LatchError, MethodNotAllowedError, toAnswer, UnauthorizedError } from '../errors.js'
import { type LatchAnswer, toWebResponse } from '../LatchAnswer.js'
import type { ManagerCore, RequestContext } from '../ManagerCore.js'
import { parseRequestUrl, type RequestLike } from '../transport/requestLike.js'
import { refreshSession, signOutSession } from './sessionEndpoints.js'

const JWKS_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'public, max-age=300',
}

/** Answers one request (see the module description). */
export async function answer(
  core: ManagerCore,
  request: RequestLike,
  context: RequestContext = {},
): Promise<LatchAnswer | null> {
  const url = parseRequestUrl(request)
  const base = core.options.basePath
  if (url === null || !url.pathname.startsWith(`${base}/`)) return null
  const route = url.pathname.slice(base.length + 1)
  const method = request.method.toUpperCase()
  // Preflights belong to the app's CORS middleware, which knows its allowed origins.
  if (method === 'OPTIONS') return null
  try {
    switch (route) {
      case 'refresh':
        if (method !== 'POST') throw new MethodNotAllowedError(['POST'])
        return await refreshSession(core, request, context, url)
      case 'signout':
        if (method !== 'POST') throw new MethodNotAllowedError(['POST'])
        return await signOutSession(core, request, context, url)
      case 'jwks.json': {
        if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowedError(['GET', 'HEAD'])
        await core.started().catch(() => {})
        const body = method === 'HEAD' ? null : JSON.stringify(core.keys.jwks())
        return { status: 200, headers: { ...JWKS_HEADERS }, cookies: [], body }
      }
      default:
        return null
    }
  } catch (error) {
    if (error instanceof LatchError) return toAnswer(error)
    // A request that cannot even be read (a URL or header the platform refuses) carries no usable
    // session token: the contract's answer for that is `unauthorized`, never a generic 400.
    if (error instanceof TypeError)
      return toAnswer(new UnauthorizedError('Malformed request.', { cause: error }))
    throw error
  }
}

/** {@link answer} for a Web `Request`, as a `Response`. */
export async function handle(core: ManagerCore, request: Request, context: RequestContext = {}) {
  const answered = await answer(core, request, context)
  return answered && toWebResponse(answered)
}
