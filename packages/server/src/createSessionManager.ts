/**
 * The session manager: wires options, key ring, tokens, revocation list and store into the API an
 * application calls (create, verify, refresh, sign out, list, revoke, rotate and revoke keys,
 * update claims, handle).
 * @module
 */

import { checkClaims, checkTokenSize, updateSessionClaims, updateUserClaims } from './claims.js'
import { toBase64Url } from './encoding.js'
import { TryRefreshError, UnauthorizedError } from './errors.js'
import { answer, handle } from './http/handle.js'
import { type ReadSessionInput, type ReadSessionResult, readSession } from './http/readSession.js'
import { type KeyRevocationResult, KeyRing, KeyRingMisuse } from './keys/keyRing.js'
import { type LatchAnswer, toHeaders, toWebResponse } from './LatchAnswer.js'
import { type ManagerCore, type RequestContext, revocationFor, withStore } from './ManagerCore.js'
import { resolveOptions, type SessionManagerOptions } from './options.js'
import { presentedProof } from './refresh/binding.js'
import { refreshSession, signOutSession } from './refresh/refreshSession.js'
import { RevocationList } from './revocation/revocationList.js'
import { listedSession, type SessionListing } from './sessionListing.js'
import type { SessionRecord } from './stores/SessionStore.js'
import { AccessTokens, type TokenKeyMemo, type VerifiedSession } from './tokens/accessToken.js'
import {
  createRefreshTokens,
  newSessionId,
  REFRESH_MAC_SECRET_NAME,
  type RefreshTokens,
} from './tokens/refreshToken.js'
import { cookieContext, cookieNames, isLoopbackHost, readCookies } from './transport/cookies.js'
import { assertCsrf, needsCsrf } from './transport/csrf.js'
import { type FrontToken, frontTokenFor } from './transport/frontToken.js'
import { readBearer, requestedTransport, type Transport } from './transport/headers.js'
import { assertRequestLike, parseRequestUrl, type RequestLike } from './transport/requestLike.js'
import { sessionHeaders } from './transport/sessionHeaders.js'

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

/**
 * Counters of one manager, for metrics: a fresh plain object per `stats()` call. Counts run from
 * the manager's creation and never reset.
 */
export interface SessionManagerStats {
  /** The verified-token cache (`verifyCacheSize`). */
  verifyCache: {
    /** Tokens held now. */
    entries: number
    /** The bound (`verifyCacheSize`). */
    maxEntries: number
    /** Verifications answered from the cache (accepted, or refused as revoked). */
    hits: number
    /** Verifications that needed a signature check. */
    misses: number
    /** Live entries dropped to make room: when this climbs, the cache is smaller than the active set. */
    evictions: number
  }
  /** The in-memory revocation list. */
  revocationList: {
    /** Sessions revoked within the last access-token lifetime. */
    entries: number
  }
  /** Pushed messages received from the store (revocations, and later stale marks / key revocations). */
  pushesReceived: number
}

