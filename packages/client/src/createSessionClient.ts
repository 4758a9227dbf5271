/**
 * The session client: `fetch` with transparent refresh, session state for UI bindings, cross-tab
 * sync and proactive refresh. Wires the parts; the rules live in `refresh.ts` (who refreshes),
 * `refreshRequest.ts` (what an answer means) and `replay.ts` (how a call is sent again).
 *
 * One piece (over 300 lines): what is left here is the closure's shared state (the session, the
 * server-time offset, the channel and the message waiting for its change) and the few functions
 * that read and write it; handing it to modules of their own would pass it back and forth as
 * arguments, in a bundle that is at its size budget (`size.test.ts`).
 * @module
 */
import { type Broadcast, type BroadcastMessage, defaultBroadcast } from './broadcast'
import { createEmitter } from './emitter'
import { apiBaseUrl, endpointUrl, isSameOriginApi, pageHref } from './endpoints'
import {
  LatchError,
  LatchNetworkError,
  RefreshFailedError,
  RefreshLoopError,
  RefreshTimeoutError,
  SignOutFailedError,
} from './errors'
import { cookieFrontTokenSource, sameSession, storedFrontTokenSource } from './frontToken'
import { boundedLock } from './locks/boundedLock'
import { defaultLock } from './locks/defaultLock'
import { resolveOptions, type SessionClientOptions } from './options'
import { createProactiveRefresh } from './proactiveRefresh'
import { createRefreshCoordinator, type RefreshOutcome } from './refresh'
import { discard, latchCodeOf, readRefreshAnswer, SESSION_ENDING_CODES } from './refreshRequest'
import { prepareReplay } from './replay'
import { createSessionState, LOADING_SNAPSHOT, snapshotOf } from './sessionState'
import { browserLocalStorage, memoryStorage, safeStorage } from './storage'
import { createTransport, FRONT_TOKEN_HEADER } from './transport'
import type { SessionClient, SessionEvents, SessionInfo, SignedOutReason } from './types'

type Origin = 'this_tab' | 'other_tab'

/**
 * Creates a session client. Creating one touches no global (safe during SSR); in a browser the
 * front token is read at once, so the first snapshot is already `authenticated` or
 * `unauthenticated`.
 *
 * @example
 * const latch = createSessionClient({ apiBase: 'https://api.example.com' })
 * const me = await (await latch.fetch('https://api.example.com/me')).json()
 */
