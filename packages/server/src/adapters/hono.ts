/**
 * `@latch/server/hono`: the Hono 4 binding. `latchMiddleware` serves the refresh, sign-out and
 * JWKS routes; `requireSession()` guards routes and sets `c.var.session` (typed through Hono's
 * `Variables`); `createSession` signs a user in on the context. Hono speaks Web `Request` and
 * `Response`, which Latch reads and writes as they are; on Node (`@hono/node-server`) the guard
 * reads Node's own header object instead, so a guarded request builds no `Headers`.
 *
 * @example
 * app.use(latchMiddleware(sessions))
 * app.get('/api/me', requireSession(sessions), (c) => c.json(c.var.session))
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { Context, MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { CreatedSession, CreateSessionInput, SessionManager } from '../createSessionManager.js'
import { isLatchError, toAnswer } from '../errors.js'
import { toWebResponse } from '../LatchAnswer.js'
import type { VerifiedSession } from '../tokens/accessToken.js'
import type { RequestLike } from '../transport/requestLike.js'
import { answerRequest, cachedVerifier, connectionMemo, NodeRequestView } from './adapter.js'

/** The variables `requireSession` sets: `c.var.session`. */
export type LatchVariables = { session: VerifiedSession }

/** The Hono environment of a route behind `requireSession`. */
export type LatchEnv = { Variables: LatchVariables }

/** Options of {@link latchMiddleware}. */
export interface LatchMiddlewareOptions {
  /**
   * The client's IP, for the session list and the theft event. Defaults to the socket's remote
   * address on `@hono/node-server`, `null` elsewhere (on Bun, Deno or Workers pass your runtime's
   * `getConnInfo(c).remote.address`, or a trusted proxy's header).
   */
  ip?: (c: Context) => string | null
}

/** What `@hono/node-server` puts in `c.env`. */
type NodeBindings = { incoming?: IncomingMessage } | undefined

function incomingOf(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as NodeBindings)?.incoming
  return typeof incoming === 'object' && incoming !== null && typeof incoming.headers === 'object'
    ? incoming
    : undefined
}

function nodeIp(c: Context): string | null {
  return incomingOf(c)?.socket?.remoteAddress ?? null
}

/**
 * Serves `{basePath}/refresh`, `{basePath}/signout` and `{basePath}/jwks.json` (a wrong method is
 * answered `405` with `Allow`; `OPTIONS` passes on to the app's CORS middleware); other requests
 * pass on. Headers set by earlier middleware (CORS) stay on Latch's answers.
 *
 * @example app.use(latchMiddleware(sessions))
 */
export function latchMiddleware(
  sessions: SessionManager,
  options: LatchMiddlewareOptions = {},
): MiddlewareHandler {
  const prefix = `${sessions.basePath}/`
  const ipOf = options.ip ?? nodeIp
  return async function latch(c, next) {
    if (!c.req.path.startsWith(prefix)) return next()
    const answer = await answerRequest(sessions, c.req.raw, { ip: ipOf(c) })
    if (answer === null) return next()
    return toWebResponse(answer)
  }
}

/**
 * Lets the request through only with a valid session, set as `c.var.session`; otherwise answers
 * the contract's 401/403 with `x-latch-error` (`try_refresh` for any access token that cannot be
 * used, `unauthorized` / `token_theft_detected` for a revoked session, `csrf_failed`). A token
 * already verified goes on at once; only a cache miss waits for a signature check.
 *
 * @example app.get('/api/me', requireSession(sessions), (c) => c.json(c.var.session))
 */
export function requireSession(sessions: SessionManager): MiddlewareHandler<LatchEnv> {
  const verifyCached = cachedVerifier(sessions)
  const shared = new NodeRequestView()
  return async function latchRequireSession(c, next) {
    const incoming = incomingOf(c)
    // On Node the view reads `IncomingMessage.headers` (no Web `Headers` built); elsewhere the
    // Web `Request` is read as it is.
    const https = c.req.url.charCodeAt(4) === 0x73 // `https:` (Hono's URLs are absolute)
    const request: RequestLike = incoming ? shared.of(c.req.method, https, incoming.headers) : c.req.raw
    let session: VerifiedSession | undefined
    try {
      session = verifyCached(request, connectionMemo(incoming?.socket))
      shared.release()
      session ??= await sessions.verify(
        incoming ? new NodeRequestView().of(c.req.method, https, incoming.headers) : c.req.raw,
      )
    } catch (error) {
      shared.release()
      if (isLatchError(error)) return toWebResponse(toAnswer(error))
      throw error
    }
    c.set('session', session)
    await next()
  }
}

/**
 * Creates a session for `input.userId` and puts its cookies (or, in header transport, its token
 * headers) on the context's response; the route then returns its own body. A `LatchError` (the
 * store down, a bogus `Host`) is thrown as an `HTTPException` whose response is the contract's
 * answer (`x-latch-error`, `Retry-After`), which Hono's default error handler sends as it is.
 * `input.ip` defaults to the socket's address on `@hono/node-server`.
 *
 * @example
 * app.post('/login', async (c) => {
 *   await createSession(sessions, c, { userId })
 *   return c.json({ userId })
 * })
 */
export async function createSession(
  sessions: SessionManager,
  c: Context,
  input: CreateSessionInput,
): Promise<CreatedSession> {
  let created: CreatedSession
  try {
    created = await sessions.create(c.req.raw, { ip: nodeIp(c), ...input })
  } catch (error) {
    if (!isLatchError(error)) throw error
    throw new HTTPException(error.status as 401, { res: toWebResponse(toAnswer(error)), cause: error })
  }
  // `Headers` iterates each `Set-Cookie` line on its own: those are appended, never replaced.
  for (const [name, value] of created.headers) c.header(name, value, { append: name === 'set-cookie' })
  return created
}
