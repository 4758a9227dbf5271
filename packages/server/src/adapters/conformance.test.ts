/**
 * The adapter contract over real HTTP for every binding Latch ships: express, Fastify, Hono (on
 * `@hono/node-server`) and the bare Web handler (`sessions.handle`, served by `@hono/node-server`
 * with no framework). Each app is the smallest a user would write, plus the suite's CORS.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { logger } from 'hono/logger'
import type { SessionManager } from '../createSessionManager.js'
import { isLatchError, toResponse } from '../errors.js'
import type { AdapterApp } from '../testing/adapterConformance.js'
import { describeAdapterConformance } from '../testing/adapterConformance.js'
import { exposedHeaders } from '../transport/headers.js'
import * as latchExpress from './express.js'
import * as latchFastify from './fastify.js'
import * as latchHono from './hono.js'

const EXPOSED = exposedHeaders.join(', ')

/** The CORS headers the suite asks for, set the way a hand-written middleware would. */
function corsHeaders(origin: string | undefined, allowed: string): Record<string, string> {
  if (origin !== allowed) return {}
  return {
    'access-control-allow-origin': allowed,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': EXPOSED,
    vary: 'Origin',
  }
}

async function listening(server: Server): Promise<AdapterApp> {
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

describeAdapterConformance('express', async ({ sessions, corsOrigin }) => {
  const app = express()
  app.use((req, res, next) => {
    for (const [name, value] of Object.entries(corsHeaders(req.headers.origin, corsOrigin)))
      res.setHeader(name, value)
    next()
  })
  app.use(latchExpress.latchMiddleware(sessions))
  app.post('/login', express.json(), async (req, res) => {
    const { userId } = req.body as { userId: string }
    await latchExpress.createSession(sessions, req, res, { userId })
    res.json({ userId })
  })
  const me: express.RequestHandler = (req, res) => {
    res.json({ userId: req.session!.userId, sessionId: req.session!.sessionId })
  }
  app.get('/me', latchExpress.requireSession(sessions), me)
  app.post('/me', latchExpress.requireSession(sessions), me)
  return listening(app.listen(0, '127.0.0.1'))
})

describeAdapterConformance('fastify', async ({ sessions, corsOrigin }) => {
  const lines: string[] = []
  // The most talkative logger there is: the suite checks that no token reaches it.
  const app = Fastify({ logger: { level: 'trace', stream: { write: (line: string) => lines.push(line) } } })
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(corsHeaders(request.headers.origin, corsOrigin))
  })
  await app.register(latchFastify.latchPlugin, { sessions })
  app.post('/login', async (request, reply) => {
    const { userId } = request.body as { userId: string }
    await latchFastify.createSession(sessions, request, reply, { userId })
    return { userId }
  })
  app.route({
    method: ['GET', 'POST'],
    url: '/me',
    preHandler: latchFastify.requireSession(sessions),
    handler: async (request) => ({ userId: request.session!.userId, sessionId: request.session!.sessionId }),
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { origin: `http://127.0.0.1:${port}`, logs: () => lines, close: () => app.close() }
})

describeAdapterConformance('hono', async ({ sessions, corsOrigin }) => {
  const lines: string[] = []
  const app = new Hono()
  app.use(logger((line) => lines.push(line)))
  app.use(cors({ origin: corsOrigin, credentials: true, exposeHeaders: [...exposedHeaders] }))
  app.use(latchHono.latchMiddleware(sessions))
  app.post('/login', async (c) => {
    const { userId } = await c.req.json<{ userId: string }>()
    await latchHono.createSession(sessions, c, { userId })
    return c.json({ userId })
  })
  app.on(['GET', 'POST'], '/me', latchHono.requireSession(sessions), (c) =>
    c.json({ userId: c.var.session.userId, sessionId: c.var.session.sessionId }),
  )
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
  return { ...(await listening(server)), logs: () => lines }
})

/** The bare Web handler: `Request → Response`, as on Bun, Deno or a Next.js route handler. */
function webApp(sessions: SessionManager, corsOrigin: string) {
  const json = (body: unknown, headers?: Headers) => {
    const out = new Headers(headers)
    out.set('content-type', 'application/json')
    return new Response(JSON.stringify(body), { headers: out })
  }
  const route = async (request: Request): Promise<Response> => {
    const latch = await sessions.handle(request)
    if (latch) return latch
    const { pathname } = new URL(request.url)
    try {
      if (pathname === '/login' && request.method === 'POST') {
        const { userId } = (await request.json()) as { userId: string }
        const created = await sessions.create(request, { userId })
        return json({ userId }, created.headers)
      }
      if (pathname === '/me') {
        const session = await sessions.verify(request)
        return json({ userId: session.userId, sessionId: session.sessionId })
      }
    } catch (error) {
      if (isLatchError(error)) return toResponse(error)
      throw error
    }
    return new Response('Not found', { status: 404 })
  }
  return async (request: Request): Promise<Response> => {
    const response = await route(request)
    for (const [name, value] of Object.entries(
      corsHeaders(request.headers.get('origin') ?? undefined, corsOrigin),
    ))
      response.headers.set(name, value)
    return response
  }
}

describeAdapterConformance('bare Web handler', async ({ sessions, corsOrigin }) => {
  const server = serve({ fetch: webApp(sessions, corsOrigin), port: 0, hostname: '127.0.0.1' }) as Server
  return listening(server)
})
