/**
 * `PUT /api/me/profile` `{displayName}`: changes the `name` claim of every session of the user.
 * Latch stores it and pushes a stale mark, so each of the user's tabs and devices gets the new
 * name with its next refresh (one per browser, shared by its tabs) and nobody is signed out.
 * @module
 */
import type { SessionManager } from '@latch/server'
import { requireSession } from '@latch/server/express'
import { Router } from 'express'
import { sendError } from '../errors'
import { MAX_DISPLAY_NAME, type ProfileStore, parseDisplayName } from '../profiles'

export function profileRoutes(sessions: SessionManager, profiles: ProfileStore): Router {
  const router = Router()
  router.put('/api/me/profile', requireSession(sessions), async (req, res, next) => {
    const displayName = parseDisplayName((req.body as { displayName?: unknown } | undefined)?.displayName)
    if (displayName === null) {
      return sendError(
        res,
        400,
        'invalid_display_name',
        `Send {"displayName": string} with 1–${MAX_DISPLAY_NAME} characters (after trimming), no control characters.`,
      )
    }
    try {
      const { userId } = req.session!
      profiles.setDisplayName(userId, displayName)
      const updated = await sessions.updateUserClaims(userId, { name: displayName })
      res.json({ displayName, sessions: updated })
    } catch (error) {
      next(error)
    }
  })
  return router
}
