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
import { isLatchError, type LatchError, toAnswer, UnauthorizedError } from '../errors.js'
import type { LatchAnswer } from '../http/LatchAnswer.js'
import type { RequestLike } from '../http/requestLike.js'
import type { TokenKeyMemo, VerifiedSession } from '../tokens/accessToken.js'
import { setRequestSession } from './requestSession.js'

const SLASH = 0x2f

/**
 * Each connection's {@link TokenKeyMemo}: one property per connection (set on its first guarded
 * request), not per request. A symbol, so it shows in no enumeration of the socket.
 */
const MEMO = Symbol('latch.tokenKey')
type MemoSocket = { [MEMO]?: TokenKeyMemo }

function memoOf(req: ExpressRequest): TokenKeyMemo | undefined {
  const socket = req.socket as (object & MemoSocket) | undefined
  // No socket: a hand-made request (a test double); nothing to remember it by.
  if (socket == null) return undefined
  let memo = socket[MEMO]
  if (memo === undefined) socket[MEMO] = memo = { token: '', key: '' }
  return memo
}

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

// Only the scheme of a view's URL is read (it picks the cookie names): two constant strings
// instead of one built per request.
const HTTPS_URL = 'https://localhost/'
const HTTP_URL = 'http://localhost/'
const NO_HEADERS: ExpressRequest['headers'] = Object.freeze({})

/**
 * A lightweight view of an express request (building a full `Request` per call costs
 * throughput), which is also its own `headers`. Header reads go straight to `req.headers`.
 */
class RequestView implements RequestLike {
  method = ''
  url = HTTP_URL
  readonly headers: this = this
  private raw: ExpressRequest['headers'] = NO_HEADERS

  /**
   * Points the view at `req` (the hit path reuses one view: it finishes before any other request
   * runs). Its URL has the scheme only: enough to verify.
   */
  of(req: ExpressRequest): this {
    this.method = req.method
    this.url = schemeOf(req) === 'https' ? HTTPS_URL : HTTP_URL
    this.raw = req.headers
    return this
  }

  /**
   * Points the view at `req` with its whole URL: the endpoints route by path, and the host decides
   * whether cookies need `Secure` (only loopback goes without). A missing Host is `localhost`.
   */
  withUrl(req: ExpressRequest): this {
    this.of(req)
    const target = req.originalUrl
    // An absolute-form request target (`GET http://host/path`) is a whole URL already.
    this.url =
      target.charCodeAt(0) === SLASH
        ? `${schemeOf(req)}://${req.headers.host || 'localhost'}${target}`
        : target
    return this
  }

  /** Drops the reference to the request's headers, so the shared view keeps no cookie alive. */
  release(): void {
    this.raw = NO_HEADERS
  }

  get(name: string): string | null {
    // Latch asks for lower-case names; Node's `req.headers` keys are lower case.
    let value = this.raw[name]
    if (value === undefined) {
      const lower = name.toLowerCase()
      if (lower === name) return null
      value = this.raw[lower]
      if (value === undefined) return null
    }
    return typeof value === 'string' ? value : value.join(', ')
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

/** Writes a {@link LatchAnswer} to express's `res`. `Set-Cookie` lines set before are kept. */
export function sendAnswer(res: ExpressResponse, answer: LatchAnswer): void {
  res.status(answer.status)
  for (const name in answer.headers) res.setHeader(name, answer.headers[name]!)
  if (answer.cookies.length > 0) res.append('set-cookie', answer.cookies)
  res.end(answer.body ?? undefined)
}

/** Writes a Web `Response` to express's `res`. */
export async function sendWebResponse(res: ExpressResponse, response: Response): Promise<void> {
  res.status(response.status)
  for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value)
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) res.append('set-cookie', cookies)
  res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined)
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
    const view = new RequestView().withUrl(req)
    sessions
      .answer(view, { ip: req.ip ?? null })
      .then((answer) => {
        if (answer) sendAnswer(res, answer)
        // An unparsable Host header or URL is the client's fault; such a refresh or sign-out
        // request carries no usable token, which the contract answers `unauthorized`.
        else if (!URL.canParse(view.url)) sendError(res, new UnauthorizedError('Malformed request.'))
        else next()
      })
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
  const shared = new RequestView()
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    // A token already verified goes on in the same tick; only a cache miss waits for `verify`.
    let session: VerifiedSession | undefined
    try {
      session = sessions.verifyCached(shared.of(req), memoOf(req))
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
    sessions.verify(new RequestView().of(req)).then(
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
  const created = await sessions.create(new RequestView().withUrl(req), { ip: req.ip ?? null, ...input })
  for (const [name, value] of created.headers) if (name !== 'set-cookie') res.setHeader(name, value)
  res.append('set-cookie', created.headers.getSetCookie())
  return created
}
