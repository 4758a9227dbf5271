// A smoke test of the server core and the Hono adapter on another runtime than Node, from the
// build: sign-in, guard, refresh (and its replay within the grace), JWKS, with EdDSA, ES256,
// encrypted keys, and the SQLite store on each driver. Not part of the test suite (CI has Node
// only); run it by hand after `pnpm build`:
//   bun packages/server/test/runtime-smoke.mjs
//   deno run -A packages/server/test/runtime-smoke.mjs
//   node packages/server/test/runtime-smoke.mjs
// Each line prints the statuses of one flow, or FAILED with the first line of the error.
import { Hono } from 'hono'
import { createSession, latchMiddleware, requireSession } from '../dist/hono.js'
import { createSessionManager, memoryStore } from '../dist/index.js'

async function flow(label, makeStore, options = {}) {
  try {
    const store = makeStore()
    const sessions = createSessionManager({ store, ...options })
    const app = new Hono()
    app.use(latchMiddleware(sessions))
    app.post('/login', async (c) => {
      await createSession(sessions, c, { userId: 'alice' })
      return c.json({ ok: true })
    })
    app.get('/me', requireSession(sessions), (c) => c.json(c.var.session))
    const login = await app.request('http://localhost/login', { method: 'POST' })
    const cookie = login.headers
      .getSetCookie()
      .map((l) => l.split(';')[0])
      .join('; ')
    const me = await app.request('http://localhost/me', { headers: { cookie } })
    const refresh = await app.request('http://localhost/auth/session/refresh', {
      method: 'POST',
      headers: { cookie, 'x-latch-csrf': '1' },
    })
    const cookie2 = refresh.headers
      .getSetCookie()
      .map((l) => l.split(';')[0])
      .join('; ')
    const replay = await app.request('http://localhost/auth/session/refresh', {
      method: 'POST',
      headers: { cookie, 'x-latch-csrf': '1' },
    })
    const jwks = await app.request('http://localhost/auth/session/jwks.json')
    console.log(
      label,
      JSON.stringify({
        login: login.status,
        cookies: login.headers.getSetCookie().length,
        me: me.status,
        refresh: refresh.status,
        rotated: cookie2 !== cookie,
        graceReplay: replay.status,
        jwks: jwks.status,
        keys: (await jwks.json()).keys.map((k) => k.crv ?? k.kty),
      }),
    )
    await sessions.close()
  } catch (error) {
    console.log(
      label,
      'FAILED',
      String(error?.stack ?? error)
        .split('\n')
        .slice(0, 2)
        .join(' | ')
        .slice(0, 300),
    )
  }
}

console.log(
  'runtime',
  typeof Bun !== 'undefined'
    ? `bun ${Bun.version}`
    : typeof Deno !== 'undefined'
      ? `deno ${Deno.version.deno}`
      : `node ${process.version}`,
)
await flow('memory EdDSA', memoryStore)
await flow('memory ES256', memoryStore, { algorithm: 'ES256' })
await flow('memory, encrypted keys', memoryStore, { keyEncryptionSecret: 'x'.repeat(32) })
const { sqliteStore } = await import('../dist/sqlite.js')
for (const driver of ['better-sqlite3', 'node:sqlite'])
  await flow(`sqlite ${driver}`, () => sqliteStore({ path: ':memory:', driver }))
