/**
 * The README quick starts are these files, included verbatim (checked here) and typechecked
 * (`quickstart/tsconfig.json`, part of `pnpm typecheck`). Each one is also run as written, from
 * the build (`@latch/server` resolves to `dist/`), over real HTTP: a wrong password is the app's
 * own 401 in JSON, a sign-in sets the cookies, the guard and a refresh answer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { afterAll, describe, expect, test, vi } from 'vitest'

const here = import.meta.dirname
const SNIPPETS = ['express', 'fastify', 'hono', 'web'] as const
const READMES = [join(here, '../../../README.md'), join(here, '../README.md')]

test.each(READMES)('%s includes every quick start verbatim', (path) => {
  const readme = readFileSync(path, 'utf8')
  for (const name of SNIPPETS) {
    const code = readFileSync(join(here, `${name}.ts`), 'utf8')
    const included = readme.includes(`\`\`\`ts\n${code}\`\`\``)
    expect(included, `${path} lacks quickstart/${name}.ts verbatim in a ts block`).toBe(true)
  }
})

const cwd = process.cwd()
const dirs: string[] = []
const servers: Server[] = []
afterAll(async () => {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise((resolve) => {
          server.close(resolve)
          server.closeAllConnections()
        }),
    ),
  )
  process.chdir(cwd)
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Runs a snippet as written (on a free port, in a fresh directory for its `sessions.db`). */
async function run(name: (typeof SNIPPETS)[number]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `latch-quickstart-${name}-`))
  dirs.push(dir)
  process.chdir(dir)
  process.env.PORT = '0'
  // The snippets start their own servers: record them to find the port and close them after.
  const listen = vi.spyOn(Server.prototype, 'listen')
  try {
    const module = (await import(`./${name}.ts`)) as { fetch?: (request: Request) => Promise<Response> }
    if (module.fetch) serve({ fetch: module.fetch, port: 0, hostname: '127.0.0.1' })
    const server = listen.mock.contexts.at(-1) as Server
    servers.push(server)
    if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
    const { address, port } = server.address() as AddressInfo
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`
  } finally {
    listen.mockRestore()
    delete process.env.PORT
  }
}

describe.each(SNIPPETS)('the %s quick start, run as written', (name) => {
  test('wrong password, sign-in, guard, refresh', async () => {
    const origin = await run(name)
    const login = (password: string) =>
      fetch(`${origin}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password }),
      })
    const wrong = await login('guess')
    expect([wrong.status, wrong.headers.get('x-latch-error'), await wrong.json()]).toEqual([
      401,
      null,
      { error: 'invalid_credentials' },
    ])
    expect(wrong.headers.get('content-type')).toMatch(/^application\/json/)
    const right = await login('wonderland')
    expect([right.status, await right.json()]).toEqual([200, { userId: 'alice' }])
    expect(right.headers.get('content-type')).toMatch(/^application\/json/)
    const cookies = right.headers.getSetCookie().map((line) => line.split(';')[0])
    expect(cookies).toHaveLength(3)
    const me = await fetch(`${origin}/api/me`, { headers: { cookie: cookies.join('; ') } })
    expect([me.status, (await me.json()).userId]).toEqual([200, 'alice'])
    const anonymous = await fetch(`${origin}/api/me`)
    expect([anonymous.status, anonymous.headers.get('x-latch-error')]).toEqual([401, 'try_refresh'])
    const refreshed = await fetch(`${origin}/auth/session/refresh`, {
      method: 'POST',
      headers: { cookie: cookies.join('; '), 'x-latch-csrf': '1' },
    })
    expect(refreshed.status).toBe(200)
  })
})
