/**
 * GET /api/me (protected): who the access token says is calling. An expired token answers
 * 401 `try_refresh`; the browser's `latch.fetch` then refreshes once and replays.
 */
import { isLatchError, toResponse } from '@latch/server'
import { sessions } from '../../../lib/sessions'

export async function GET(request: Request): Promise<Response> {
  try {
    const session = await sessions.verify(request)
    return Response.json(
      { userId: session.userId, sessionId: session.sessionId, name: session.claims.name ?? null },
      { headers: { 'cache-control': 'no-store' } },
    )
  } catch (error) {
    if (isLatchError(error)) return toResponse(error)
    throw error
  }
}
