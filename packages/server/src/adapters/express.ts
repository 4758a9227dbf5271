/**
 * `@latch/server/express`: the express binding. It translates and decides nothing: requests to
 * a light view the core reads, the core's plain answers straight to `res` (no Web `Request` or
 * `Response` in between), its errors to the contract's answers.
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
import { isLatchError, type LatchError, toAnswer } from '../errors.js'
import type { LatchAnswer } from '../LatchAnswer.js'
import type { VerifiedSession } from '../tokens/accessToken.js'
import { answerRequest, cachedVerifier, connectionMemo, NodeRequestView } from './adapter.js'
import { setRequestSession } from './requestSession.js'

const SLASH = 0x2f

declare global {
  namespace Express {
    interface Request {
      /**
       * Set by `requireSession`: the verified session of the request. An accessor on express's
       * request prototype (not an own property, which costs more per request): it is not among
       * `Object.keys(req)`, and `'session' in req` is true once a guard has run. Assigning it
       * yourself sets an own property, as usual.
       */
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

/** Points `view` at `req` for verification (the scheme only). */
function viewOf(view: NodeRequestView, req: ExpressRequest): NodeRequestView {
  return view.of(req.method, schemeOf(req) === 'https', req.headers)
}

/** A view of `req` with its whole URL (`req.originalUrl`), for the endpoints and sign-in. */
function fullViewOf(req: ExpressRequest): NodeRequestView {
  return new NodeRequestView().withUrl(
    req.method,
    schemeOf(req) === 'https',
    req.headers.host,
    req.originalUrl,
    req.headers,
  )
}

/** Writes a {@link LatchAnswer} to express's `res`. `Set-Cookie` lines set before are kept. */
function sendAnswer(res: ExpressResponse, answer: LatchAnswer): void {
  res.status(answer.status)
  for (const name in answer.headers) res.setHeader(name, answer.headers[name]!)
  if (answer.cookies.length > 0) res.append('set-cookie', answer.cookies)
  res.end(answer.body ?? undefined)
}

function sendError(res: ExpressResponse, error: LatchError): void {
  sendAnswer(res, toAnswer(error))
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
    answerRequest(sessions, fullViewOf(req), { ip: req.ip ?? null })
      .then((answer) => (answer ? sendAnswer(res, answer) : next()))
      .catch(next)
  }
}

/**
 * Lets the request through only with a valid session, set as `req.session`; otherwise answers
 * the contract's 401/403 with `x-latch-error` (`try_refresh` for any access token that cannot be
 * used, `unauthorized` / `token_theft_detected` for a revoked session, `csrf_failed`).
 *
 * @example app.get('/api/me', requireSession(sessions), (req, res) => res.json(req.session))
 */
export function requireSession(sessions: SessionManager): RequestHandler {
  const refuse = (res: ExpressResponse, next: NextFunction, error: unknown) =>
    isLatchError(error) ? sendError(res, error) : next(error)
  // `verifyCached` is synchronous: one view serves every request's hit path, so a protected
  // request that hits the cache allocates nothing here.
  const verifyCached = cachedVerifier(sessions)
  const shared = new NodeRequestView()
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    // A token already verified goes on in the same tick; only a cache miss waits for `verify`.
    let session: VerifiedSession | undefined
    try {
      session = verifyCached(viewOf(shared, req), connectionMemo(req.socket))
    } catch (error) {
      shared.release()
      refuse(res, next, error)
      return
    }
    shared.release()
    if (session) {
      setRequestSession(req, session)
      next()
      return
    }
    sessions.verify(viewOf(new NodeRequestView(), req)).then(
      (verified) => {
        setRequestSession(req, verified)
        next()
      },
      (error) => refuse(res, next, error),
    )
  }
}

/**
 * Creates a session for `input.userId` and puts its cookies or headers on `res`; the route then
 * sends its own body. A `LatchError` (the store down, a bogus `Host`) rejects with the contract's
 * headers (`x-latch-error`, `Retry-After`) already on `res`, for the error handler to answer with
 * the error's `status`.
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
  let created: CreatedSession
  try {
    created = await sessions.create(fullViewOf(req), { ip: req.ip ?? null, ...input })
  } catch (error) {
    // The contract's headers (`x-latch-error`, `Retry-After`) go on `res` before the error goes on
    // to the app's error handler, which answers it with its `status` (express's own does).
    if (isLatchError(error) && !res.headersSent) {
      const { headers } = toAnswer(error)
      delete headers['content-type']
      for (const name in headers) res.setHeader(name, headers[name]!)
    }
    throw error
  }
  for (const [name, value] of created.headers) if (name !== 'set-cookie') res.setHeader(name, value)
  res.append('set-cookie', created.headers.getSetCookie())
  return created
}