export function createSessionClient(options: SessionClientOptions = {}): SessionClient {
  const config = resolveOptions(options)
  const { apiBase, lockName, refreshTimeout } = config
  const header = config.transport === 'header'
  const given = config.storage ?? (header ? memoryStorage() : browserLocalStorage())
  const storage = safeStorage(given ?? memoryStorage())
  const cookieFront = !header && isSameOriginApi(apiBase)
  const front = cookieFront
    ? cookieFrontTokenSource()
    : // No storage to read from (SSR) means "unknown", which keeps the state `loading`.
      storedFrontTokenSource(given ? storage : null, `${config.storageKey}.front`)
  const read = front.read
  const { decorate, capture, clear, hasTokens } = createTransport(header, storage, config.storageKey, front)
  const { on, emit } = createEmitter<SessionEvents>()
  // Past its short wait the lock is skipped, never failed on: a hung or frozen holder in another
  // tab must not fail this tab's calls.
  const lock = boundedLock(config.lock ?? defaultLock)
  /**
   * Server time minus this browser's clock, in milliseconds, learned from the `Date` header of
   * Latch's answers (refresh, sign-out, an answer that carries a Latch header). Expiry is judged
   * in server time, so a clock hours off keeps the proactive refresh. `Date` has whole seconds:
   * the middle of the second is the best guess. Cross-origin, the header is only readable when
   * the server exposes it; the offset then stays 0 (the browser's clock, as before).
   */
  let offset = 0
  const learn = (response: Response) => {
    const date = Date.parse(response.headers.get('date')!)
    if (date > 0) offset = date + 500 - config.now()
  }
  const baseFetch: typeof fetch = (input, init) =>
    (config.fetch ?? globalThis.fetch).call(globalThis, input, init)
  const { getSnapshot, subscribe, set } = createSessionState(
    front.available()
      ? snapshotOf(read())
      : config.initialSession !== undefined
        ? snapshotOf(config.initialSession)
        : LOADING_SNAPSHOT,
  )
  const current = () => getSnapshot().session
  /**
   * The reason of the last message, kept until the state changes here (`apply`). Chromium
   * delivers a BroadcastChannel message and the other tab's localStorage write over separate
   * paths, in either order: on the message this tab may still read the old front token, and no
   * second message comes. So while a message waits, each `storage` event re-reads, and the change
   * is adopted with the message's reason (theft included) once the write has arrived. Storage events alone change
   * nothing: a write that comes first is adopted on its message, with that message's reason.
   * A cookie has no such event, and WebKit hands a cookie set in one window to the others'
   * `document.cookie` some time after the message (and a loaded machine can delay it in
   * Chromium too): so a waiting message also re-reads a few times over the next four seconds.
   * `0` when no message waits (the shortest falsy value: the bundle is at its size budget).
   */
  let waiting: SignedOutReason | 0 = 0
  /**
   * The channel to the other tabs; closed while the page sits in the back/forward cache (an open
   * channel that receives a message gets the page evicted) and reopened when it comes back.
   */
  let channel: Broadcast | undefined
  let unsubscribe = () => {}
  const post = (type: BroadcastMessage['type'], reason?: SignedOutReason) => channel?.post({ type, reason })
  /**
   * Calls one of Latch's endpoints (with the refresh token in header mode) within
   * `refreshTimeout`. The body is discarded: what matters travels in headers and cookies. A
   * refresh says which generation it refreshes from: when another tab's answer reached the shared
   * cookie jar after this tab read the front token, the server answers the token it is sent again
   * instead of rotating it twice (docs/contract.md, rule 1b).
   */
  async function callEndpoint(
    api: URL,
    name: 'refresh' | 'signout',
    seen?: SessionInfo | null,
  ): Promise<Response> {
    const signal = AbortSignal.timeout(refreshTimeout)
    try {
      const url = endpointUrl(api, config.basePath, name) + (seen ? `?generation=${seen.generation}` : '')
      const request = new Request(url, { method: 'POST', signal })
      const response = await baseFetch(decorate(request, 'refresh'))
      discard(response)
      learn(response)
      return response
    } catch (cause) {
      throw signal.aborted
        ? new RefreshTimeoutError(refreshTimeout)
        : new LatchNetworkError(`${name} failed.`, { cause })
    }
  }

  /** Moves the state to `session`, emitting the matching event. Returns whether it changed. */
  function apply(
    session: SessionInfo | null,
    origin: Origin,
    reason: SignedOutReason = 'other_tab',
  ): boolean {
    const previous = set(session, reason)
    // The change a waiting message announced (or another) has been adopted: its reason is spent.
    if (previous) waiting = 0
    const before = previous?.session
    const event = session
      ? before?.sessionId !== session.sessionId
        ? 'signedIn'
        : 'refreshed'
      : before && 'signedOut'
    // Leaving `loading` is no event: nothing changed, the state only became known.
    if (event && previous && previous.status !== 'loading')
      emit(event, session ? { session, origin } : ({ reason, origin } as never))
    // Theft is reported where it was detected (even from `loading`) and where a session ended by it.
    if (previous && !session && reason === 'token_theft_detected' && (before || origin === 'this_tab'))
      emit('theftDetected', { sessionId: before?.sessionId ?? null })
    // A change made here nudges the other tabs (they re-read the token themselves).
    if (previous && origin === 'this_tab') post(event || (session ? 'refreshed' : 'signedOut'), reason)
    return !!previous
  }

  /**
   * Re-reads the front token (the truth) and adopts it, with the reason of a message still waiting
   * for its change when none is given (whichever re-read finds the change: a `storage` event, the
   * re-reads after the message, focus, a call's answer). Returns whether the state changed.
   */
  const syncFrom = (origin: Origin, reason?: SignedOutReason): boolean =>
    front.available() && apply(read(), origin, reason || waiting || undefined)

  function signOutLocally(reason: SignedOutReason): void {
    front.remove()
    clear()
    apply(null, 'this_tab', reason)
  }

  /**
   * A session-ending answer to a call sent with `sentWith`: ends the session, unless the front
   * token already names another one (a sign-in here or in another tab while the call was in
   * flight). A late answer never ends a newer session; `lateAnswer` says what was ignored.
   */
  function ended(reason: SignedOutReason, sentWith: SessionInfo | null): void {
    const now = read()
    if (now && now.sessionId !== sentWith?.sessionId) {
      emit('lateAnswer', { reason, sessionId: sentWith?.sessionId ?? null })
      syncFrom('other_tab')
    } else signOutLocally(reason)
  }

  const performRefresh = async (): Promise<RefreshOutcome> => {
    const api = apiBaseUrl(apiBase)
    if (!api) return [null]
    const sentWith = read()
    try {
      const response = await callEndpoint(api, 'refresh', sentWith)
      const signedOut = readRefreshAnswer(response)
      if (signedOut) {
        ended(signedOut, sentWith)
        // Ignored or not, the caller's call belonged to the old session: it is not replayed.
        return [null]
      }
      // The commit guard: a newer front token stored meanwhile (another tab refreshed without the
      // lock, or signed out or in) is not overwritten by this older answer.
      capture(response, sentWith)
      const session = read()
      // Success without a readable session: cookies or headers were dropped on the way.
      if (!session || !hasTokens()) throw new RefreshFailedError(response.status, null, null)
      apply(session, 'this_tab')
      return [session, true]
    } catch (error) {
      emit('refreshFailed', { error: error as Error })
      throw error
    }
  }

  const refresh = createRefreshCoordinator(
    lock,
    lockName,
    read,
    (session) => apply(session, 'other_tab'),
    performRefresh,
  )
  const schedule = createProactiveRefresh(config.proactiveRefresh, () => config.now() + offset, refresh)
  const win = (globalThis as { window?: FocusTarget }).window
  const doc = (globalThis as { document?: FocusTarget }).document
  /**
   * Focus, becoming visible, coming back online and returning from the back/forward cache re-read
   * the token (another tab may have refreshed, signed out or signed in meanwhile) and reschedule
   * the proactive refresh, whose timer a frozen or cached page did not run. A hidden tab waits. A
   * woken tab whose token expired refreshes once, at its next call or its one pending timer.
   */
  const reread = () => syncFrom('other_tab') || schedule(current())
  /**
   * A re-read on focus may come between another tab's sign-out reaching the front token and its
   * message: a session that vanished with no message yet waits for one (up to half a second) and
   * takes its reason, else ends with `other_tab`. A message already waiting gives its reason.
   */
  const onFocus = () => {
    if (doc?.visibilityState === 'hidden') return
    if (!waiting && current() && !read()) {
      waiting = 'other_tab'
      setTimeout(onStorage, 500)
    } else reread()
  }
  const onStorage = () => {
    if (waiting) syncFrom('other_tab')
  }
  const open = () => {
    channel = (config.broadcast ?? defaultBroadcast)(`latch:${lockName}`)
    unsubscribe = channel.subscribe(({ reason }) => {
      waiting = reason ?? 'other_tab'
      onStorage()
      for (const ms of [50, 250, 1e3, 4e3]) setTimeout(onStorage, ms)
    })
  }
  const shut = () => {
    unsubscribe()
    channel?.close()
    channel = undefined
  }
  const onPageShow = (event: { persisted?: boolean }) => {
    // Restored from the back/forward cache: a message sent meanwhile was missed, none will come.
    if (event.persisted && !channel) {
      open()
      reread()
    }
  }
  const listen = (method: 'addEventListener' | 'removeEventListener') => {
    win?.[method]?.('storage', onStorage)
    win?.[method]?.('pagehide', shut)
    win?.[method]?.('pageshow', onPageShow)
    if (config.syncOnFocus) {
      win?.[method]?.('focus', onFocus)
      win?.[method]?.('online', onFocus)
      doc?.[method]?.('visibilitychange', onFocus)
    }
  }
  open()
  listen('addEventListener')
  const cleanups = [
    subscribe(() => schedule(current())),
    () => schedule(null),
    shut,
    () => listen('removeEventListener'),
    // A re-read still pending from the last message finds nothing to do.
    () => (waiting = 0),
  ]
  schedule(current())

  /** Sends one copy of the call to the API origin and takes what the answer says about the session. */
  async function send(request: Request, ownAuth: boolean): Promise<Response> {
    const sentWith = read()
    let response: Response
    try {
      response = await baseFetch(decorate(request, ownAuth ? null : 'access'))
    } catch (cause) {
      // Offline or unreachable: a typed error, and the session is kept. An abort stays an abort.
      throw request.signal.aborted ? cause : new LatchNetworkError('Request failed.', { cause })
    }
    const code = latchCodeOf(response)
    if (code || response.headers.has(FRONT_TOKEN_HEADER)) learn(response)
    if (response.status === 401 && SESSION_ENDING_CODES.includes(code!)) {
      ended(code as SignedOutReason, sentWith)
    } else {
      capture(response)
      // A front-token header means this call changed the session (a sign-in); without one, a
      // change seen now was made by another tab.
      syncFrom(response.headers.has(FRONT_TOKEN_HEADER) ? 'this_tab' : 'other_tab')
    }
    return response
  }

  const latchFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const api = apiBaseUrl(apiBase)
    const call = prepareReplay(input, init, pageHref() ?? api?.href)
    const first = call.next()
    // Other origins get the call untouched: no credentials, no CSRF header, no token.
    if (!api || call.url.origin !== api.origin) return baseFetch(first)
    const ownAuth = first.headers.has('authorization')
    let seen = read()
    let response = await send(first, ownAuth)
    let refreshedHere: boolean | undefined
    for (let round = 0; latchCodeOf(response) === 'try_refresh' && response.status === 401; round++) {
      // The replay met try_refresh with the very token the refresh just produced, or went round
      // too often: a loop.
      if ((refreshedHere && sameSession(read(), seen)) || round >= config.maxReplays) {
        discard(response)
        throw new RefreshLoopError()
      }
      const [session, here] = await abortable(refresh(seen), call.signal)
      if (!session) return response
      discard(response)
      refreshedHere = here
      seen = read()
      response = await send(call.next(), ownAuth)
    }
    return response
  }

  return {
    fetch: latchFetch as typeof fetch,
    getSnapshot,
    subscribe,
    on,
    refresh: async () => (await refresh(read()))[0],
    signOut: () =>
      lock(lockName, async () => {
        const api = apiBaseUrl(apiBase)
        if (api) {
          let response: Response
          try {
            response = await callEndpoint(api, 'signout')
          } catch (cause) {
            throw signOutFailed('no answer', cause)
          }
          // A Latch 401 means there was no session to end: locally signed out all the same.
          if (!response.ok && !(response.status === 401 && latchCodeOf(response) !== null))
            throw signOutFailed(response.status)
        }
        signOutLocally('signout')
      }),
    // The lock orders sign-in after any refresh or sign-out of the old session in flight (this
    // tab or another), so their answers cannot clear the new session's cookies.
    signIn: (fn) =>
      lock(lockName, fn)
        .finally(() => syncFrom('this_tab'))
        .then((result: any) => {
          // A 2xx sign-in answer that made a session (front-token header) the browser did not
          // keep: Secure cookies over plain HTTP on a host other than localhost, or cookies
          // blocked. Without this the user stays signed out and nothing says why.
          if (cookieFront && result?.ok && result.headers?.get(FRONT_TOKEN_HEADER) && !read())
            throw new LatchError('cookies_not_kept', 'Cookies not kept (HTTPS?)')
          return result
        }),
    sync: () => syncFrom('this_tab'),
    destroy() {
      for (const cleanup of cleanups.splice(0)) cleanup()
    },
  }
}

const signOutFailed = (detail: unknown, cause?: unknown) =>
  new SignOutFailedError(`Sign-out failed (${detail}).`, { cause })

/** Rejects as soon as `signal` aborts, leaving the shared refresh to finish for the other callers. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | null | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal!.reason)
    if (signal?.aborted) onAbort()
    signal?.addEventListener('abort', onAbort)
    promise.then(resolve, reject).finally(() => signal?.removeEventListener('abort', onAbort))
  })
}

interface FocusTarget {
  addEventListener(type: string, listener: (event: { persisted?: boolean }) => void): void
  removeEventListener(type: string, listener: (event: { persisted?: boolean }) => void): void
  visibilityState?: string
}
