/**
 * A tiny typed event emitter for the client's {@link SessionEvents}.
 * @module
 */
import type { SessionEventName, SessionEvents } from './types'

/** Emits typed session events to their listeners. */
export interface Emitter {
  on<E extends SessionEventName>(event: E, listener: (payload: SessionEvents[E]) => void): () => void
  emit<E extends SessionEventName>(event: E, payload: SessionEvents[E]): void
}

/** Creates an emitter. A throwing listener is reported asynchronously and does not stop the others. */
export function createEmitter(): Emitter {
  const listeners = new Map<SessionEventName, Set<(payload: never) => void>>()
  return {
    on(event, listener) {
      let set = listeners.get(event)
      if (!set) {
        set = new Set()
        listeners.set(event, set)
      }
      set.add(listener as (payload: never) => void)
      return () => {
        set.delete(listener as (payload: never) => void)
      }
    },
    emit(event, payload) {
      for (const listener of [...(listeners.get(event) ?? [])]) {
        try {
          ;(listener as (payload: SessionEvents[typeof event]) => void)(payload)
        } catch (error) {
          queueMicrotask(() => {
            throw error
          })
        }
      }
    },
  }
}
