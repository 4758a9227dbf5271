/**
 * `Request → Response | null` for the routes under the base path: refresh, signout, jwks.json.
 * Any Web-standard framework mounts it (Hono, Next.js route handlers, Bun, Deno); the express
 * adapter translates to it. Paths it does not own resolve `null` so the app can carry on.
 * @module
 */
import { LatchError, MethodNotAllowedError, toResponse, UnauthorizedError } from '../errors.js'
import type { ManagerCore, RequestContext } from '../ManagerCore.js'
import { refreshSession, signOutSession } from '../refreshSession.js'

function parsePath(url: string): string | null {
  try {
    return new URL(url).pathname
  } catch {
    return null
  }
}

/** Handles one request (see the module description). */
export async function handle(core: ManagerCore, request: Request, context: RequestContext = {}) {
  const path = parsePath(request.url)
  const base = core.options.basePath
  if (path === null || !path.startsWith(`${base}/`)) return null
  const route = path.slice(base.length + 1)
  const method = request.method.toUpperCase()
  // Preflights belong to the app's CORS middleware, which knows its allowed origins.
  if (method === 'OPTIONS') return null
  try {
    switch (route) {
      case 'refresh':
        if (method !== 'POST') throw new MethodNotAllowedError(['POST'])
        return await refreshSession(core, request, context)
      case 'signout':
        if (method !== 'POST') throw new MethodNotAllowedError(['POST'])
        return await signOutSession(core, request, context)
      case 'jwks.json': {
        if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowedError(['GET', 'HEAD'])
        await core.started().catch(() => {})
        const body = JSON.stringify(core.keys.jwks())
        return new Response(method === 'HEAD' ? null : body, {
          status: 200,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'public, max-age=300',
          },
        })
      }
      default:
        return null
    }
  } catch (error) {
    if (error instanceof LatchError) return toResponse(error)
    // A request that cannot even be read (a URL or header the platform refuses) carries no usable
    // session token: the contract's answer for that is `unauthorized`, never a generic 400.
    if (error instanceof TypeError)
      return toResponse(new UnauthorizedError('Malformed request.', { cause: error }))
    throw error
  }
}
