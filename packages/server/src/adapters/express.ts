/**
 * `@latch/server/express`: the express binding. It translates and decides nothing: requests to
 * the core's Web `Request`, its `Response` back to `res`, its errors to the contract's answers.
 * @module
 */
import type { TLSSocket } from 'node:tls'
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

const SLASH = 0x2f

declare global {
  namespace Express {
    interface Request {
      /** Set by `requireSession`: the verified session of the request. */
      session?: VerifiedSession
    }
  }
}

/**
 * `req.protocol` without its cost: that getter runs the `trust proxy` function on every call,
 * but the answer can only differ from the socket's own scheme when `X-Forwarded-Proto` is sent.
 */
function schemeOf(req: ExpressRequest): string {
  const socket = req.socket as TLSSocket | undefined
  // No socket: a hand-made request (a test double); trust what it says.
  if (socket === undefined || req.headers['x-forwarded-proto'] !== undefined) return req.protocol
  return socket.encrypted ? 'https' : 'http'
}

/**
 * A lightweight view of an express request (building a full `Request` per call costs
 * throughput): one object per request, which is also its own `headers`.
 */
class RequestView implements RequestLike {
  readonly method: string
  readonly url: string
  readonly headers: this

  constructor(private readonly req: ExpressRequest) {
    this.method = req.method
    // Only the scheme is read (it picks the cookie names); the host is not needed.
    this.url = `${schemeOf(req)}://localhost${req.originalUrl}`
    this.headers = this
  }

  get(name: string): string | null {
    const value = this.req.headers[name.toLowerCase()]
    if (value === undefined) return null
    return Array.isArray(value) ? value.join(', ') : value
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
 * Mount it at the base path so the app's other routes never reach it, or anywhere (it reads
 * the full `req.originalUrl`).
 *
 * @example app.use(sessions.basePath, latchMiddleware(sessions))
 */
export function latchMiddleware(sessions: SessionManager): RequestHandler {
  const prefix = `${sessions.basePath}/`
  return (req, res, next) => {
    const url = req.originalUrl
    // An absolute-form request target (`GET http://host/path`) has no leading `/`: express's own
    // parser finds its path.
    const path = url.charCodeAt(0) === SLASH ? url : req.baseUrl + req.path
    if (!path.startsWith(prefix)) return next()
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
  const refuse = (res: ExpressResponse, next: NextFunction, error: unknown) =>
    isLatchError(error) ? sendError(res, error).catch(next) : next(error)
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    const request = new RequestView(req)
    // A token already verified goes on in the same tick; only a cache miss waits for `verify`.
    let session: VerifiedSession | undefined
    try {
      session = sessions.verifyCached(request)
    } catch (error) {
      refuse(res, next, error)
      return
    }
    if (session) {
      req.session = session
      next()
      return
    }
    sessions.verify(request).then(
      (verified) => {
        req.session = verified
        next()
      },
      (error) => refuse(res, next, error),
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
