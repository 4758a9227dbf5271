/**
 * `@latch/server/express`: the express binding. It translates and decides nothing: requests to
 * the core's Web `Request`, its `Response` back to `res`, its errors to the contract's answers.
 * @module
 */
import type {
  Request as ExpressRequest,
  Response as ExpressResponse,
  NextFunction,
  RequestHandler,
} from 'express'
import type { CreatedSession, CreateSessionInput, SessionManager } from '../createSessionManager.js'
import { BadRequestError, isLatchError, type LatchError, toResponse } from '../errors.js'
import type { RequestLike } from '../http/requestLike.js'
import type { VerifiedSession } from '../tokens/accessToken.js'

declare global {
  namespace Express {
    interface Request {
      /** Set by `requireSession`: the verified session of the request. */
      session?: VerifiedSession
    }
  }
}

function headerOf(req: ExpressRequest, name: string): string | null {
  const value = req.headers[name]
  if (value === undefined) return null
  return Array.isArray(value) ? value.join(', ') : value
}

/** A lightweight view of an express request: building a full `Request` per call costs throughput. */
function requestLike(req: ExpressRequest): RequestLike {
  return {
    method: req.method,
    url: `${req.protocol}://localhost${req.originalUrl}`,
    headers: { get: (name) => headerOf(req, name.toLowerCase()) },
  }
}

/** A Web `Request` for an express request (no body: Latch's endpoints read none). */
export function toWebRequest(req: ExpressRequest): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`)
  return new Request(url, { method: req.method, headers })
}

/** Writes a Web `Response` to express's `res`. */
export async function sendWebResponse(res: ExpressResponse, response: Response): Promise<void> {
  res.status(response.status)
  for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value)
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) res.append('set-cookie', cookies)
  res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined)
}

function sendError(res: ExpressResponse, error: LatchError): Promise<void> {
  return sendWebResponse(res, toResponse(error))
}

/**
 * Mounts `{base}/refresh`, `{base}/signout` and `{base}/jwks.json`; other requests pass through.
 *
 * @example app.use(latchMiddleware(sessions))
 */
export function latchMiddleware(sessions: SessionManager): RequestHandler {
  const prefix = `${sessions.basePath}/`
  return (req, res, next) => {
    if (!req.path.startsWith(prefix)) return next()
    let request: Request
    try {
      request = toWebRequest(req)
    } catch (cause) {
      // An unparsable Host header or URL is the client's fault.
      sendError(res, new BadRequestError('Malformed request.', { cause })).catch(next)
      return
    }
    sessions
      .handle(request, { ip: req.ip ?? null })
      .then((response) => (response ? sendWebResponse(res, response) : next()))
      .catch(next)
  }
}

/**
 * Lets the request through only with a valid session, set as `req.session`; otherwise answers
 * the contract's 401/403/400 with `x-latch-error`.
 *
 * @example app.get('/api/me', requireSession(sessions), (req, res) => res.json(req.session))
 */
export function requireSession(sessions: SessionManager): RequestHandler {
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    let pending: Promise<VerifiedSession>
    try {
      pending = sessions.verify(requestLike(req))
    } catch (error) {
      pending = Promise.reject(error)
    }
    pending.then(
      (session) => {
        req.session = session
        next()
      },
      (error) => (isLatchError(error) ? sendError(res, error).catch(next) : next(error)),
    )
  }
}

/**
 * Creates a session for `input.userId` and puts its cookies or headers on `res`; the route then
 * sends its own body.
 *
 * @example
 * app.post('/login', async (req, res) => { await createSession(sessions, req, res, { userId }); res.json({ userId }) })
 */
export async function createSession(
  sessions: SessionManager,
  req: ExpressRequest,
  res: ExpressResponse,
  input: CreateSessionInput,
): Promise<CreatedSession> {
  const created = await sessions.create(toWebRequest(req), { ip: req.ip ?? null, ...input })
  for (const [name, value] of created.headers) if (name !== 'set-cookie') res.setHeader(name, value)
  res.append('set-cookie', created.headers.getSetCookie())
  return created
}
