/**
 * The session state as UI bindings consume it: `getSnapshot` returns the same object until the
 * state really changes, so `useSyncExternalStore` neither tears nor re-renders for nothing.
 * @module
 */
import { createEmitter } from './emitter'
import { sameSession } from './frontToken'
import type { SessionInfo, SessionSnapshot, SignedOutReason } from './types'

const freeze = Object.freeze

/** The loading snapshot (a single frozen object so identity is stable). */
export const LOADING_SNAPSHOT: SessionSnapshot = freeze({ status: 'loading', session: null })
const UNAUTHENTICATED_SNAPSHOT: SessionSnapshot = freeze({ status: 'unauthenticated', session: null })

/** A snapshot for a session, or an unauthenticated snapshot for `null` (with why it ended). */
export function snapshotOf(session: SessionInfo | null, reason?: SignedOutReason): SessionSnapshot {
  return session
    ? freeze({ status: 'authenticated', session: freeze({ ...session }) })
    : reason
      ? freeze({ status: 'unauthenticated', session: null, reason })
      : UNAUTHENTICATED_SNAPSHOT
}

/** A subscribable holder of the current {@link SessionSnapshot}. */
export interface SessionState {
  getSnapshot(): SessionSnapshot
  subscribe(listener: () => void): () => void
  /**
   * Sets the session. Returns the previous snapshot when it changed, `undefined` when it did not
   * (then no listener is called and the snapshot object is kept).
   */
  set(session: SessionInfo | null, reason?: SignedOutReason): SessionSnapshot | undefined
}

/** Creates the state holder, starting at `initial`. */
export function createSessionState(initial: SessionSnapshot): SessionState {
  let snapshot = initial
  // One broken subscriber must not stop the others from seeing the change: the emitter reports it.
  const changes = createEmitter<{ change: undefined }>()
  return {
    getSnapshot: () => snapshot,
    subscribe: (listener) => changes.on('change', listener),
    set(session, reason) {
      if (snapshot.status !== 'loading' && sameSession(snapshot.session, session)) return
      const previous = snapshot
      // A reason only when a session ended: leaving `loading` for "no session" has none.
      snapshot = snapshotOf(session, previous.session ? reason : undefined)
      changes.emit('change', undefined)
      return previous
    },
  }
}
