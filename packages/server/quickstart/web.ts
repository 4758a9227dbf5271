import { createSessionManager, isLatchError, toResponse } from '@latch/server'
import { sqliteStore } from '@latch/server/sqlite'

const sessions = createSessionManager({ store: sqliteStore({ path: 'sessions.db' }) })

// Request → Response. Serve it with `serve({ fetch })` from @hono/node-server on Node,
// `Deno.serve(fetch)`, or `export default { fetch }` on Bun; Next.js: see docs/nextjs.md.
export async function fetch(request: Request): Promise<Response> {
  // POST /auth/session/refresh, POST /auth/session/signout, GET /auth/session/jwks.json
  const latch = await sessions.handle(request)
  if (latch) return latch
  const { pathname } = new URL(request.url)
  try {
    if (request.method === 'POST' && pathname === '/api/login') {
      const userId = await checkPassword(await request.json().catch(() => null)) // your own sign-in
      if (!userId) return Response.json({ error: 'invalid_credentials' }, { status: 401 }) // the app's own
      const { headers } = await sessions.create(request, { userId }) // the cookies (or token headers)
      headers.set('content-type', 'application/json')
      return new Response(JSON.stringify({ userId }), { headers })
    }
    if (request.method === 'GET' && pathname === '/api/me') {
      return Response.json(await sessions.verify(request)) // { userId, sessionId, claims, issuedAt, expiresAt }
    }
  } catch (error) {
    if (isLatchError(error)) return toResponse(error) // 401 try_refresh, 403 csrf_failed, 503 …
    throw error
  }
  return new Response('Not found', { status: 404 })
}

// A stand-in for your user store.
async function checkPassword(body: unknown): Promise<string | null> {
  const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown }
  return username === 'alice' && password === 'wonderland' ? 'alice' : null
}
