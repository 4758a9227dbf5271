/**
 * `@latch/server/fastify`: the Fastify 5 binding. A plugin serves the refresh, sign-out and JWKS
 * routes; `requireSession` guards routes and sets `request.session`; `createSession` signs a user
 * in on a reply. Like the express adapter it translates and decides nothing, and builds no Web
 * `Request` or `Response`: the core reads a light view of `request.raw`, and its plain answers go
 * to `reply`.
 *
 * @example
 * await app.register(latchPlugin, { sessions })
 * app.get('/api/me', { preHandler: requireSession(sessions) }, (request) => request.session)
 * @module
 */
import type { TLSSocket } from 'node:tls'
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HTTPMethods,
  onRequestAsyncHookHandler,
  preHandlerHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import type { CreatedSession, CreateSessionInput, SessionManager } from '../createSessionManager.js'
import { isLatchError, type LatchError, toAnswer } from '../errors.js'
import type { LatchAnswer } from '../LatchAnswer.js'
import type { VerifiedSession } from '../tokens/accessToken.js'
import { answerRequest, cachedVerifier, connectionMemo, NodeRequestView } from './adapter.js'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by `requireSession`: the verified session of the request. `undefined` on routes it does
     * not guard. (A request decorator of `latchPlugin`, so every request keeps one shape.)
     */
    session?: VerifiedSession
  }
}

/** Options of {@link latchPlugin}. */
export interface LatchPluginOptions {
  /** The session manager whose routes to serve. Required. */
  sessions: SessionManager
}

/**
 * The methods the routes take. Any method but `OPTIONS` reaches Latch, which answers a wrong one
 * `405` with `Allow`; preflights stay with the app's CORS plugin, which knows its origins.
 */
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']

/** True when the request came over TLS, or a trusted proxy says so (`trustProxy`). */
function isHttps(request: FastifyRequest): boolean {
  // `request.protocol` runs the trust-proxy check; only `X-Forwarded-Proto` can make it differ
  // from the socket's own scheme.
  if (request.headers['x-forwarded-proto'] !== undefined) return request.protocol === 'https'
  return (request.raw.socket as TLSSocket | undefined)?.encrypted === true
}

/**
 * A view of `request` with its whole URL. Fastify's `request.url` is the request target as sent
 * (`/auth/session/refresh?x`, relative): the scheme and host (`request.host`, which honours
 * `trustProxy`) make it absolute, as Latch needs.
 */
function fullViewOf(request: FastifyRequest): NodeRequestView {
  return new NodeRequestView().withUrl(
    request.method,
    isHttps(request),
    request.host,
    request.url,
    request.headers,
  )
}

/** Writes a {@link LatchAnswer} to `reply`; `Set-Cookie` lines set before are kept. */
function sendAnswer(reply: FastifyReply, answer: LatchAnswer): FastifyReply {
  reply.code(answer.status)
  for (const name in answer.headers) reply.header(name, answer.headers[name])
  // Fastify appends `set-cookie` values to those already set.
  if (answer.cookies.length > 0) reply.header('set-cookie', answer.cookies)
  return reply.send(answer.body ?? undefined)
}

function sendError(reply: FastifyReply, error: LatchError): void {
  sendAnswer(reply, toAnswer(error))
}

async function latchRoutes(fastify: FastifyInstance, options: LatchPluginOptions): Promise<void> {
  const sessions = options?.sessions
  if (sessions === undefined || typeof sessions.handle !== 'function')
    throw new TypeError(
      'latchPlugin needs the `sessions` option: a session manager from createSessionManager().',
    )
  const base = sessions.basePath
  // Registered inside a prefixed context, the routes get that prefix: the base path must start
  // with it, or the routes would be served somewhere Latch does not answer.
  const prefix = fastify.prefix
  if (prefix !== '' && base !== prefix && !base.startsWith(`${prefix}/`))
    throw new TypeError(
      `latchPlugin is registered under the prefix ${prefix}, outside the base path ${base}: register it at the root, or give the manager a \`basePath\` under ${prefix}.`,
    )
  if (!fastify.hasRequestDecorator('session')) fastify.decorateRequest('session', undefined)
  // Served from the route's `onRequest`, before Fastify reads a body: Latch's endpoints read
  // none, and a refresh sent with an empty JSON body must not be refused by the body parser.
  const serve: onRequestAsyncHookHandler = async (request, reply) => {
    const answer = await answerRequest(sessions, fullViewOf(request), { ip: request.ip ?? null })
    if (answer) return sendAnswer(reply, answer)
    return reply.callNotFound()
  }
  const local = base.slice(prefix.length)
  for (const route of ['refresh', 'signout', 'jwks.json']) {
    fastify.route({
      method: METHODS,
      url: `${local}/${route}`,
      onRequest: serve,
      // Never reached: `serve` always replies.
      handler: (_request, reply) => reply.callNotFound(),
    })
  }
}

