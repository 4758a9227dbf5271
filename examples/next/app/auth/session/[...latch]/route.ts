/**
 * Latch's endpoints: POST /auth/session/refresh, POST /auth/session/signout,
 * GET /auth/session/jwks.json. `sessions.handle` answers them all from the Web `Request`.
 */
import { sessions } from '../../../../lib/sessions'

async function latch(request: Request): Promise<Response> {
  return (await sessions.handle(request)) ?? Response.json({ error: 'not_found' }, { status: 404 })
}

export { latch as GET, latch as POST }