/** The session manager. See the README for a tour. */
export interface SessionManager {
  /** Resolves once keys, secrets and the revocation list are loaded. Calls wait for it themselves. */
  readonly ready: Promise<void>
  /** The validated base path of the endpoints, e.g. `/auth/session`. */
  readonly basePath: string
  /**
   * Creates a session for an authenticated user; a valid key proof in the request's `DPoP` header
   * binds it (option `binding`). Rejects `TypeError` on bad input, `LatchError` on store failure,
   * and `unauthorized` under `binding: 'required'` without a valid proof.
   */
  create(request: RequestLike, input: CreateSessionInput): Promise<CreatedSession>
  /** Verifies the request's access token (Bearer header or cookie + CSRF). Rejects a `LatchError`. No store read. */
  verify(request: RequestLike): Promise<VerifiedSession>
  /**
   * `verify` without waiting, for adapters' hot paths: the session when the request's token is in
   * the verify cache (expiry and revocation checked), `undefined` when only `verify` can tell.
   * Throws the `LatchError` that `verify` would reject with. `memo`: an adapter's per-connection
   * record (start it as `{ token: '', key: '' }`), so the same token sent again on that connection
   * is not hashed again; everything else is checked as without it. Defaults to none.
   */
  verifyCached(request: RequestLike, memo?: TokenKeyMemo): VerifiedSession | undefined
  /** Verifies a bare access token. Rejects a `LatchError`. */
  verifyAccessToken(token: string): Promise<VerifiedSession>
  /**
   * `verify` for code handed headers instead of a `Request` (Next.js server components, loaders):
   * `authenticated`, `refresh` (the browser should refresh) or `unauthenticated`, as a result.
   * Writes no cookies, reads no store, never rejects for bad input.
   */
  readSession(input: ReadSessionInput): Promise<ReadSessionResult>
  /** Answers `{base}/refresh`, `{base}/signout`, `{base}/jwks.json`; `null` for other paths. */
  handle(request: Request, context?: RequestContext): Promise<Response | null>
  /**
   * `handle` for bindings that write their own responses (express, Fastify, Koa): the same routes
   * and answers, from any {@link RequestLike} (its `url` absolute, with the real host: it decides
   * the cookies' `Secure`), as a plain {@link LatchAnswer}, so no Web `Request` or `Response` is
   * built. `null` for paths it does not own.
   */
  answer(request: RequestLike, context?: RequestContext): Promise<LatchAnswer | null>
  /** The refresh endpoint's answer, whatever the path. */
  refresh(request: Request, context?: RequestContext): Promise<Response>
  /** The sign-out endpoint's answer, whatever the path. */
  signOut(request: Request, context?: RequestContext): Promise<Response>
  /** The user's live sessions, newest first; `current` marks `currentSessionId`. */
  listUserSessions(userId: string, currentSessionId?: string | null): Promise<SessionListing[]>
  /** Revokes one session. Resolves whether it existed. */
  revokeSession(sessionId: string): Promise<boolean>
  /** Revokes all of a user's sessions, or all others with `except`. Resolves how many went. */
  revokeUserSessions(userId: string, options?: { except?: string | null }): Promise<number>
  /** Adds a signing key now; it signs after the activation delay (2 × `keySyncInterval`). */
  rotateKeys(): Promise<void>
  /**
   * Revokes a signing key for good (a leak): it leaves the JWKS, and every instance answers the
   * tokens it signed `try_refresh` within about a second (pushed), so clients refresh once and
   * nobody is signed out. Revoking the newest key first adds its replacement, which signs at
   * once. An unknown or already revoked kid changes nothing (see `outcome`). With explicit
   * `keys`, the revocation is recorded in the store too; revoking the last key of the list that
   * is not revoked is a `TypeError` (add its replacement to `keys` first).
   */
  revokeKey(kid: string): Promise<KeyRevocationResult>
  /**
   * Replaces the current signing key and revokes it (`revokeKey` of the signer). Resolves the
   * revoked kid and the one that signs now. With explicit `keys`: a `TypeError` (Latch cannot
   * make a key for you; add one to `keys`, then `revokeKey(oldKid)`).
   */
  revokeCurrentKey(): Promise<{ revokedKid: string; currentKid: string }>
  /**
   * Replaces the application claims of one session (a role granted, a name changed): stored at
   * once, and every instance answers the session's current access tokens `try_refresh` within
   * about a second (pushed); the refresh issues the new claims. Nobody is signed out. Resolves
   * whether the session exists. Claims are checked as in `create` (`TypeError`, nothing stored).
   */
  updateSessionClaims(sessionId: string, claims: Record<string, unknown>): Promise<boolean>
  /** `updateSessionClaims` for every session of a user. Resolves how many sessions changed. */
  updateUserClaims(userId: string, claims: Record<string, unknown>): Promise<number>
  /** The public JWKS. */
  jwks(): Promise<{ keys: Record<string, unknown>[] }>
  /** Counters for metrics (verify cache, revocation list, pushes); cheap to call. */
  stats(): SessionManagerStats
  /** Stops timers and subscriptions. Does not close the store (the application owns it). */
  close(): Promise<void>
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
 * Creates a session manager. Options are validated now (`TypeError` naming the option); keys,
 * secrets and the revocation list load in the background (`ready`).
 *
 * @example
 * const sessions = createSessionManager({ store: memoryStore(), accessTokenTtl: '10m' })
 */
export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const resolved = resolveOptions(options)
  const { store } = resolved
  const keys = new KeyRing(resolved)
  const revocations = new RevocationList(store, resolved.now, {
    // A pushed key revocation: drop the key and every cached token (some may be its own).
    onKeysRevoked: (revoked) => {
      keys.revokeLocal(revoked)
      accessTokens.clearCache()
    },
    onResync: () => {
      keys.sync().catch(() => {})
    },
  })
  const accessTokens = new AccessTokens(resolved, keys, revocations)
  let refreshTokens: RefreshTokens | null = null
  let starting: Promise<RefreshTokens> | null = null
  let timer: ReturnType<typeof setInterval> | null = null
  let closed = false