/**
 * The Fastify plugin: serves `{basePath}/refresh`, `{basePath}/signout` and
 * `{basePath}/jwks.json` (any method but `OPTIONS`; a wrong one is answered `405` with `Allow`),
 * and decorates requests with `session`. Wrapped with `fastify-plugin`, so the routes join the
 * context it is registered in, with that context's hooks (CORS, rate limits) applied to them.
 * Throws a `TypeError` when registered under a prefix outside the base path.
 *
 * @example await app.register(latchPlugin, { sessions })
 */
export const latchPlugin = fp(latchRoutes, { fastify: '5.x', name: '@latch/server/fastify' })

/**
 * A `preHandler` hook that lets the request through only with a valid session, set as
 * `request.session`; otherwise it answers the contract's 401/403 with `x-latch-error`
 * (`try_refresh` for any access token that cannot be used, `unauthorized` /
 * `token_theft_detected` for a revoked session, `csrf_failed`). A token already verified goes on
 * in the same tick; only a cache miss waits for a signature check.
 *
 * @example app.get('/api/me', { preHandler: requireSession(sessions) }, (request) => request.session)
 */
export function requireSession(sessions: SessionManager): preHandlerHookHandler {
  // `verifyCached` is synchronous: one view serves every request's hit path.
  const verifyCached = cachedVerifier(sessions)
  const shared = new NodeRequestView()
  return function latchRequireSession(request, reply, done) {
    let session: VerifiedSession | undefined
    try {
      session = verifyCached(
        shared.of(request.method, isHttps(request), request.headers),
        connectionMemo(request.raw.socket),
      )
    } catch (error) {
      shared.release()
      if (isLatchError(error)) sendError(reply, error)
      else done(error as Error)
      return
    }
    shared.release()
    if (session) {
      request.session = session
      done()
      return
    }
    sessions.verify(new NodeRequestView().of(request.method, isHttps(request), request.headers)).then(
      (verified) => {
        request.session = verified
        done()
      },
      (error: unknown) => (isLatchError(error) ? sendError(reply, error) : done(error as Error)),
    )
  }
}

/**
 * Creates a session for `input.userId` and puts its cookies (or, in header transport, its token
 * headers) on `reply`; the route then sends its own body. A `LatchError` (the store down, a bogus
 * `Host`) rejects as usual, with the contract's headers (`x-latch-error`, `Retry-After`) already
 * on `reply`, so Fastify's error handler answers it with its status and the client's rules hold.
 *
 * @example
 * app.post('/login', async (request, reply) => {
 *   await createSession(sessions, request, reply, { userId })
 *   return { userId }
 * })
 */
export async function createSession(
  sessions: SessionManager,
  request: FastifyRequest,
  reply: FastifyReply,
  input: CreateSessionInput,
): Promise<CreatedSession> {
  let created: CreatedSession
  try {
    created = await sessions.create(fullViewOf(request), { ip: request.ip ?? null, ...input })
  } catch (error) {
    if (isLatchError(error)) {
      const { headers } = toAnswer(error)
      // The error handler picks its own content type for its own body.
      delete headers['content-type']
      reply.headers(headers)
    }
    throw error
  }
  for (const [name, value] of created.headers) if (name !== 'set-cookie') reply.header(name, value)
  const cookies = created.headers.getSetCookie()
  if (cookies.length > 0) reply.header('set-cookie', cookies)
  return created
}
