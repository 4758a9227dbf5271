import type {
  SessionClient,
  SessionEventName,
  SessionEvents,
  SessionInfo,
  SessionSnapshot,
  SignedOutReason,
} from '@latch/client'

type Origin = 'this_tab' | 'other_tab'
type AnyListener = (payload: never) => void

/** A session that expires in ten minutes, for tests. */
export function makeSession(overrides: Partial<SessionInfo> = {}): SessionInfo {
  return {
    userId: 'alice',
    sessionId: 'sid-1',
    accessTokenExpiresAt: Date.now() + 10 * 60_000,
    generation: 0,
    ...overrides,
  }
}

/**
 * A `SessionClient` test double with scripted state. A class on purpose: its methods need `this`,
 * so a binding that passes `client.subscribe` around unbound fails here as it would with a
 * class-based client.
 */
export class TestSessionClient implements SessionClient {
  readonly calls = { refresh: 0, signOut: 0, sync: 0, fetch: 0 }
  /** What `refresh()` does; replace it to make refreshes hang, fail or end the session. */
  refreshImpl: () => Promise<SessionInfo | null> = async () => {
    await Promise.resolve()
    const current = this.snapshot.session
    if (current === null) return null
    const next = {
      ...current,
      generation: current.generation + 1,
      accessTokenExpiresAt: Date.now() + 600_000,
    }
    this.refreshed(next, 'this_tab')
    return next
  }

  private snapshot: SessionSnapshot
  private readonly listeners = new Set<() => void>()
  private readonly eventListeners = new Map<SessionEventName, Set<AnyListener>>()

  constructor(initial: SessionSnapshot = { status: 'loading', session: null }) {
    this.snapshot = initial
  }

  fetch: typeof fetch = async () => {
    this.calls.fetch++
    return new Response(null, { status: 204 })
  }

  getSnapshot(): SessionSnapshot {
    return this.snapshot
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  on<E extends SessionEventName>(event: E, listener: (payload: SessionEvents[E]) => void): () => void {
    const set = this.eventListeners.get(event) ?? new Set()
    this.eventListeners.set(event, set)
    set.add(listener as AnyListener)
    return () => set.delete(listener as AnyListener)
  }

  refresh(): Promise<SessionInfo | null> {
    this.calls.refresh++
    return this.refreshImpl()
  }

  async signOut(): Promise<void> {
    this.calls.signOut++
    await Promise.resolve()
    this.endSession('signout', 'this_tab')
  }

  sync(): void {
    this.calls.sync++
  }

  destroy(): void {
    this.listeners.clear()
    this.eventListeners.clear()
  }

  // --- scripting -------------------------------------------------------------------------------

  /** Number of state listeners (`subscribe`) currently attached. */
  get stateListenerCount(): number {
    return this.listeners.size
  }

  /** Number of listeners for `event` currently attached. */
  eventListenerCount(event: SessionEventName): number {
    return this.eventListeners.get(event)?.size ?? 0
  }

  /** Replaces the snapshot (a new object) and notifies the state listeners. */
  setSnapshot(next: SessionSnapshot): void {
    this.snapshot = next
    this.notify()
  }

  /** Calls the state listeners without changing the snapshot, as a chatty client might. */
  notify(): void {
    for (const listener of [...this.listeners]) listener()
  }

  emit<E extends SessionEventName>(event: E, payload: SessionEvents[E]): void {
    for (const listener of [...(this.eventListeners.get(event) ?? [])]) {
      ;(listener as (payload: SessionEvents[E]) => void)(payload)
    }
  }

  /** The client's `signIn`: runs the sign-in call (no lock in this double). */
  signIn<R>(fn: () => Promise<R>): Promise<R> {
    return fn()
  }

  /** What the real client does when this tab or another tab signed in. */
  signedIn(session: SessionInfo, origin: Origin = 'this_tab'): void {
    this.setSnapshot({ status: 'authenticated', session })
    this.emit('signedIn', { session, origin })
  }

  /** What the real client does when this tab or another tab rotated the session. */
  refreshed(session: SessionInfo, origin: Origin): void {
    this.setSnapshot({ status: 'authenticated', session })
    this.emit('refreshed', { session, origin })
  }

  /** What the real client does when the session ends; theft also fires `theftDetected`. */
  endSession(reason: SignedOutReason, origin: Origin): void {
    const sessionId = this.snapshot.session?.sessionId ?? null
    this.setSnapshot({ status: 'unauthenticated', session: null, reason })
    if (reason === 'token_theft_detected') this.emit('theftDetected', { sessionId })
    this.emit('signedOut', { reason, origin })
  }
}
