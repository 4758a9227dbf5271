/**
 * The session client: `fetch` with transparent refresh, session state for UI bindings, cross-tab
 * sync and proactive refresh. Wires the parts; the rules live in `refresh.ts` (who refreshes),
 * `refreshRequest.ts` (what an answer means) and `replay.ts` (how a call is sent again).
 * @module
 */
import { type Broadcast, type BroadcastMessage, defaultBroadcast } from './broadcast'
import { createEmitter } from './emitter'
import { apiBaseUrl, endpointUrl, isSameOriginApi, pageHref } from './endpoints'
import { LatchNetworkError, RefreshFailedError, RefreshLoopError, SignOutFailedError } from './errors'
import {
  cookieFrontTokenSource,
  type FrontTokenSource,
  sameSession,
  storedFrontTokenSource,
} from './frontToken'
import { defaultLock } from './locks/defaultLock'
import { type ResolvedOptions, resolveOptions, type SessionClientOptions } from './options'
import { createProactiveRefresh } from './proactiveRefresh'
import { createRefreshCoordinator, type RefreshOutcome } from './refresh'
import { discard, latchCodeOf, SESSION_ENDING_CODES, sendRefresh } from './refreshRequest'
import { prepareReplay } from './replay'
import { createSessionState, LOADING_SNAPSHOT, snapshotOf } from './sessionState'
import { browserLocalStorage, memoryStorage, safeStorage } from './storage'
import { createTransport, HEADERS } from './transport'
import type { SessionClient, SessionInfo, SignedOutReason } from './types'

type Origin = 'this_tab' | 'other_tab'

