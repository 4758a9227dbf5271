/**
 * Sign-in (`SessionManager.create`): checking the input, binding the session to the request's key
 * proof, storing the record and handing the tokens over in the request's transport.
 * @module
 */
import { checkClaims, checkTokenSize } from '../claims.js'
import { UnauthorizedError } from '../errors.js'
import { toHeaders } from '../LatchAnswer.js'
import { type ManagerCore, withStore } from '../ManagerCore.js'
import { presentedProof } from '../refresh/binding.js'
import type { SessionRecord } from '../stores/SessionStore.js'
import { newSessionId } from '../tokens/refreshToken.js'
import { cookieContext, isLoopbackHost } from '../transport/cookies.js'
import { type FrontToken, frontTokenFor } from '../transport/frontToken.js'
import { requestedTransport, type Transport } from '../transport/headers.js'
import { assertRequestLike, parseRequestUrl, type RequestLike } from '../transport/requestLike.js'
import { sessionHeaders } from '../transport/sessionHeaders.js'

/** What `create` needs to know about the new session. */
export interface CreateSessionInput {
  /** The authenticated user's id (the `sub` claim). Required. */
  userId: string
  /** Application claims copied into every access token; JSON values, not Latch's own claim names. Defaults to `{}`. */
  claims?: Record<string, unknown>
  /** Device description for the session list. Defaults to the request's `User-Agent`. */
  userAgent?: string | null
  /** Client IP for the session list. Defaults to `null`. */
  ip?: string | null
  /** How to hand the tokens over. Defaults to what the request asks (`x-latch-transport`), else `cookie`. */
  transport?: Transport
}

/** The result of `create`: put `headers` on the response. */
export interface CreatedSession {
  session: {
    userId: string
    sessionId: string
    expiresAt: number
    front: FrontToken
    /** Bound to the key of the request's proof (`binding` option): its refresh needs that key. */
    bound: boolean
  }
  /** `Set-Cookie` (cookie mode) or token headers (header mode), plus `x-latch-front-token`. */
  headers: Headers
  accessToken: string
  refreshToken: string
}

function checkInput(input: CreateSessionInput): void {
  if (typeof input?.userId !== 'string' || input.userId.length === 0 || input.userId.length > 256) {
    throw new TypeError('`userId` must be a non-empty string of at most 256 characters.')
  }
  checkClaims(input.claims ?? {})
  if (input.transport !== undefined && input.transport !== 'cookie' && input.transport !== 'header') {
    throw new TypeError("`transport` must be 'cookie' or 'header'.")
  }
}

/**
 * Warns once per manager when a cookie session is created over plain HTTP on a host that is not
 * loopback: its cookies carry `Secure`, which the browser drops there, so the user stays signed
 * out with no error anywhere. Names the host only, never a token.
 */
export function plainHttpWarning(warn: (message: string) => void): (url: URL) => void {
  let warned = false
  return (url) => {
    if (warned || url.protocol !== 'http:' || isLoopbackHost(url.hostname)) return
    warned = true
    try {
      warn(
        `Latch: a session was created over plain HTTP for host ${url.hostname.slice(0, 253)}. Its cookies are Secure (only loopback hosts may do without), so browsers drop them and the user stays signed out. Serve HTTPS; behind a TLS-terminating proxy, give Latch the https URL the browser used (express: app.set('trust proxy', …)). This warning is shown once.`,
      )
    } catch {
      // A failing logger must not fail the sign-in.
    }
  }
}

/** Creates a session for an authenticated user (see `SessionManager.create`). */
export async function createSession(
  core: ManagerCore,
  request: RequestLike,
  input: CreateSessionInput,
  warnPlainHttp: (url: URL) => void,
): Promise<CreatedSession> {
  const { options } = core
  assertRequestLike(request, 'create()')
  checkInput(input)
  // Before anything is stored: an unparsable Host or URL is the client's fault (401), and a
  // session stored for it would be one nobody holds.
  const url = parseRequestUrl(request)
  if (url === null) throw new UnauthorizedError('Malformed request.')
  const transport = input.transport ?? requestedTransport(request)
  if (transport === 'cookie') warnPlainHttp(url)
  const tokens = await withStore(core.started)
  await withStore(() => core.keys.ensureFresh())
  // The sign-in's proof (`binding`): its key is the one every refresh must then prove.
  const proof = await withStore(() => presentedProof(core, request, url))
  if (options.binding === 'required' && proof.thumbprint === null)
    throw new UnauthorizedError('Signing in needs a key-binding proof.')
  const now = options.now()
  const sessionId = newSessionId(options.random)
  const refreshToken = tokens.issue(sessionId)
  const absoluteExpiresAt = options.absoluteSessionTtl === null ? null : now + options.absoluteSessionTtl
  const expiresAt = Math.min(now + options.sessionTtl, absoluteExpiresAt ?? Number.POSITIVE_INFINITY)
  const claims = structuredClone(input.claims ?? {})
  const record: SessionRecord = {
    id: sessionId,
    userId: input.userId,
    createdAt: now,
    lastRefreshedAt: now,
    expiresAt,
    absoluteExpiresAt,
    generation: 0,
    currentHash: tokens.hash(refreshToken),
    previousHash: null,
    rotatedAt: null,
    successorSealed: null,
    claims,
    claimsVersion: 0,
    userAgent:
      (input.userAgent === undefined ? request.headers.get('user-agent') : input.userAgent)?.slice(0, 512) ??
      null,
    ip: input.ip ?? null,
    binding: proof.thumbprint,
  }
  // Signed before the record is stored, so claims too large for a token store nothing.
  checkTokenSize(core, input.userId, sessionId, claims)
  const access = core.accessTokens.issue(input.userId, sessionId, claims, 0)
  await withStore(() => options.store.createSession(record))
  const front = frontTokenFor(record, access.expiresAt, 0, options.publicClaims)
  const headers = sessionHeaders(transport, cookieContext(url, options.basePath, options.legacyCookies), {
    accessToken: access.token,
    refreshToken,
    front,
    maxAgeSeconds: (expiresAt - now) / 1000,
  })
  return {
    session: { userId: input.userId, sessionId, expiresAt, front, bound: record.binding !== null },
    headers: toHeaders(headers),
    accessToken: access.token,
    refreshToken,
  }
}
