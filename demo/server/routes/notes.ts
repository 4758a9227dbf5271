/**
 * Per-user notes: the protected write the SPA makes (and the one the replay test posts).
 * @module
 */
import type { SessionManager } from '@latch/server'
import { requireSession } from '@latch/server/express'
import { Router } from 'express'
import { sendError } from '../errors'
import { MAX_NOTE_LENGTH, type NotesStore, parseNoteText } from '../notes'

export function noteRoutes(sessions: SessionManager, notes: NotesStore): Router {
  const router = Router()
  router.use('/api/notes', requireSession(sessions))

  router.get('/api/notes', async (req, res, next) => {
    try {
      res.json(await notes.list(req.session!.userId))
    } catch (error) {
      next(error)
    }
  })

  router.post('/api/notes', async (req, res, next) => {
    const text = parseNoteText((req.body as { text?: unknown } | undefined)?.text)
    if (text === null) {
      return sendError(
        res,
        400,
        'invalid_note',
        `Send {"text": string} with 1 to ${MAX_NOTE_LENGTH} characters.`,
      )
    }
    try {
      res.status(201).json(await notes.add(req.session!.userId, text))
    } catch (error) {
      next(error)
    }
  })

  return router
}
