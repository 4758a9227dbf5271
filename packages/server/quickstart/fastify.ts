import { createSessionManager } from '@latch/server'
import { createSession, latchPlugin, requireSession } from '@latch/server/fastify'
import { sqliteStore } from '@latch/server/sqlite'
import Fastify from 'fastify'

const sessions = createSessionManager({ store: sqliteStore({ path: 'sessions.db' }) })
const app = Fastify()
// POST /auth/session/refresh, POST /auth/session/signout, GET /auth/session/jwks.json
await app.register(latchPlugin, { sessions })

app.post('/api/login', async (request, reply) => {
  const userId = await checkPassword(request.body) // your own sign-in: password, OAuth, magic link…
  if (!userId) return reply.code(401).send({ error: 'invalid_credentials' }) // the app's own 401
  await createSession(sessions, request, reply, { userId }) // sets the cookies (or token headers)
  return { userId }
})
app.get('/api/me', { preHandler: requireSession(sessions) }, async (request) => request.session)

await app.listen({ port: Number(process.env.PORT ?? 3000) })

// A stand-in for your user store.
async function checkPassword(body: unknown): Promise<string | null> {
  const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown }
  return username === 'alice' && password === 'wonderland' ? 'alice' : null
}
