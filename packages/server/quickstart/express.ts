import { createSessionManager } from '@latch/server'
import { createSession, latchMiddleware, requireSession } from '@latch/server/express'
import { sqliteStore } from '@latch/server/sqlite'
import express from 'express'

const sessions = createSessionManager({ store: sqliteStore({ path: 'sessions.db' }) })
const app = express()
// POST /auth/session/refresh, POST /auth/session/signout, GET /auth/session/jwks.json
app.use(sessions.basePath, latchMiddleware(sessions))

app.post('/api/login', express.json(), async (req, res) => {
  const userId = await checkPassword(req.body) // your own sign-in: password, OAuth, magic link…
  if (!userId) {
    res.status(401).json({ error: 'invalid_credentials' }) // the app's own 401: the client leaves it be
    return
  }
  await createSession(sessions, req, res, { userId }) // sets the cookies (or token headers)
  res.json({ userId })
})
app.get('/api/me', requireSession(sessions), (req, res) => {
  res.json(req.session) // { userId, sessionId, claims, issuedAt, expiresAt }
})

app.listen(Number(process.env.PORT ?? 3000))

// A stand-in for your user store.
async function checkPassword(body: unknown): Promise<string | null> {
  const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown }
  return username === 'alice' && password === 'wonderland' ? 'alice' : null
}