function frontSourceFor(options: ResolvedOptions): {
  front: FrontTokenSource
  storage: ReturnType<typeof safeStorage>
} {
  const given = options.storage ?? (options.transport === 'header' ? memoryStorage() : browserLocalStorage())
  const storage = safeStorage(given ?? memoryStorage())
  if (options.transport === 'cookie' && isSameOriginApi(options))
    return { front: cookieFrontTokenSource(), storage }
  // No storage to read from (SSR) means "unknown", which keeps the state `loading`.
  return { front: storedFrontTokenSource(given ? storage : null, `${options.storageKey}.front`), storage }
}

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
  const { front, storage } = frontSourceFor(config)
  const transport = createTransport(config.transport, storage, config.storageKey, front)
  const events = createEmitter()
  const lock = config.lock ?? defaultLock
  const baseFetch: typeof fetch = (input, init) =>
    (config.fetch ?? globalThis.fetch).call(globalThis, input, init)
  const state = createSessionState(
    front.available()
      ? snapshotOf(front.read())
      : config.initialSession !== undefined
        ? snapshotOf(config.initialSession)
        : LOADING_SNAPSHOT,
  )
  const channel: Broadcast = (config.broadcast ?? defaultBroadcast)(`latch:${config.lockName}`)
  const cleanups: Array<() => void> = []

  /** Moves the state to `session`, emitting the matching event. Returns whether it changed. */
  function apply(
    session: SessionInfo | null,
    origin: Origin,
    reason: SignedOutReason = 'other_tab',
  ): boolean {
    const previous = state.set(session)
    if (previous === undefined || previous.status === 'loading') return previous !== undefined
    const before = previous.session
    if (session && before?.sessionId !== session.sessionId) events.emit('signedIn', { session, origin })
    else if (session) events.emit('refreshed', { session, origin })
    else if (before) events.emit('signedOut', { reason, origin })
    return true
  }

  /** Re-reads the front token (the truth) and adopts it. */
  function syncFrom(origin: Origin, reason?: SignedOutReason): void {
    if (!front.available()) return
    const before = state.getSnapshot().session
    const changed = apply(front.read(), origin, reason)
    if (changed && origin === 'this_tab') {
      const after = state.getSnapshot().session
      if (after && before?.sessionId !== after.sessionId) channel.post({ type: 'signedIn' })
    }
  }

  function signOutLocally(reason: SignedOutReason): void {
    const before = state.getSnapshot().session
    front.remove()
    transport.clear()
    const changed = apply(null, 'this_tab', reason)
    if (changed && reason === 'token_theft_detected') {
      events.emit('theftDetected', { sessionId: before?.sessionId ?? null })
    }
    if (changed) channel.post({ type: 'signedOut', reason })
  }

  async function performRefresh(): Promise<RefreshOutcome> {
    const api = apiBaseUrl(config)
    if (!api) return { kind: 'signed_out', reason: 'unauthorized' }
    const url = endpointUrl(api, config.basePath, 'refresh')
    try {
      const answer = await sendRefresh(
        baseFetch,
        (signal) => transport.endpointRequest(url, signal),
        config.refreshTimeout,
      )
      if (answer.kind === 'signed_out') {
        signOutLocally(answer.reason)
        return answer
      }
      transport.capture(answer.response)
      discard(answer.response)
      const session = front.read()
      if (!session || !transport.hasTokens()) {
        // Success without a readable session: cookies or headers were dropped on the way.
        throw new RefreshFailedError(answer.response.status, null, null)
      }
      if (apply(session, 'this_tab')) channel.post({ type: 'refreshed' })
      return { kind: 'refreshed', session }
    } catch (error) {
      events.emit('refreshFailed', { error: error as Error })
      throw error
    }
  }

  const coordinator = createRefreshCoordinator({
    lock,
    lockName: config.lockName,
    read: () => front.read(),
    adopt: (session) => {
      apply(session, 'other_tab')
    },
    perform: performRefresh,
  })

  const proactive = createProactiveRefresh({
    leadTime: config.proactiveRefresh,
    now: config.now,
    refresh: (seen) => coordinator.refresh(seen),
  })
  cleanups.push(state.subscribe(() => proactive.schedule(state.getSnapshot().session)))
  cleanups.push(proactive.cancel)
  proactive.schedule(state.getSnapshot().session)

  const onMessage = (message: BroadcastMessage) => {
    const before = state.getSnapshot().session
    syncFrom('other_tab', message.reason)
    const gone = before !== null && state.getSnapshot().session === null
    if (gone && message.reason === 'token_theft_detected') {
      events.emit('theftDetected', { sessionId: before.sessionId })
    }
  }
  cleanups.push(channel.subscribe(onMessage), () => channel.close())
  cleanups.push(listenForFocus(config, () => syncFrom('other_tab')))

  /** Sends one copy of the call to the API origin and takes what the answer says about the session. */
  async function send(request: Request, ownAuth: boolean): Promise<Response> {
    const response = await baseFetch(transport.decorate(request, ownAuth))
    transport.capture(response)
    const code = latchCodeOf(response)
    if (code !== null && response.status === 401 && SESSION_ENDING_CODES.has(code)) {
      signOutLocally(code as SignedOutReason)
    } else {
      // A front-token header means this call changed the session (a sign-in); without one, a
      // change seen now was made by another tab.
      syncFrom(response.headers.has(HEADERS.frontToken) ? 'this_tab' : 'other_tab')
    }
    return response
  }

  const latchFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const api = apiBaseUrl(config)
    const call = prepareReplay(input, init, pageHref() ?? api?.href)
    const first = call.next()
    // Other origins get the call untouched: no credentials, no CSRF header, no token.
    if (!api || call.url.origin !== api.origin) return baseFetch(first)
    const ownAuth = first.headers.has('authorization')
    let seen = front.read()
    let response = await send(first, ownAuth)
    let previous: RefreshOutcome['kind'] | null = null
    for (let round = 0; latchCodeOf(response) === 'try_refresh' && response.status === 401; round++) {
      if (previous === 'refreshed' && sameSession(front.read(), seen)) {
        discard(response)
        throw new RefreshLoopError()
      }
      if (round >= config.maxReplays) {
        discard(response)
        throw new RefreshLoopError()
      }
      const outcome = await abortable(coordinator.refresh(seen), call.signal)
      if (outcome.kind === 'signed_out') return response
      discard(response)
      previous = outcome.kind
      seen = front.read()
      response = await send(call.next(), ownAuth)
    }
    return response
  }

  return {
    fetch: latchFetch as typeof fetch,
    getSnapshot: state.getSnapshot,
    subscribe: state.subscribe,
    on: events.on,
    async refresh() {
      const outcome = await coordinator.refresh(front.read())
      return outcome.kind === 'signed_out' ? null : outcome.session
    },
    signOut: () =>
      lock(config.lockName, async () => {
        const api = apiBaseUrl(config)
        if (!api) return signOutLocally('signout')
        let response: Response
        try {
          response = await baseFetch(
            transport.endpointRequest(
              endpointUrl(api, config.basePath, 'signout'),
              AbortSignal.timeout(config.refreshTimeout),
            ),
          )
        } catch (cause) {
          throw new SignOutFailedError('The sign-out request failed; the session is still active.', {
            cause: new LatchNetworkError('Sign-out request failed.', { cause }),
          })
        }
        discard(response)
        // A Latch 401 means there was no session to end: locally signed out all the same.
        if (!response.ok && !(response.status === 401 && latchCodeOf(response) !== null)) {
          throw new SignOutFailedError(`The sign-out request failed with status ${response.status}.`)
        }
        signOutLocally('signout')
      }),
    sync: () => syncFrom('this_tab'),
    destroy() {
      for (const cleanup of cleanups.splice(0)) cleanup()
    },
  }
}

/** Rejects as soon as `signal` aborts, leaving the shared refresh to finish for the other callers. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void
  removeEventListener(type: string, listener: () => void): void
  visibilityState?: string
}

function listenForFocus(config: ResolvedOptions, onFocus: () => void): () => void {
  const win = (globalThis as { window?: EventTargetLike }).window
  const doc = (globalThis as { document?: EventTargetLike }).document
  if (!config.syncOnFocus || !win || typeof win.addEventListener !== 'function') return () => {}
  const onVisible = () => {
    if (doc?.visibilityState !== 'hidden') onFocus()
  }
  win.addEventListener('focus', onFocus)
  doc?.addEventListener?.('visibilitychange', onVisible)
  return () => {
    win.removeEventListener('focus', onFocus)
    doc?.removeEventListener?.('visibilitychange', onVisible)
  }
}
