/**
 * Sign-in (the application's own endpoint: it checks the password, then asks Latch for a
 * session, with the user's display name as the `name` claim) and `GET /api/me`.
 * @module
 */
import type { SessionManager } from '@latch/server'
import { createSession, requireSession } from '@latch/server/express'
import { Router } from 'express'
import { sendError } from '../errors'
import type { ProfileStore } from '../profiles'
import { authenticate } from '../users'

/** Longer fields are refused before any work: nobody's password is 10 kB. */
const MAX_FIELD = 200

export function accountRoutes(sessions: SessionManager, profiles: ProfileStore): Router {
  const router = Router()

  // No CSRF header is asked for here: express.json() reads only `application/json`, a type a
  // cross-site form cannot send without a CORS preflight, so login CSRF is already ruled out.
  router.post('/api/login', async (req, res, next) => {
    const { username, password } = (req.body ?? {}) as Record<string, unknown>
    if (
      typeof username !== 'string' ||
      typeof password !== 'string' ||
      username.length > MAX_FIELD ||
      password.length > MAX_FIELD
    ) {
      return sendError(res, 400, 'bad_request', 'Send {"username": string, "password": string} as JSON.')
    }
    const userId = authenticate(username, password)
    if (userId === null)
      return sendError(res, 401, 'invalid_credentials', 'Unknown username or wrong password.')
    try {
      await createSession(sessions, req, res, { userId, claims: { name: profiles.displayName(userId) } })
      res.json({ userId })
    } catch (error) {
      next(error)
    }
  })

  router.get('/api/me', requireSession(sessions), (req, res) => {
    const { userId, sessionId, claims } = req.session!
    res.json({ userId, sessionId, claims })
  })

  return router
}