  const start = async (): Promise<RefreshTokens> => {
    const secret = await store.getOrCreateSecret(REFRESH_MAC_SECRET_NAME, toBase64Url(resolved.random(32)))
    await keys.sync()
    await revocations.start()
    refreshTokens = createRefreshTokens(secret, resolved.random)
    if (!closed) {
      // Verify-only instances still learn new keys; a failed sync keeps the keys already loaded.
      timer = setInterval(() => keys.sync().catch(() => {}), resolved.keySyncInterval)
      timer.unref?.()
    }
    return refreshTokens
  }
  // A failed start (store down) is retried by the next call instead of failing forever.
  const started = (): Promise<RefreshTokens> => {
    if (refreshTokens) return Promise.resolve(refreshTokens)
    starting ??= start().catch((error) => {
      starting = null
      throw error
    })
    return starting
  }
  const ready = started().then(() => undefined)
  ready.catch(() => {}) // reported through the calls that need it, not as an unhandled rejection

  const core: ManagerCore = { options: resolved, keys, accessTokens, revocations, started }

  const verifyAccessToken = async (token: string) => {
    if (!refreshTokens) await withStore(started)
    return accessTokens.verify(token)
  }

  /**
   * The request's access-token candidates: the Bearer token, else the cookie's copies (at most
   * three, in header order; a cookie needs the CSRF header). Throws `TryRefreshError` when there
   * is none.
   */
  const accessTokensOf = (request: RequestLike, method: string): readonly string[] => {
    assertRequestLike(request, method)
    const bearer = readBearer(request)
    if (bearer !== null) return [bearer]
    const name = cookieNames({ https: request.url.startsWith('https:') }).access
    const copies = readCookies(request.headers.get('cookie'), name)
    if (copies.length === 0) throw new TryRefreshError('No access token.')
    if (needsCsrf(request.method)) assertCsrf(request)
    return copies
  }

  /**
   * Why none of the copies could be used: a revocation (the session is over) only when no copy
   * merely needs a refresh, since a copy that needs one may belong to the live session.
   */
  let warnedPlainHttp = false
  /**
   * Warns once when a cookie session is created over plain HTTP on a host that is not loopback:
   * its cookies carry `Secure`, which the browser drops there, so the user stays signed out
   * with no error anywhere. Names the host only, never a token.
   */
  const warnPlainHttp = (url: URL): void => {
    if (warnedPlainHttp || url.protocol !== 'http:' || isLoopbackHost(url.hostname)) return
    warnedPlainHttp = true
    try {
      resolved.warn(
        `Latch: a session was created over plain HTTP for host ${url.hostname.slice(0, 253)}. Its cookies are Secure (only loopback hosts may do without), so browsers drop them and the user stays signed out. Serve HTTPS; behind a TLS-terminating proxy, give Latch the https URL the browser used (express: app.set('trust proxy', …)). This warning is shown once.`,
      )
    } catch {
      // A failing logger must not fail the sign-in.
    }
  }

  const refusal = (errors: unknown[]): unknown =>
    errors.find((error) => error instanceof TryRefreshError) ?? errors[0]

