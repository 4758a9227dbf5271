import { serve } from '@hono/node-server'
import { createSessionManager } from '@latch/server'
import { createSession, latchMiddleware, requireSession } from '@latch/server/hono'
import { sqliteStore } from '@latch/server/sqlite'
import { Hono } from 'hono'

const sessions = createSessionManager({ store: sqliteStore({ path: 'sessions.db' }) })
const app = new Hono()
// POST /auth/session/refresh, POST /auth/session/signout, GET /auth/session/jwks.json
app.use(latchMiddleware(sessions))

app.post('/api/login', async (c) => {
  const userId = await checkPassword(await c.req.json().catch(() => null)) // your own sign-in
  if (!userId) return c.json({ error: 'invalid_credentials' }, 401) // the app's own 401
  await createSession(sessions, c, { userId }) // sets the cookies (or token headers)
  return c.json({ userId })
})
app.get('/api/me', requireSession(sessions), (c) => c.json(c.var.session))

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) })

// A stand-in for your user store.
async function checkPassword(body: unknown): Promise<string | null> {
  const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown }
  return username === 'alice' && password === 'wonderland' ? 'alice' : null
}
