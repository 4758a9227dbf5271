/**
 * The device list: one entry per session of the signed-in user, with revocation. A user can
 * only ever name their own sessions; anyone else's id is answered like an unknown one.
 * @module
 */
import type { SessionManager } from '@latch/server'
import { requireSession } from '@latch/server/express'
import { Router } from 'express'
import { sendError } from '../errors'

/** Session ids are base64url; anything else cannot name a session. */
const SESSION_ID = /^[\w-]{1,128}$/

export function deviceRoutes(sessions: SessionManager): Router {
  const router = Router()
  router.use('/api/sessions', requireSession(sessions))

  router.get('/api/sessions', async (req, res, next) => {
    try {
      const { userId, sessionId } = req.session!
      const list = await sessions.listUserSessions(userId, sessionId)
      res.json(
        list.map(({ id, createdAt, lastRefreshedAt, userAgent, current, bound }) => ({
          id,
          createdAt,
          lastRefreshedAt,
          userAgent,
          current,
          // Bound refresh: a copy of this session's cookies cannot refresh it elsewhere.
          bound,
        })),
      )
    } catch (error) {
      next(error)
    }
  })

  router.post('/api/sessions/revoke-others', async (req, res, next) => {
    try {
      const { userId, sessionId } = req.session!
      const revoked = await sessions.revokeUserSessions(userId, { except: sessionId })
      res.json({ revoked })
    } catch (error) {
      next(error)
    }
  })

  router.delete('/api/sessions/:id', async (req, res, next) => {
    try {
      const id = req.params.id
      const own =
        typeof id === 'string' &&
        SESSION_ID.test(id) &&
        (await sessions.listUserSessions(req.session!.userId)).some((session) => session.id === id)
      if (!own) return sendError(res, 404, 'not_found', 'No such session among yours.')
      await sessions.revokeSession(id)
      res.status(204).end()
    } catch (error) {
      next(error)
    }
  })

  return router
}