  return {
    ready,
    basePath: resolved.basePath,
    async create(request, input) {
      assertRequestLike(request, 'create()')
      checkInput(input)
      // Before anything is stored: an unparsable Host or URL is the client's fault (401), and a
      // session stored for it would be one nobody holds.
      const url = parseRequestUrl(request)
      if (url === null) throw new UnauthorizedError('Malformed request.')
      const transport = input.transport ?? requestedTransport(request)
      if (transport === 'cookie') warnPlainHttp(url)
      const tokens = await withStore(started)
      await withStore(() => keys.ensureFresh())
      // The sign-in's proof (`binding`): its key is the one every refresh must then prove.
      const proof = await withStore(() => presentedProof(core, request, url))
      if (resolved.binding === 'required' && proof.thumbprint === null)
        throw new UnauthorizedError('Signing in needs a key-binding proof.')
      const now = resolved.now()
      const sessionId = newSessionId(resolved.random)
      const refreshToken = tokens.issue(sessionId)
      const absoluteExpiresAt =
        resolved.absoluteSessionTtl === null ? null : now + resolved.absoluteSessionTtl
      const expiresAt = Math.min(now + resolved.sessionTtl, absoluteExpiresAt ?? Number.POSITIVE_INFINITY)
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
          (input.userAgent === undefined ? request.headers.get('user-agent') : input.userAgent)?.slice(
            0,
            512,
          ) ?? null,
        ip: input.ip ?? null,
        binding: proof.thumbprint,
      }
      // Signed before the record is stored, so claims too large for a token store nothing.
      checkTokenSize(core, input.userId, sessionId, claims)
      const access = accessTokens.issue(input.userId, sessionId, claims, 0)
      await withStore(() => store.createSession(record))
      const front = frontTokenFor(record, access.expiresAt, 0, resolved.publicClaims)
      const headers = sessionHeaders(
        transport,
        cookieContext(url, resolved.basePath, resolved.legacyCookies),
        {
          accessToken: access.token,
          refreshToken,
          front,
          maxAgeSeconds: (expiresAt - now) / 1000,
        },
      )
      return {
        session: { userId: input.userId, sessionId, expiresAt, front, bound: record.binding !== null },
        headers: toHeaders(headers),
        accessToken: access.token,
        refreshToken,
      }
    },
    async verify(request) {
      const copies = accessTokensOf(request, 'verify()')
      if (copies.length === 1) return verifyAccessToken(copies[0]!)
      // A duplicated cookie (an old copy at another Path or Domain): the first copy that verifies wins.
      const errors: unknown[] = []
      for (const copy of copies) {
        try {
          return await verifyAccessToken(copy)
        } catch (error) {
          errors.push(error)
        }
      }
      throw refusal(errors)
    },
    verifyCached(request, memo) {
      const copies = accessTokensOf(request, 'verifyCached()')
      // Before the first start nothing was verified, and the revocation list is not loaded yet.
      if (!refreshTokens) return undefined
      if (copies.length === 1) return accessTokens.verifyCached(copies[0]!, memo)
      const errors: unknown[] = []
      for (const copy of copies) {
        try {
          // A hit wins; a copy only `verify` can judge (`undefined`) comes first and might
          // verify, so `verify` decides from there.
          return accessTokens.verifyCached(copy)
        } catch (error) {
          errors.push(error)
        }
      }
      throw refusal(errors)
    },
    verifyAccessToken,
    readSession(input) {
      // Through `verify` itself, so cookie and token reading stay in one place.
      return readSession((request) => this.verify(request), input)
    },
    handle: (request, context) => handle(core, request, context),
    answer: (request, context) => {
      // A programming error rejects; what the client sent is answered (a bad Host: `null`/401).
      try {
        assertRequestLike(request, 'answer()')
      } catch (error) {
        return Promise.reject(error)
      }
      return answer(core, request, context)
    },
    refresh: async (request, context) => toWebResponse(await refreshSession(core, request, context)),
    signOut: async (request, context) => toWebResponse(await signOutSession(core, request, context)),
    async listUserSessions(userId, currentSessionId = null) {
      const records = await withStore(() => store.listUserSessions(userId, resolved.now()))
      return records.map((record) => listedSession(record, currentSessionId))
    },
    async revokeSession(sessionId) {
      const made = await withStore(() =>
        store.revokeSessions([sessionId], revocationFor(resolved, 'revoked')),
      )
      revocations.add(made)
      return made.length > 0
    },
    async revokeUserSessions(userId, { except = null } = {}) {
      const made = await withStore(() =>
        store.revokeUserSessions(userId, except, revocationFor(resolved, 'revoked')),
      )
      revocations.add(made)
      return made.length
    },
    async rotateKeys() {
      await withStore(started)
      await withStore(() => keys.rotate())
    },
    async revokeKey(kid) {
      if (typeof kid !== 'string') throw new TypeError('`kid` must be a string.')
      await withStore(started)
      // Misuse (the last explicit key) is the caller's TypeError, not a 503.
      const result = await withStore(() =>
        keys.revoke(kid).catch((error) => (error instanceof KeyRingMisuse ? error : Promise.reject(error))),
      )
      if (result instanceof KeyRingMisuse) throw result
      if (result.revokedKid !== null) accessTokens.clearCache()
      return result
    },
    async revokeCurrentKey() {
      if (resolved.keys)
        throw new TypeError(
          'revokeCurrentKey() is not available with explicit `keys`: add the replacement to the `keys` option on every instance, then call revokeKey(oldKid).',
        )
      await withStore(started)
      await withStore(() => keys.ensureFresh())
      const current = keys.signer().kid
      // `already_revoked` means another instance revoked it a moment ago: its replacement signs now.
      const result = await withStore(() => keys.revoke(current))
      accessTokens.clearCache()
      return { revokedKid: current, currentKid: result.currentKid }
    },
    updateSessionClaims: (sessionId, claims) => updateSessionClaims(core, sessionId, claims),
    updateUserClaims: (userId, claims) => updateUserClaims(core, userId, claims),
    async jwks() {
      await withStore(started)
      return keys.jwks() as { keys: Record<string, unknown>[] }
    },
    stats() {
      const cache = accessTokens.cache
      return {
        verifyCache: {
          entries: cache.size,
          maxEntries: cache.maxEntries,
          hits: cache.hits,
          misses: cache.misses,
          evictions: cache.evictions,
        },
        revocationList: { entries: revocations.size },
        pushesReceived: revocations.pushesReceived,
      }
    },
    async close() {
      closed = true
      if (timer) clearInterval(timer)
      timer = null
      await revocations.stop()
    },
  }
}
