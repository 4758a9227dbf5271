/**
 * A tiny typed event emitter, for the client's {@link SessionEvents} and its state changes.
 * @module
 */

/** Emits typed events to their listeners. */
export interface Emitter<Events> {
  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void
  emit<E extends keyof Events>(event: E, payload: Events[E]): void
}

/** Creates an emitter. A throwing listener is reported asynchronously and does not stop the others. */
export function createEmitter<Events>(): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<(payload: never) => void>>()
  const of = (event: keyof Events) => {
    if (!listeners.has(event)) listeners.set(event, new Set())
    return listeners.get(event)!
  }
  return {
    on(event, listener) {
      const set = of(event).add(listener)
      return () => {
        set.delete(listener)
      }
    },
    emit(event, payload) {
      for (const listener of [...of(event)]) {
        try {
          ;(listener as (payload: unknown) => void)(payload)
        } catch (error) {
          queueMicrotask(() => {
            throw error
          })
        }
      }
    },
  }
}
