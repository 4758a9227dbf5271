/**
 * POST /api/login `{ username, password }`: the application's own sign-in. After checking the
 * password it asks Latch for a session and puts the session's cookies on the response.
 */
import { isLatchError, toResponse } from '@latch/server'
import { sessions } from '../../../lib/sessions'
import { authenticate } from '../../../lib/users'

export async function POST(request: Request): Promise<Response> {
  const body = (await request.json().catch(() => null)) as { username?: unknown; password?: unknown } | null
  const user = authenticate(body?.username, body?.password)
  if (!user) return Response.json({ error: 'invalid_credentials' }, { status: 401 })
  try {
    const { headers } = await sessions.create(request, { userId: user.id, claims: { name: user.name } })
    headers.set('content-type', 'application/json')
    return new Response(JSON.stringify({ userId: user.id }), { headers })
  } catch (error) {
    if (isLatchError(error)) return toResponse(error) // store down: 503 store_unavailable
    throw error
  }
}
