/**
 * React bindings for Latch sessions: {@link SessionProvider}, {@link useSession},
 * {@link useSessionClient} and {@link RequireSession}, a thin `useSyncExternalStore` layer over
 * `@latch/client`, whose whole API is re-exported so one install suffices.
 * @module
 */

export * from '@latch/client'
export { RequireSession, type RequireSessionProps } from './RequireSession'
export { SessionProvider, type SessionProviderProps } from './SessionProvider'
export { type SessionActions, type UseSessionResult, useSession } from './useSession'
export { useSessionClient } from './useSessionClient'
