/**
 * `POST /api/admin/keys/revoke-current` (only with `LATCH_DEMO_ADMIN=1`; otherwise the route does
 * not exist and the API answers 404): what an operator does when the signing key has leaked.
 * Every open tab refreshes once and carries on, signed by the replacement.
 * @module
 */
import type { SessionManager } from '@latch/server'
import { requireSession } from '@latch/server/express'
import { Router } from 'express'

export function adminRoutes(sessions: SessionManager): Router {
  const router = Router()
  // Signed-in users only (and CSRF-checked by requireSession): the demo has no roles.
  router.post('/api/admin/keys/revoke-current', requireSession(sessions), async (_req, res, next) => {
    try {
      const { revokedKid, currentKid } = await sessions.revokeCurrentKey()
      res.json({ revokedKid, currentKid })
    } catch (error) {
      next(error)
    }
  })
  return router
}
